/** Builds a dispatcher for tests: fast exact backoff, silent logs, metrics readable per test. */
import { Counter, Gauge } from 'prom-client';
import { silentLogger } from '../../../src/observability/logger.js';
import type { Store } from '../../../src/store/store.js';
import { createWebhookDispatcher, type WebhookDispatcher, type WebhookDispatcherOptions } from '../../../src/webhooks/dispatcher.js';
import type { WebhookEventInput } from '../../../src/webhooks/events.js';
import { sampleParticipant, sampleRoom } from '../../unit/webhooks/sample.js';

export const keys = { apiKey: 'APItest', apiSecret: 'webhook-test-secret-of-at-least-32-chars' };
export const secrets = { [keys.apiKey]: keys.apiSecret };

export function testMetrics() {
  return {
    webhooksPending: new Gauge({ name: 'parley_webhooks_pending', help: 'test', registers: [] }),
    webhookDeliveries: new Counter({ name: 'parley_webhook_deliveries_total', help: 'test', labelNames: ['outcome'] as const, registers: [] }),
  };
}

export async function outcomes(metrics: ReturnType<typeof testMetrics>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await metrics.webhookDeliveries.get()).values) out[String(v.labels.outcome)] = v.value;
  return out;
}

export function testDispatcher(store: Store, urls: string[], extra: Partial<WebhookDispatcherOptions> = {}): {
  dispatcher: WebhookDispatcher;
  metrics: ReturnType<typeof testMetrics>;
} {
  const metrics = testMetrics();
  const dispatcher = createWebhookDispatcher({
    store,
    urls,
    keys,
    timeout: 2,
    maxAttempts: 10,
    logger: silentLogger(),
    metrics,
    backoff: { baseMs: 20, maxMs: 200, jitter: 0 },
    ...extra,
  });
  return { dispatcher, metrics };
}

/** participant_joined in `room` for `identity`, which the receiver can tell apart. */
export function joined(room: string, identity: string): WebhookEventInput {
  return { event: 'participant_joined', room: sampleRoom(room), participant: sampleParticipant(identity) };
}

export const label = (r: { event: { room: { name: string }; participant?: { identity: string } } }): string =>
  `${r.event.room.name}:${r.event.participant?.identity ?? '-'}`;
