/**
 * The dispatcher against a real local HTTP receiver: signature, order per room, retry with
 * backoff, dropping after maxAttempts, timeouts, several URLs, close.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryStore } from '../../../src/store/memory.js';
import type { Store } from '../../../src/store/store.js';
import type { WebhookDispatcher } from '../../../src/webhooks/dispatcher.js';
import { verifyWebhook } from '../../../src/webhooks/sign.js';
import { sampleRoom } from '../../unit/webhooks/sample.js';
import { joined, keys, label, outcomes, secrets, testDispatcher } from './harness.js';
import { startReceiver, type Receiver, type Respond } from './receiver.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(respond: Respond | Respond[], extra: Parameters<typeof testDispatcher>[2] = {}) {
  const receivers: Receiver[] = [];
  for (const r of Array.isArray(respond) ? respond : [respond]) receivers.push(await startReceiver(r));
  const store: Store = createMemoryStore();
  const { dispatcher, metrics } = testDispatcher(store, receivers.map((r) => r.url), extra);
  cleanup.push(async () => {
    await dispatcher.close();
    await store.close();
    for (const r of receivers) await r.close();
  });
  const receiver = receivers[0];
  if (!receiver) throw new Error('no receiver');
  return { receiver, receivers, store, dispatcher, metrics };
}

const drained = (store: Store): Promise<void> =>
  vi.waitFor(async () => expect(await store.events.size()).toBe(0), { timeout: 5000, interval: 10 });

describe('webhook delivery', () => {
  it('POSTs JSON with an Authorization JWT that verifies with the API secret', async () => {
    const { receiver, dispatcher, store, metrics } = await setup(() => 200);
    dispatcher.start();
    dispatcher.emit({ event: 'room_started', room: sampleRoom('alpha') });
    await receiver.waitFor((rs) => rs.length === 1);

    const [req] = receiver.requests;
    expect(req?.headers['content-type']).toBe('application/json');
    const verified = await verifyWebhook(req?.body ?? '', req?.headers.authorization, secrets);
    expect(verified.apiKey).toBe(keys.apiKey);
    expect(verified.event).toMatchObject({ event: 'room_started', room: sampleRoom('alpha') });
    expect(verified.event.id).toMatch(/^EV_/);
    expect(typeof verified.event.createdAt).toBe('number');

    await drained(store);
    expect(await outcomes(metrics)).toEqual({ delivered: 1 });
    expect((await metrics.webhooksPending.get()).values[0]?.value).toBe(0);
  });

  it('keeps each room in order while its head fails, without holding up other rooms', async () => {
    let a1Failures = 2;
    const { receiver, dispatcher } = await setup((req) => (label(req) === 'a:1' && a1Failures-- > 0 ? 500 : 200));
    for (const e of [joined('a', '1'), joined('b', '1'), joined('a', '2'), joined('b', '2'), joined('a', '3')]) dispatcher.emit(e);
    dispatcher.start();
    await receiver.waitFor(() => receiver.accepted().length === 5);

    const room = (name: string) => receiver.requests.filter((r) => r.event.room.name === name).map((r) => `${label(r)}=${String(r.status)}`);
    expect(room('a')).toEqual(['a:1=500', 'a:1=500', 'a:1=200', 'a:2=200', 'a:3=200']);
    expect(room('b')).toEqual(['b:1=200', 'b:2=200']);
    const acceptedAt = (l: string) => receiver.accepted().find((r) => label(r) === l)?.index ?? -1;
    expect(acceptedAt('b:2')).toBeLessThan(acceptedAt('a:1')); // room b was not blocked by a's failures
  });

  it('retries the same event after 1x, 2x, 4x the base delay', async () => {
    const { receiver, dispatcher, store, metrics } = await setup((req) => (req.index < 3 ? 503 : 200), { backoff: { baseMs: 40, maxMs: 1000, jitter: 0 } });
    dispatcher.start();
    dispatcher.emit(joined('r', 'x'));
    await receiver.waitFor(() => receiver.accepted().length === 1);

    const rs = receiver.requests;
    expect(rs.map((r) => r.status)).toEqual([503, 503, 503, 200]);
    expect(new Set(rs.map((r) => r.event.id)).size).toBe(1);
    const gaps = rs.slice(1).map((r, i) => r.at - (rs[i]?.at ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(40 - 2);
    expect(gaps[1]).toBeGreaterThanOrEqual(80 - 2);
    expect(gaps[2]).toBeGreaterThanOrEqual(160 - 2);
    await drained(store);
    expect(await outcomes(metrics)).toEqual({ failed: 3, delivered: 1 });
  });

  it('drops an event after maxAttempts and moves on to the room\'s next one', async () => {
    const { receiver, dispatcher, store, metrics } = await setup((req) => (label(req) === 'r:doomed' ? 500 : 200), { maxAttempts: 3 });
    dispatcher.start();
    dispatcher.emit(joined('r', 'doomed'));
    dispatcher.emit(joined('r', 'next'));
    await receiver.waitFor(() => receiver.accepted().length === 1);

    expect(receiver.requests.map(label)).toEqual(['r:doomed', 'r:doomed', 'r:doomed', 'r:next']);
    await drained(store);
    expect(await outcomes(metrics)).toEqual({ failed: 2, dropped: 1, delivered: 1 });
  });

  it('abandons an attempt that gets no answer within the timeout, then retries', async () => {
    const { receiver, dispatcher } = await setup((req) => (req.index === 0 ? 'hang' : 200), { timeout: 0.2 });
    dispatcher.start();
    dispatcher.emit(joined('r', 'slow'));
    await receiver.waitFor(() => receiver.accepted().length === 1);
    expect(receiver.requests.map((r) => r.status)).toEqual(['hang', 200]);
    expect((receiver.requests[1]?.at ?? 0) - (receiver.requests[0]?.at ?? 0)).toBeGreaterThanOrEqual(200 - 2);
  });

  it('counts an event delivered once every URL took it, and does not resend to a URL that did', async () => {
    const { receivers, dispatcher, store } = await setup([() => 200, (req) => (req.index === 0 ? 500 : 200)]);
    const [one, two] = receivers;
    dispatcher.start();
    dispatcher.emit(joined('r', 'x'));
    await two?.waitFor((rs) => rs.length === 2);
    await drained(store);
    expect(one?.requests.map((r) => r.status)).toEqual([200]);
    expect(two?.requests.map((r) => r.status)).toEqual([500, 200]);
  });

  it('close() aborts a request in flight and leaves its event queued, attempt uncounted', async () => {
    const { receiver, dispatcher, store } = await setup(() => 'hang', { timeout: 30 });
    dispatcher.start();
    dispatcher.emit(joined('r', 'x'));
    await receiver.waitFor((rs) => rs.length === 1);
    const started = performance.now();
    await dispatcher.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await store.events.due(Date.now(), 10)).toMatchObject([{ key: 'r', attempts: 0 }]);
  });

  it('does nothing without URLs', async () => {
    const store = createMemoryStore();
    const { dispatcher } = testDispatcher(store, []);
    dispatcher.start();
    dispatcher.emit(joined('r', 'x'));
    await dispatcher.close();
    expect(await store.events.size()).toBe(0);
    await store.close();
  });

  it('queues events emitted before start and delivers them once started', async () => {
    const { receiver, dispatcher, store } = await setup(() => 200);
    dispatcher.emit(joined('r', '1'));
    dispatcher.emit(joined('r', '2'));
    await vi.waitFor(async () => expect(await store.events.size()).toBe(2), { timeout: 2000, interval: 5 });
    expect(receiver.requests).toEqual([]);
    dispatcher.start();
    await receiver.waitFor((rs) => rs.length === 2);
    expect(receiver.requests.map(label)).toEqual(['r:1', 'r:2']);
  });
});
