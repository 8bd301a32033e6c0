// Bundles the browser SDK and the demo app with esbuild into dist/public (served by Parley).
//   node scripts/build-client.mjs           build once (minified, with source maps)
//   node scripts/build-client.mjs --watch   rebuild on change (static files are copied once)
// A one-off build writes into a temporary directory and renames each file into place, so a running
// server (or a parallel test) never serves a half-written bundle.
import { context } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const out = 'dist/public';
const watch = process.argv.includes('--watch');
const dest = watch ? out : `${out}.tmp-${process.pid}`;
mkdirSync(out, { recursive: true });
mkdirSync(dest, { recursive: true });
const entries = [
  ['src/client/index.ts', 'parley-sdk.js'],
  ['src/demo/main.ts', 'demo.js'],
].filter(([entry]) => existsSync(entry));
if (existsSync('src/demo/static')) cpSync('src/demo/static', dest, { recursive: true });
for (const [entry, file] of entries) {
  const ctx = await context({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    minify: !watch,
    outfile: join(dest, file),
    logLevel: watch ? 'info' : 'warning',
  });
  if (watch) await ctx.watch();
  else {
    await ctx.rebuild();
    await ctx.dispose();
  }
}
if (!watch) {
  for (const file of readdirSync(dest, { recursive: true, withFileTypes: true })) {
    if (!file.isFile()) continue;
    const rel = join(file.parentPath ?? file.path, file.name).slice(dest.length + 1);
    mkdirSync(join(out, rel, '..'), { recursive: true });
    renameSync(join(dest, rel), join(out, rel));
  }
  rmSync(dest, { recursive: true, force: true });
}
