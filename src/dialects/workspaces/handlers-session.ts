/**
 * Workspace lifecycle: create, attend, re-attend, leave, kick, destroy, plus `attendees` (which
 * the reference client sends and listens for, but the original never answered).
 */
import { ALERTS, DEFAULTS } from './alerts.js';
import { alert, authorize, parse, type Ctx, type Handler } from './context.js';
import { attendSchema, createSchema, kickSchema, sessionSchema, type Attendee } from './messages.js';
import { isEntityId } from './tokens.js';
import { newEntityId, type Workspace } from './state.js';

type AttendeeIn = { id?: string | undefined; name?: string | undefined; avatar?: string | undefined } | undefined;

function profile(id: string, given: AttendeeIn, fallback?: Attendee): Attendee {
  return { id, name: given?.name || fallback?.name || DEFAULTS.attendeeName, avatar: given?.avatar ?? fallback?.avatar ?? DEFAULTS.avatar };
}

/** A wrong PIN (or token) costs the guesser time; past the hard limit its connection is closed. */
async function wrongPin(ctx: Ctx): Promise<'alert'> {
  const delay = ctx.app.throttle.fail(ctx.app.addressOf(ctx.session), Date.now());
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  alert(ctx, ALERTS.wrongPin);
  if (delay < 0) ctx.session.socket.disconnect(true);
  return 'alert';
}

function full(ctx: Ctx): 'full' {
  ctx.session.socket.emit('full', {});
  return 'full';
}

/** Binds and answers; shared by attend and re-attend. */
function admit(ctx: Ctx, ws: Workspace, attendee: Attendee): boolean {
  const isOwner = attendee.id === ws.owner;
  if (!isOwner && !ws.present.has(attendee.id) && ws.count() >= ctx.app.maxAttendees) return false;
  return ctx.app.presence.bind(ws, attendee, ctx.session) === 'ok';
}

export const create: Handler = async (ctx, raw) => {
  const d = parse(ctx, 'create', createSchema, raw);
  if (!d) return 'invalid';
  const { dir, tokens } = ctx.app;
  const wantedId = d.workspace?.id;
  const id = dir.claim(isEntityId(wantedId) ? wantedId : undefined);
  const wantedOwner = d.attendee?.id;
  const owner = profile(isEntityId(wantedOwner) ? wantedOwner : newEntityId(), d.attendee);
  try {
    const [token, accessToken] = await Promise.all([tokens.workspaceToken(id, d.workspace?.pin ?? ''), tokens.accessToken(id, owner.id, owner.id)]);
    const record = { id, name: d.workspace?.name || DEFAULTS.workspaceName, avatar: d.workspace?.avatar ?? DEFAULTS.avatar, owner: owner.id, created: Date.now(), token, ownerAttendee: owner };
    const ws = await dir.create(record);
    if (!ws) return alert(ctx, 'Could not create the workspace, please retry.');
    ctx.app.presence.bind(ws, owner, ctx.session);
    ctx.app.logger.info({ workspace: ws.id, owner: owner.id }, 'workspace created');
    ctx.session.socket.emit('created', { workspace: ws.summary(), attendee: owner, accessToken, nonce: d.nonce });
    return 'ok';
  } finally {
    dir.release(id);
  }
};

export const attend: Handler = async (ctx, raw) => {
  const d = parse(ctx, 'attend', attendSchema, raw);
  if (!d) return 'invalid';
  const token = d.workspace?.token;
  if (!token) return alert(ctx, ALERTS.noWorkspaceToken);
  const id = typeof token === 'string' && token.length <= 4096 ? await ctx.app.tokens.verifyWorkspaceToken(token, d.workspace?.pin ?? '') : undefined;
  if (!id) return wrongPin(ctx);
  const ws = ctx.app.dir.get(id);
  if (!ws) {
    ctx.session.socket.emit('destroyed', {});
    return 'destroyed';
  }
  // A chosen id is kept only if it is nobody's now: claiming the owner's (or a present attendee's)
  // id here would take over their identity without their access token.
  const wanted = d.attendee?.id;
  const attendeeId = isEntityId(wanted) && wanted !== ws.owner && !ws.present.has(wanted) ? wanted : newEntityId();
  const attendee = profile(attendeeId, d.attendee);
  if (ws.count() >= ctx.app.maxAttendees) return full(ctx);
  const accessToken = await ctx.app.tokens.accessToken(ws.id, ws.owner, attendee.id);
  if (ctx.app.dir.get(id) !== ws) {
    ctx.session.socket.emit('destroyed', {});
    return 'destroyed';
  }
  if (!admit(ctx, ws, attendee)) return full(ctx);
  ctx.session.socket.emit('attendance-granted', {
    workspace: { ...ws.summary(), call: ws.call ?? null },
    attendee,
    attendees: ws.attendees(),
    accessToken,
    nonce: d.nonce,
  });
  ws.emitOthers(ctx.session, attendee.id, 'attend', attendee);
  return 'ok';
};

