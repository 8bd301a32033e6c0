/**
 * The dispatcher over the Redis store: same order per room and retry behaviour as over SQLite,
 * and the queue survives the dispatcher and the store connection being replaced.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openRedisStore } from '../../../src/store/redis.js';
import { startRedisServer, type RedisServer } from '../store/redis-server.js';
import { joined, label, testDispatcher } from './harness.js';
import { startReceiver } from './receiver.js';

let server: RedisServer | undefined;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('webhooks over the Redis store', () => {
  it('delivers in order per room through failures and a restart', async () => {
    if (!server) throw new Error('redis-server not started');
    const options = { url: server.url, prefix: 'parley-webhooks:' };
    let a1Failures = 2;
    const receiver = await startReceiver((req) => (label(req) === 'a:1' && a1Failures-- > 0 ? 500 : 200));
    try {
      const store1 = openRedisStore(options);
      const first = testDispatcher(store1, ['http://127.0.0.1:1/unreachable']);
      for (const e of [joined('a', '1'), joined('b', '1'), joined('a', '2')]) first.dispatcher.emit(e);
      await first.dispatcher.close(); // never started: the events are only queued
      await store1.close();

      const store2 = openRedisStore(options);
      const second = testDispatcher(store2, [receiver.url]);
      second.dispatcher.start();
      second.dispatcher.emit(joined('b', '2'));
      await receiver.waitFor(() => receiver.accepted().length === 4);
      expect(receiver.requests.filter((r) => r.event.room.name === 'a').map((r) => `${label(r)}=${String(r.status)}`)).toEqual([
        'a:1=500',
        'a:1=500',
        'a:1=200',
        'a:2=200',
      ]);
      expect(receiver.accepted().filter((r) => r.event.room.name === 'b').map(label)).toEqual(['b:1', 'b:2']);
      await vi.waitFor(async () => expect(await store2.events.size()).toBe(0), { timeout: 5000, interval: 10 });
      await second.dispatcher.close();
      await store2.close();
    } finally {
      await receiver.close();
    }
  });
});
