/**
 * What a handler works with: the session that sent the message, the rooms, metrics and log, and
 * the replies every handler shares (a session-error is also counted by code).
 */
import type { DialectLog } from './logs.js';
import { sessionError } from './messages.js';
import type { JsongleMetrics } from './metrics.js';
import type { ErrorCode } from './protocol.js';
import type { JsongleRooms } from './rooms.js';
import type { JsongleSession } from './session.js';

export interface Ctx {
  session: JsongleSession;
  serverId: string;
  rooms: JsongleRooms;
  metrics: JsongleMetrics;
  log: DialectLog;
}

/** Sends the sender a session-error. */
export function fail(ctx: Ctx, errorCode: ErrorCode, errorDetails: string): void {
  ctx.metrics.errors.inc({ code: String(errorCode) });
  ctx.log.debug({ session: ctx.session.id, errorCode, errorDetails }, 'session-error');
  ctx.session.send(sessionError(ctx.serverId, ctx.session.id, errorCode, errorDetails));
}

/** Counts an error answered in another shape (iq-error, failed ack). */
export function countError(ctx: Ctx, errorCode: ErrorCode): void {
  ctx.metrics.errors.inc({ code: String(errorCode) });
}
