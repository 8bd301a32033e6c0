// Bundles the browser SDK and the demo app with esbuild into dist/public (served by Parley).
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync } from 'node:fs';

const out = 'dist/public';
mkdirSync(out, { recursive: true });
const entries = [
  ['src/client/index.ts', 'parley-sdk.js'],
  ['src/demo/main.ts', 'demo.js'],
].filter(([entry]) => existsSync(entry));
for (const [entry, file] of entries) {
  await build({ entryPoints: [entry], bundle: true, format: 'esm', target: 'es2022', sourcemap: true, minify: true, outfile: `${out}/${file}`, logLevel: 'warning' });
}
if (existsSync('src/demo/static')) cpSync('src/demo/static', out, { recursive: true });
