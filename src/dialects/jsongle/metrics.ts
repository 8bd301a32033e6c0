/**
 * parley_jsongle_* metrics on Parley's registry, and the flat /stats view under the original's
 * names and units (minutes, MB). Gauges are computed on scrape, so they cannot drift.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface GaugeSources {
  users(): number;
  conferences(): number;
  calls(): number;
}

export function createJsongleMetrics(registry: Registry, sources: GaugeSources) {
  const registers = [registry];
  const names: string[] = [];
  const n = (name: string): string => {
    names.push(name);
    return name;
  };
  const m = {
    users: new Gauge({ name: n('parley_jsongle_users'), help: 'JSONgle connections open now', registers, collect() { this.set(sources.users()); } }),
    usersTotal: new Counter({ name: n('parley_jsongle_users_total'), help: 'JSONgle connections accepted', registers }),
    refused: new Counter({ name: n('parley_jsongle_refused_connections_total'), help: 'JSONgle connections refused, by reason', labelNames: ['reason'] as const, registers }),
    connectedSeconds: new Counter({ name: n('parley_jsongle_connected_seconds_total'), help: 'Time JSONgle connections stayed open, summed', registers }),
    receivedBytes: new Counter({ name: n('parley_jsongle_received_bytes_total'), help: 'JSONgle messages received (serialized JSON)', registers }),
    sentBytes: new Counter({ name: n('parley_jsongle_sent_bytes_total'), help: 'JSONgle messages sent (serialized JSON)', registers }),
    conferences: new Gauge({ name: n('parley_jsongle_conferences'), help: 'JSONgle rooms with members now', registers, collect() { this.set(sources.conferences()); } }),
    conferencesTotal: new Counter({ name: n('parley_jsongle_conferences_total'), help: 'JSONgle rooms opened by a first member', registers }),
    calls: new Gauge({ name: 'parley_jsongle_p2p_calls', help: 'P2P calls accepted and not yet ended', registers, collect() { this.set(sources.calls()); } }),
    callsTotal: new Counter({ name: 'parley_jsongle_p2p_calls_total', help: 'P2P calls accepted (session-accept relayed)', registers }),
    callsFailed: new Counter({ name: 'parley_jsongle_p2p_failed_total', help: 'P2P calls reported failed (session-metrics error "ice-failed")', registers }),
    callDuration: new Counter({ name: 'parley_jsongle_p2p_duration_total', help: 'P2P call durations reported by clients (session-metrics description.duration), summed', registers }),
    messagesTotal: new Counter({ name: n('parley_jsongle_messages_total'), help: 'session-text and session-custom messages relayed', registers }),
    reactionsTotal: new Counter({ name: n('parley_jsongle_reactions_total'), help: 'Reactions relayed (session-event "reaction")', registers }),
    messagesIn: new Counter({ name: n('parley_jsongle_messages_in_total'), help: 'JSONgle messages received, by action (unsupported actions as "other")', labelNames: ['action'] as const, registers }),
    errors: new Counter({ name: n('parley_jsongle_errors_total'), help: 'JSONgle error answers sent, by error code', labelNames: ['code'] as const, registers }),
  };
  return {
    ...m,
    /** Removes every metric of this dialect from the registry (close, so a restart can register again). */
    unregister(): void {
      for (const name of names) registry.removeSingleMetric(name);
    },
    /** GET /stats: the original's flat JSON, its names and units. */
    async stats(): Promise<Record<string, number>> {
      const one = async (metric: Counter | Gauge): Promise<number> => (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);
      return {
        users_count: await one(m.users),
        users_total: await one(m.usersTotal),
        duration_total: (await one(m.connectedSeconds)) / 60,
        recv_total: (await one(m.receivedBytes)) / 1e6,
        sent_total: (await one(m.sentBytes)) / 1e6,
        conferences_count: await one(m.conferences),
        conferences_total: await one(m.conferencesTotal),
        p2p_count: await one(m.calls),
        p2p_total: await one(m.callsTotal),
        p2p_duration_total: await one(m.callDuration),
        p2p_failed_total: await one(m.callsFailed),
        messages_total: await one(m.messagesTotal),
        reactions_total: await one(m.reactionsTotal),
      };
    },
  };
}

export type JsongleMetrics = ReturnType<typeof createJsongleMetrics>;
