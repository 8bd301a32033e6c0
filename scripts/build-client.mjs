// Bundles the browser SDK and the demo app with esbuild into dist/public (served by Parley).
//   node scripts/build-client.mjs           build once (minified, with source maps)
//   node scripts/build-client.mjs --watch   rebuild on change (static files are copied once)
import { context } from 'esbuild';
import { cpSync, existsSync, mkdirSync } from 'node:fs';

const out = 'dist/public';
const watch = process.argv.includes('--watch');
mkdirSync(out, { recursive: true });
const entries = [
  ['src/client/index.ts', 'parley-sdk.js'],
  ['src/demo/main.ts', 'demo.js'],
].filter(([entry]) => existsSync(entry));
if (existsSync('src/demo/static')) cpSync('src/demo/static', out, { recursive: true });
for (const [entry, file] of entries) {
  const ctx = await context({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    minify: !watch,
    outfile: `${out}/${file}`,
    logLevel: watch ? 'info' : 'warning',
  });
  if (watch) await ctx.watch();
  else {
    await ctx.rebuild();
    await ctx.dispose();
  }
}
