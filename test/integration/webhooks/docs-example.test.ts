/**
 * The receiver example in docs/webhooks.md, run as written (only its port and jose's path
 * changed) against the real dispatcher: the right secret is accepted, a wrong one refused.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryStore } from '../../../src/store/memory.js';
import { joined, keys, outcomes, testDispatcher } from './harness.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function startExample(): Promise<string> {
  const doc = await readFile(new URL('../../../docs/webhooks.md', import.meta.url), 'utf8');
  const code = /```js\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!code) throw new Error('no js example in docs/webhooks.md');
  const jose = pathToFileURL(createRequire(import.meta.url).resolve('jose')).href;
  const runnable = code
    .replace("from 'jose'", `from '${jose}'`)
    .replace('.listen(8080);', ".listen(0, '127.0.0.1', function () { console.log(this.address().port); });");
  expect(runnable).not.toBe(code);
  const dir = await mkdtemp(join(tmpdir(), 'parley-doc-'));
  await writeFile(join(dir, 'receiver.mjs'), runnable);
  const child = spawn(process.execPath, [join(dir, 'receiver.mjs')], {
    env: { ...process.env, PARLEY_API_KEY: keys.apiKey, PARLEY_API_SECRET: keys.apiSecret },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanup.push(async () => {
    if (child.exitCode === null) {
      const exited = once(child, 'exit');
      child.kill();
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  return `http://127.0.0.1:${line.toString().trim()}/`;
}

describe('docs/webhooks.md receiver example', () => {
  it('accepts Parley webhooks signed with the right secret and refuses others', async () => {
    const url = await startExample();
    for (const [secret, outcome] of [
      [keys.apiSecret, 'delivered'],
      ['a-wrong-secret-that-is-also-32-characters', 'dropped'],
    ] as const) {
      const store = createMemoryStore();
      const { dispatcher, metrics } = testDispatcher(store, [url], { keys: { apiKey: keys.apiKey, apiSecret: secret }, maxAttempts: 1 });
      dispatcher.start();
      dispatcher.emit(joined('r', 'x'));
      await vi.waitFor(async () => expect(await outcomes(metrics)).toEqual({ [outcome]: 1 }), { timeout: 5000, interval: 10 });
      await dispatcher.close();
      await store.close();
    }
  });
});
