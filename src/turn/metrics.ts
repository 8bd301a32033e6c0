/** prom-client export of the shards' counters (parley_turn_*), read at scrape time. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { StatsSnapshot } from './core/stats.js';

export function registerTurnMetrics(registry: Registry, snapshot: () => StatsSnapshot): void {
  const r = [registry];
  let last: StatsSnapshot | undefined;
  const current = (): StatsSnapshot => (last = snapshot());
  const fresh = (): StatsSnapshot => last ?? current();
  new Gauge({ name: 'parley_turn_allocations_active', help: 'TURN allocations alive now', registers: r, collect() { this.set(current().allocationsActive); } });
  new Counter({ name: 'parley_turn_allocations_created_total', help: 'TURN allocations created', registers: r, collect() { this.reset(); this.inc(fresh().allocationsCreated); } });
  new Counter({
    name: 'parley_turn_relayed_packets_total', help: 'Packets relayed, by direction', labelNames: ['direction'] as const, registers: r,
    collect() { const s = fresh(); this.reset(); this.inc({ direction: 'to_peer' }, s.packetsToPeer); this.inc({ direction: 'to_client' }, s.packetsToClient); },
  });
  new Counter({
    name: 'parley_turn_relayed_bytes_total', help: 'Payload bytes relayed, by direction', labelNames: ['direction'] as const, registers: r,
    collect() { const s = fresh(); this.reset(); this.inc({ direction: 'to_peer' }, s.bytesToPeer); this.inc({ direction: 'to_client' }, s.bytesToClient); },
  });
  const labelled = (name: string, help: string, label: string, pick: (s: StatsSnapshot) => Record<string, number>) =>
    new Counter({
      name, help, labelNames: [label], registers: r,
      collect() { this.reset(); for (const [k, v] of Object.entries(pick(fresh()))) this.inc({ [label]: k }, v); },
    });
  labelled('parley_turn_auth_failures_total', 'Failed TURN authentications, by reason', 'reason', (s) => s.authFailures);
  labelled('parley_turn_refused_peers_total', 'Peer addresses refused by the policy, by reason', 'reason', (s) => s.refusedPeers);
  labelled('parley_turn_dropped_total', 'Packets dropped, by reason', 'reason', (s) => s.drops);
}

export function mergeSnapshots(list: StatsSnapshot[]): StatsSnapshot {
  const out: StatsSnapshot = { allocationsCreated: 0, allocationsActive: 0, packetsToPeer: 0, bytesToPeer: 0, packetsToClient: 0, bytesToClient: 0, authFailures: {}, refusedPeers: {}, drops: {} };
  const add = (dst: Record<string, number>, src: Record<string, number>) => {
    for (const [k, v] of Object.entries(src)) dst[k] = (dst[k] ?? 0) + v;
  };
  for (const s of list) {
    out.allocationsCreated += s.allocationsCreated;
    out.allocationsActive += s.allocationsActive;
    out.packetsToPeer += s.packetsToPeer;
    out.bytesToPeer += s.bytesToPeer;
    out.packetsToClient += s.packetsToClient;
    out.bytesToClient += s.bytesToClient;
    add(out.authFailures, s.authFailures);
    add(out.refusedPeers, s.refusedPeers);
    add(out.drops, s.drops);
  }
  return out;
}
