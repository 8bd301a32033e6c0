/**
 * A restart loses no webhook: events queued while the receiver is down survive closing the
 * dispatcher and the SQLite store, and are delivered, in order per room, after both are reopened.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openSqliteStore } from '../../../src/store/sqlite.js';
import { verifyWebhook } from '../../../src/webhooks/sign.js';
import { joined, label, secrets, testDispatcher } from './harness.js';
import { startReceiver } from './receiver.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('webhook durability', () => {
  it('delivers events queued while the receiver was down after a simulated restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'parley-webhooks-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const gone = await startReceiver();
    const downUrl = gone.url;
    await gone.close(); // nothing listens there any more: connection refused

    // First life: the receiver is down, so nothing gets through.
    const store1 = openSqliteStore(dataDir);
    const first = testDispatcher(store1, [downUrl], { backoff: { baseMs: 30, maxMs: 60, jitter: 0 } });
    first.dispatcher.start();
    first.dispatcher.emit(joined('a', '1'));
    first.dispatcher.emit(joined('b', '1'));
    first.dispatcher.emit(joined('a', '2'));
    // Each room's head has failed at least once.
    await vi.waitFor(
      async () => {
        const heads = await store1.events.due(Number.MAX_SAFE_INTEGER, 10);
        expect(heads.map((e) => [e.key, e.attempts > 0])).toEqual(expect.arrayContaining([['a', true], ['b', true]]));
      },
      { timeout: 5000, interval: 10 },
    );
    const firstIds = new Map((await store1.events.due(Number.MAX_SAFE_INTEGER, 10)).map((e) => [e.key, e.payload]));
    first.dispatcher.emit(joined('a', '3')); // emitted just before shutdown: close() must persist it
    await first.dispatcher.close();
    await store1.close();

    // Second life: same data dir, the receiver is back.
    const up = await startReceiver(() => 200);
    cleanup.push(() => up.close());
    const store2 = openSqliteStore(dataDir);
    cleanup.push(() => store2.close());
    expect(await store2.events.size()).toBe(4);
    const second = testDispatcher(store2, [up.url]);
    cleanup.push(() => second.dispatcher.close());
    second.dispatcher.start();
    await up.waitFor((rs) => rs.length === 4);

    const inRoom = (name: string) => up.requests.filter((r) => r.event.room.name === name).map(label);
    expect(inRoom('a')).toEqual(['a:1', 'a:2', 'a:3']);
    expect(inRoom('b')).toEqual(['b:1']);
    for (const r of up.requests) await expect(verifyWebhook(r.body, r.headers.authorization, secrets)).resolves.toBeDefined();
    // The very bodies first tried (same event ids): receivers can dedupe across the restart.
    expect(up.requests.find((r) => label(r) === 'a:1')?.body).toBe(firstIds.get('a'));
    expect(up.requests.find((r) => label(r) === 'b:1')?.body).toBe(firstIds.get('b'));
    await vi.waitFor(async () => expect(await store2.events.size()).toBe(0), { timeout: 5000, interval: 10 });
  });
});
