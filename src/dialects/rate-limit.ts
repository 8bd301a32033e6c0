/**
 * Per-connection event rate limit for the socket.io dialects: the rule of the native protocol
 * (`signaling.maxMessagesPerSecond` on average, bursts of twice that; src/signaling/server.ts)
 * applied to every inbound socket.io event. The original servers had none, so a single client could
 * flood the process. An event beyond the limit is dropped unanswered (none of these protocols has an
 * error for it, and their clients send a few events a second) and counted in
 * `parley_dialect_events_rate_limited_total{dialect}`; a connection still flooding after
 * `DISCONNECT_AFTER` seconds' worth of dropped events in a row is disconnected.
 */
import { Counter, type Registry } from 'prom-client';
import type { Server } from 'socket.io';
import { TokenBucket } from '../signaling/rate.js';

const METRIC = 'parley_dialect_events_rate_limited_total';
/** Consecutive dropped events, in seconds at the allowed rate, before the connection is closed. */
const DISCONNECT_AFTER = 5;

/** Puts the limit on every connection of `io` (call before any client connects). */
export function limitDialectEvents(io: Server, dialect: string, perSecond: number, registry: Registry): void {
  const existing = registry.getSingleMetric(METRIC) as Counter<'dialect'> | undefined;
  const counter =
    existing ??
    new Counter({ name: METRIC, help: 'Inbound dialect events dropped by the per-connection rate limit, by dialect', labelNames: ['dialect'] as const, registers: [registry] });
  const dropped = counter.labels(dialect);
  io.on('connection', (socket) => {
    const bucket = new TokenBucket(perSecond, perSecond * 2);
    let inARow = 0;
    socket.use((_packet, next) => {
      if (bucket.take(Date.now())) {
        inARow = 0;
        next();
        return;
      }
      dropped.inc();
      if (++inARow >= perSecond * DISCONNECT_AFTER) socket.disconnect(true);
    });
  });
}
