/**
 * Generates docs/config.md from the config schema (src/config/schema.ts): every setting with its
 * environment variable, default and description. `npm run docs:config`; a test checks it is current.
 */
import { writeFileSync } from 'node:fs';
import { renderConfigDocs } from '../src/config/docs.js';

writeFileSync(new URL('../docs/config.md', import.meta.url), renderConfigDocs());
console.log('wrote docs/config.md');
