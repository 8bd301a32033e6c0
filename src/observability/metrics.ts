/**
 * Prometheus metrics (prom-client). One registry per server instance so tests can run several
 * servers in one process; every name starts with `parley_`. Subsystems with many metrics (turn/)
 * register theirs on the same registry from their own module.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SfuStats } from '../sfu/media-plane.js';

export function createMetrics(registry = new Registry()) {
  // event-loop lag sampled every 100 ms, not prom-client's default 10 ms: its timer woke the main
  // thread 100 times a second (~1% of a core at rest) to refine a metric whose alerts are in seconds
  collectDefaultMetrics({ register: registry, prefix: 'parley_', eventLoopMonitoringPrecision: 100 });
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
    nativeAddon: new Gauge({ name: 'parley_native_addon', help: 'SFU media through the native fast path (1) or the TypeScript path (0: not built, or rtc.native false)', registers: r }),
    webhooksPending: new Gauge({ name: 'parley_webhooks_pending', help: 'Webhook events waiting in the durable queue', registers: r }),
    webhookDeliveries: new Counter({ name: 'parley_webhook_deliveries_total', help: 'Webhook delivery attempts, by outcome', labelNames: ['outcome'] as const, registers: r }),
    /** SFU gauges and counters, read from the media plane at scrape time. */
    observeSfu(stats: () => Promise<SfuSnapshot>): void {
      // one stats round-trip to the media workers per scrape, shared by every gauge
      let pending: Promise<SfuSnapshot> | undefined;
      const snapshot = (): Promise<SfuSnapshot> => {
        pending ??= stats().finally(() => setImmediate(() => (pending = undefined)));
        return pending;
      };
      const gauge = (name: string, help: string, read: (s: SfuSnapshot) => number): void => {
        new Gauge({ name, help, registers: r, async collect() { this.set(read(await snapshot())); } });
      };
      gauge('parley_sfu_peers', 'Participants with media connections in SFU rooms', (s) => s.peers);
      gauge('parley_sfu_published_tracks', 'Tracks published in SFU rooms', (s) => s.publishedTracks);
      gauge('parley_sfu_subscriptions', 'Track subscriptions in SFU rooms', (s) => s.subscriptions);
      gauge('parley_sfu_rtp_packets_in_total', 'RTP packets received from publishers', (s) => s.packetsIn);
      gauge('parley_sfu_rtp_packets_in_fast_total', 'Of those, packets that skipped the media engine\'s receive chain (ADR 0010)', (s) => s.packetsInFast);
      gauge('parley_sfu_rtp_packets_out_total', 'RTP packets sent to subscribers (retransmissions included)', (s) => s.packetsOut);
      gauge('parley_sfu_workers', 'Media worker threads (0: media on the main thread)', (s) => s.workers.length);
      gauge('parley_sfu_load', 'Event-loop utilisation of the media thread (0..1), the admission-control input', (s) => s.load);
      gauge('parley_sfu_data_relayed_total', 'Data-channel messages relayed to subscribers', (s) => s.counters.dataRelayed);
      gauge('parley_sfu_data_dropped_total', 'Data-channel messages dropped (malformed, no permission, channel closed)', (s) => s.counters.dataDropped);
      gauge('parley_sfu_subscriptions_refused_total', 'Subscriptions refused by admission control', (s) => s.counters.subscriptionsRefused);
      gauge('parley_sfu_pump_packets_sent_total', 'RTP packets the media pump\'s native thread sent to subscribers itself (ADR 0011)', (s) => s.pump.sent);
      gauge('parley_sfu_pump_send_failures_total', 'Packets the media pump could not send (socket buffer full)', (s) => s.pump.sendFailures);
      gauge('parley_sfu_pump_holds_total', 'Publisher packets that were not steady and held their stream until JavaScript handled them', (s) => s.pump.held);
      gauge('parley_sfu_pump_dropped_total', 'Datagrams the media pump dropped because JavaScript fell behind', (s) => s.pump.dropped);
      gauge('parley_sfu_pump_mismatches_total', 'Packets the media pump sent that JavaScript would have rewritten differently (should stay 0)', (s) => s.pump.mismatches);
    },
  };
}

/** What the metrics read from the SFU. */
export type SfuSnapshot = Pick<SfuStats, 'peers' | 'publishedTracks' | 'subscriptions' | 'packetsIn' | 'packetsInFast' | 'packetsOut' | 'load' | 'workers' | 'counters' | 'pump'>;

export type Metrics = ReturnType<typeof createMetrics>;