export const reAttend: Handler = async (ctx, raw) => {
  const auth = await authorize(ctx, raw);
  if (typeof auth === 'string') return auth;
  const d = parse(ctx, 're-attend', sessionSchema, raw);
  if (!d) return 'invalid';
  const { ws, claims } = auth;
  const known = ws.present.get(claims.attendeeId)?.attendee ?? (claims.attendeeId === ws.owner ? ws.record.ownerAttendee : undefined);
  const attendee = profile(claims.attendeeId, d.attendee, known);
  if (!admit(ctx, ws, attendee)) return full(ctx);
  ctx.session.socket.emit('re-attendance-granted', {
    workspace: ws.summary(),
    attendee,
    attendees: ws.attendees(),
    accessToken: identityToken(raw),
    nonce: d.nonce,
    call: ws.call ?? null,
  });
  ws.emitOthers(ctx.session, attendee.id, 'attend', attendee);
  return 'ok';
};

export const leave: Handler = async (ctx, raw) => {
  const auth = await authorize(ctx, raw);
  if (typeof auth === 'string') return auth;
  const { ws, claims } = auth;
  if (claims.attendeeId === ws.owner) return alert(ctx, ALERTS.ownerCannotLeave);
  const d = parse(ctx, 'leave', sessionSchema, raw);
  if (!d) return 'invalid';
  const gone = ctx.app.presence.unbind(ws, claims.attendeeId, 'left');
  ws.emitOthers(ctx.session, claims.attendeeId, 'leave', gone?.attendee ?? profile(claims.attendeeId, d.attendee));
  return 'ok';
};

export const kick: Handler = async (ctx, raw) => {
  const auth = await authorize(ctx, raw, { ownerOnly: true });
  if (typeof auth === 'string') return auth;
  const d = parse(ctx, 'kick', kickSchema, raw);
  if (!d) return 'invalid';
  const { ws } = auth;
  if (d.kickedAttendee.id === ws.owner) return alert(ctx, ALERTS.ownerCannotBeKicked);
  ctx.session.socket.emit('kicked', d.kickedAttendee);
  ws.emitOthers(ctx.session, undefined, 'kicked', d.kickedAttendee);
  ctx.app.presence.unbind(ws, d.kickedAttendee.id, 'removed');
  return 'ok';
};

export const destroy: Handler = async (ctx, raw) => {
  const auth = await authorize(ctx, raw, { ownerOnly: true });
  if (typeof auth === 'string') return auth;
  const { ws } = auth;
  const sessions = ws.sessions();
  sessions.add(ctx.session);
  await ctx.app.presence.dissolve(ws);
  await ctx.app.dir.remove(ws.id);
  ctx.app.logger.info({ workspace: ws.id }, 'workspace destroyed');
  for (const s of sessions) s.socket.emit('destroyed', {});
  return 'ok';
};

export const attendees: Handler = async (ctx, raw) => {
  // The reference client sends this on start-up, often before it has a session: stay quiet then.
  const auth = await authorize(ctx, raw, { silent: true });
  if (typeof auth === 'string') return 'dropped';
  ctx.session.socket.emit('attendees', { attendees: auth.ws.attendees() });
  return 'ok';
};

function identityToken(raw: unknown): string | undefined {
  const token = typeof raw === 'object' && raw !== null ? (raw as { accessToken?: unknown }).accessToken : undefined;
  return typeof token === 'string' ? token : undefined;
}
