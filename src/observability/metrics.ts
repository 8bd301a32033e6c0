/**
 * Prometheus metrics (prom-client). One registry per server instance so tests can run several
 * servers in one process; every name starts with `parley_`. Subsystems with many metrics (turn/)
 * register theirs on the same registry from their own module.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry, prefix: 'parley_' });
  const r = [registry];
  return {
    registry,
    roomsActive: new Gauge({ name: 'parley_rooms_active', help: 'Rooms open now', registers: r }),
    participantsActive: new Gauge({ name: 'parley_participants_active', help: 'Participants joined now', registers: r }),
    connectionsActive: new Gauge({ name: 'parley_signaling_connections', help: 'Open signaling WebSocket connections', registers: r }),
    joinsTotal: new Counter({ name: 'parley_joins_total', help: 'Successful joins', labelNames: ['resumed'] as const, registers: r }),
    messagesIn: new Counter({ name: 'parley_signaling_messages_in_total', help: 'Signaling messages received, by type', labelNames: ['type'] as const, registers: r }),
    signalingErrors: new Counter({ name: 'parley_signaling_errors_total', help: 'Signaling error frames sent, by code', labelNames: ['code'] as const, registers: r }),
    authFailures: new Counter({ name: 'parley_auth_failures_total', help: 'Rejected tokens, by code', labelNames: ['code'] as const, registers: r }),
    httpRequests: new Counter({ name: 'parley_http_requests_total', help: 'REST requests, by route and status', labelNames: ['route', 'status'] as const, registers: r }),
    httpDuration: new Histogram({
      name: 'parley_http_request_duration_seconds',
      help: 'REST request duration',
      labelNames: ['route'] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers: r,
    }),
    webhooksPending: new Gauge({ name: 'parley_webhooks_pending', help: 'Webhook events waiting in the durable queue', registers: r }),
    webhookDeliveries: new Counter({ name: 'parley_webhook_deliveries_total', help: 'Webhook delivery attempts, by outcome', labelNames: ['outcome'] as const, registers: r }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
