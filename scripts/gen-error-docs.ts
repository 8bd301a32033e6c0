/** Generates docs/errors.md from the error catalog (src/core/errors.ts). `npm run docs:errors`. */
import { writeFileSync } from 'node:fs';
import { renderErrorDocs } from '../src/core/errors-doc.js';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorDocs());
console.log('wrote docs/errors.md');
