/** What every webRTCWorkspaces handler works with, and small helpers shared by the handlers. */
import type { z } from 'zod';
import type { AuthThrottle } from '../../auth/throttle.js';
import type { Logger } from '../../observability/logger.js';
import type { DialectDeps } from '../types.js';
import { invalidRequest } from './alerts.js';
import { describeIssue, identityOf } from './messages.js';
import type { Outcome } from './metrics.js';
import type { PresenceManager } from './presence.js';
import type { Session, Workspace, WorkspaceDirectory } from './state.js';
import type { AccessClaims, WorkspaceTokens } from './tokens.js';

export interface WorkspacesApp {
  dir: WorkspaceDirectory;
  presence: PresenceManager;
  tokens: WorkspaceTokens;
  maxAttendees: number;
  turn: DialectDeps['turn'];
  /** Slows down PIN guessing (wrong PINs per client address). */
  throttle: AuthThrottle;
  /** The client's address (X-Forwarded-For when server.trustProxy). */
  addressOf(session: Session): string;
  logger: Logger;
}

export interface Ctx {
  app: WorkspacesApp;
  session: Session;
}

export type Handler = (ctx: Ctx, raw: unknown) => Promise<Outcome>;

export function alert(ctx: Ctx, message: string): Outcome {
  ctx.session.socket.emit('alert', message);
  return 'alert';
}

/** Parses a payload; on failure alerts the sender and returns undefined. */
export function parse<T>(ctx: Ctx, event: string, schema: z.ZodType<T>, raw: unknown): T | undefined {
  const result = schema.safeParse(raw ?? {});
  if (result.success) return result.data;
  alert(ctx, invalidRequest(event, describeIssue(result.error)));
  return undefined;
}

export interface Authorized {
  claims: AccessClaims;
  ws: Workspace;
}

/**
 * checkAccessToken, then the workspace lookup (an unknown workspace answers `destroyed`, as the
 * original did). Returns undefined when the request was answered with an alert or `destroyed`.
 */
export async function authorize(ctx: Ctx, raw: unknown, opts: { ownerOnly?: boolean; who?: 'attendee' | 'broadcaster'; silent?: boolean } = {}): Promise<Authorized | 'alert' | 'destroyed'> {
  const check = await ctx.app.tokens.checkAccessToken(identityOf(raw, opts.who), opts.ownerOnly ?? false);
  if (!check.ok) {
    if (!opts.silent) alert(ctx, check.alert);
    return 'alert';
  }
  const ws = ctx.app.dir.get(check.claims.workspaceId);
  if (!ws) {
    if (!opts.silent) ctx.session.socket.emit('destroyed', {});
    return 'destroyed';
  }
  return { claims: check.claims, ws };
}

/** The client's attendee object with its id replaced by the authenticated one. */
export function stamped(attendee: Record<string, unknown>, claims: AccessClaims): Record<string, unknown> {
  return { ...attendee, id: claims.attendeeId };
}
