// Builds native/ (Parley's native fast path, docs/adr/0008-native-fast-path.md) with the node-gyp
// that npm bundles, against the Node headers npm is configured with. Runs on `npm install`.
// A machine without a C++ toolchain still gets a working server: the TypeScript path is used and
// this prints why, unless PARLEY_NATIVE_REQUIRED=1 (the test suite sets it) makes that an error.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const candidates = [
  process.env.npm_config_node_gyp,
  process.env.npm_execpath && join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].filter((p) => typeof p === 'string' && existsSync(p));

const required = process.env.PARLEY_NATIVE_REQUIRED === '1';
function give_up(reason) {
  const message = `parley: native fast path not built (${reason}); Parley will use its TypeScript media path`;
  if (required) {
    console.error(message);
    process.exit(1);
  }
  console.warn(message);
  process.exit(0);
}

if (candidates.length === 0) give_up('node-gyp not found next to npm');
const args = [candidates[0], 'rebuild', '--directory', join(root, 'native'), '--loglevel=warn'];
if (process.env.npm_config_nodedir === undefined && existsSync('/usr/include/node/node_api.h')) args.push('--nodedir=/usr');
const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
if (result.status !== 0) give_up(`node-gyp exited with ${result.status ?? result.signal}`);
