/**
 * The webhook dispatcher: the I/O edge of webhooks (docs/webhooks.md).
 *
 * emit() turns an event into its JSON body and appends it to the store's durable queue, keyed by
 * room name; it returns at once and never throws. A delivery loop takes the queue's due heads (the
 * oldest event of each room whose time has come), signs each (sign.ts) and POSTs it to every URL:
 *
 * - an event is delivered when every URL has answered 2xx (redirects count as failures). URLs
 *   that accepted are remembered in memory and not sent the event again by this process's
 *   retries; after a restart the event goes to all URLs again (at-least-once);
 * - a failed attempt is retried after backoff.ts's delay (1 s doubling to 5 min, ±20% jitter);
 *   the maxAttempts-th failure drops the event (logged at error) and frees its room's line;
 * - events of one room go one at a time, in emit order (only the queue's head is ever due);
 *   up to `concurrency` rooms are delivered in parallel;
 * - close() persists what was emitted, aborts requests in flight (their events stay queued, the
 *   attempt uncounted) and stops; start() on a new dispatcher resumes whatever is queued.
 *
 * Logs: failures only (warn per failed attempt, error on drop); deliveries are counted in metrics.
 */
import { randomUUID } from 'node:crypto';
import { redactUrl, type Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { QueuedEvent, Store } from '../store/store.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { completeEvent, serializeEvent, type WebhookEventInput } from './events.js';
import { signWebhook, type WebhookKeys } from './sign.js';

export interface WebhookDispatcherOptions {
  /** Only `events` is used. */
  store: Pick<Store, 'events'>;
  /** Receivers; with none, emit() does nothing. */
  urls: readonly string[];
  /** The key/secret pair that signs (config webhooks.apiKey, default the first key). */
  keys: WebhookKeys;
  /** Seconds before an attempt is abandoned (config webhooks.timeout); 0 = no limit. */
  timeout: number;
  /** Attempts before an event is dropped (config webhooks.maxAttempts). */
  maxAttempts: number;
  logger: Logger;
  metrics: Pick<Metrics, 'webhooksPending' | 'webhookDeliveries'>;
  /** Default: global fetch. */
  fetch?: typeof fetch;
  /** Unix ms. Default: Date.now. */
  clock?: () => number;
  /** Retry schedule; default 1 s doubling to 5 min, ±20% (tests shorten it). */
  backoff?: Partial<BackoffOptions>;
  /** Randomness for the jitter, [0, 1). Default Math.random. */
  random?: () => number;
  /** Rooms delivered in parallel. Default 8. */
  concurrency?: number;
  /** Event ids. Default `EV_` + a random UUID. */
  newId?: () => string;
}

export interface WebhookDispatcher {
  /** Queues an event (id and createdAt filled when absent). Never blocks, never throws. */
  emit(event: WebhookEventInput): void;
  /** Starts delivering, beginning with whatever is already queued. Idempotent. */
  start(): void;
  /** Persists what was emitted, aborts requests in flight and stops. Idempotent. */
  close(): Promise<void>;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export function createWebhookDispatcher(opts: WebhookDispatcherOptions): WebhookDispatcher {
  const { events } = opts.store;
  const log = opts.logger.child({ module: 'webhooks' });
  const clock = opts.clock ?? Date.now;
  const doFetch = opts.fetch ?? fetch;
  const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, ...opts.backoff };
  const random = opts.random ?? Math.random;
  const concurrency = Math.max(1, opts.concurrency ?? 8);
  const newId = opts.newId ?? (() => `EV_${randomUUID()}`);
  const enabled = opts.urls.length > 0;

  let state: 'idle' | 'running' | 'closed' = 'idle';
  let writes: Promise<void> = Promise.resolve(); // queue appends, chained so they land in emit order
  let pumping: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  const inFlight = new Map<number, Promise<void>>(); // queue id -> its delivery
  const accepted = new Map<number, Set<string>>(); // queue id -> URLs that took it (this process)
  // Ids acked or rescheduled since the current pump began: a due() read that raced the write may
  // still list them as due.
  const settled = new Set<number>();
  const stop = new AbortController();

  const refreshPending = async (): Promise<void> => {
    opts.metrics.webhooksPending.set(await events.size());
  };

  function arm(delayMs: number): void {
    clearTimeout(timer);
    if (state !== 'running') return;
    timer = setTimeout(wake, Math.min(Math.max(0, delayMs), MAX_TIMER_MS));
    timer.unref();
  }

  function wake(): void {
    if (state !== 'running') return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = pump().finally(() => {
      pumping = undefined;
      if (again) {
        again = false;
        wake();
      }
    });
  }

  /** Starts deliveries for due heads not yet in flight, then sets the timer for the next one. */
  async function pump(): Promise<void> {
    settled.clear(); // later writes are either visible to the due() below or recorded here
    try {
      const free = concurrency - inFlight.size;
      if (free > 0) {
        // Heads in flight are still queued, so ask for enough to find `free` others.
        for (const event of await events.due(clock(), free + inFlight.size)) {
          if (state !== 'running' || inFlight.size >= concurrency) break;
          if (inFlight.has(event.id) || settled.has(event.id)) continue;
          const delivery = deliver(event)
            .catch((err: unknown) => log.error({ err, room: event.key, queueId: event.id }, 'webhook queue update failed'))
            .finally(() => {
              inFlight.delete(event.id);
              wake();
            });
          inFlight.set(event.id, delivery);
        }
      }
      if (state !== 'running') return;
      const at = await events.nextDueAt();
      // A head due now is in flight (its end wakes us); poll anyway in case a later head is free.
      if (at !== undefined) arm(at > clock() ? at - clock() : backoff.baseMs);
    } catch (err) {
      if (state !== 'running') return;
      log.error({ err }, 'webhook queue unavailable; will retry');
      arm(backoff.baseMs);
    }
  }

  async function deliver(event: QueuedEvent): Promise<void> {
    const done = accepted.get(event.id) ?? new Set<string>();
    const targets = opts.urls.filter((url) => !done.has(url));
    const results = await signWebhook(event.payload, opts.keys, { now: clock() }).then(
      (auth) => Promise.all(targets.map((url) => post(url, event.payload, auth))),
      (err: unknown) => targets.map(() => `cannot sign: ${err instanceof Error ? err.message : String(err)}`),
    );
    const failures: string[] = [];
    results.forEach((result, i) => {
      const url = targets[i] ?? '';
      if (result === true) done.add(url);
      else failures.push(`${redactUrl(url)}: ${result}`);
    });
    if (stop.signal.aborted) return; // closing: leave the event queued as it was

    if (failures.length === 0) {
      accepted.delete(event.id);
      await events.ack(event.id);
      settled.add(event.id);
      opts.metrics.webhookDeliveries.inc({ outcome: 'delivered' });
      await refreshPending();
      return;
    }
    const attempts = event.attempts + 1;
    const context = { room: event.key, queueId: event.id, eventId: eventIdOf(event.payload), attempts, failures };
    if (attempts >= opts.maxAttempts) {
      accepted.delete(event.id);
      await events.ack(event.id);
      settled.add(event.id);
      opts.metrics.webhookDeliveries.inc({ outcome: 'dropped' });
      await refreshPending();
      log.error(context, 'webhook event dropped after its last attempt');
      return;
    }
    accepted.set(event.id, done);
    const delay = backoffDelay(attempts, backoff, random);
    await events.retry(event.id, clock() + delay);
    settled.add(event.id);
    opts.metrics.webhookDeliveries.inc({ outcome: 'failed' });
    log.warn({ ...context, retryInMs: delay }, 'webhook delivery failed; will retry');
  }

  /** One POST: true on 2xx, else why not. */
  async function post(url: string, body: string, auth: string): Promise<true | string> {
    const signals = [stop.signal];
    if (opts.timeout > 0) signals.push(AbortSignal.timeout(opts.timeout * 1000));
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: auth, 'user-agent': 'parley-webhooks' },
        body,
        redirect: 'manual',
        signal: AbortSignal.any(signals),
      });
      await res.body?.cancel().catch(() => undefined);
      return res.ok ? true : `HTTP ${res.status}`;
    } catch (err) {
      if (stop.signal.aborted) return 'aborted by close';
      if (err instanceof Error && err.name === 'TimeoutError') return `no answer within ${opts.timeout} s`;
      if (err instanceof Error) return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
      return String(err);
    }
  }

  return {
    emit(input) {
      if (!enabled) return;
      if (state === 'closed') {
        log.warn({ event: input.event, room: input.room.name }, 'webhook emitted after close; dropped');
        return;
      }
      const event = completeEvent(input, newId(), clock());
      const body = serializeEvent(event);
      writes = writes
        .then(async () => {
          await events.push(event.room.name, body, clock());
          wake();
          await refreshPending();
        })
        .catch((err: unknown) => log.error({ err, event: event.event, room: event.room.name, eventId: event.id }, 'webhook event could not be queued; lost'));
    },

    start() {
      if (state !== 'idle') return;
      state = 'running';
      refreshPending().catch((err: unknown) => log.error({ err }, 'webhook queue unavailable'));
      if (!enabled) {
        events
          .size()
          .then((pending) => pending > 0 && log.warn({ pending }, 'webhook events are queued but no webhook URL is configured; they wait for one'))
          .catch(() => undefined);
        return;
      }
      wake();
    },

    async close() {
      if (state === 'closed') return;
      state = 'closed';
      clearTimeout(timer);
      await writes;
      stop.abort();
      await pumping;
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}

function eventIdOf(payload: string): string | undefined {
  try {
    const id: unknown = (JSON.parse(payload) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
