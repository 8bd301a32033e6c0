/**
 * Calls and media negotiation: ring, answer, busy, hangup, icecandidate, negotiation, the
 * mic/cam toggles, and iceservers. Every relay is authenticated (the original left icecandidate
 * and negotiation open) and routed to the target's current connection.
 */
import { authorize, parse, stamped, type Handler } from './context.js';
import { answerSchema, busySchema, hangupSchema, iceCandidateSchema, negotiationSchema, ringSchema, toggleSchema } from './messages.js';
import type { Outcome } from './metrics.js';
import type { Workspace } from './state.js';

function sendTo(ws: Workspace, attendeeId: string, event: string, payload: unknown): Outcome {
  const target = ws.present.get(attendeeId);
  if (!target) return 'dropped';
  target.session.socket.emit(event, payload);
  return 'ok';
}

export const iceservers: Handler = async (ctx) => {
  const bound = ctx.session.bindings.values().next();
  const identity = bound.done ? `workspaces-${ctx.session.socket.id}` : bound.value;
  ctx.session.socket.emit('iceservers', ctx.app.turn.iceServers(identity).iceServers);
  return 'ok';
};

export const ring: Handler = async (ctx, raw) => {
  const auth = await authorize(ctx, raw);
  if (typeof auth === 'string') return auth;
  const d = parse(ctx, 'ring', ringSchema, raw);
  if (!d) return 'invalid';
  auth.ws.call = d.workspace.call;
  return sendTo(auth.ws, d.callee.id, 'ring', { workspace: d.workspace, caller: stamped(d.attendee, auth.claims), offer: d.offer, call: d.call, nonce: d.nonce });
};

export const answer: Handler = async (ctx, raw) => {
  const auth = await authorize(ctx, raw);
  if (typeof auth === 'string') return auth;
  const d = parse(ctx, 'answer', answerSchema, raw);
  if (!d) return 'invalid';
  return sendTo(auth.ws, d.caller.id, 'answer', { workspace: d.workspace, callee: stamped(d.attendee, auth.claims), answer: d.answer, call: d.call, nonce: d.nonce });
};

export const busy: Handler = async (ctx, raw) => {
  const auth = await authorize(ctx, raw);
  if (typeof auth === 'string') return auth;
  const d = parse(ctx, 'busy', busySchema, raw);
  if (!d) return 'invalid';
  auth.ws.emitOthers(ctx.session, auth.claims.attendeeId, 'busy', { workspace: d.workspace, callee: stamped(d.attendee, auth.claims), call: d.call });
  return 'ok';
};

export const hangup: Handler = async (ctx, raw) => {
  const auth = await authorize(ctx, raw);
  if (typeof auth === 'string') return auth;
  const d = parse(ctx, 'hangup', hangupSchema, raw);
  if (!d) return 'invalid';
  auth.ws.call = undefined;
  auth.ws.emitOthers(ctx.session, auth.claims.attendeeId, 'hangup', { attendee: stamped(d.attendee, auth.claims), call: d.call });
  return 'ok';
};

export const icecandidate: Handler = async (ctx, raw) => {
  const auth = await authorize(ctx, raw, { who: 'broadcaster' });
  if (typeof auth === 'string') return auth;
  const d = parse(ctx, 'icecandidate', iceCandidateSchema, raw);
  if (!d) return 'invalid';
  return sendTo(auth.ws, d.attendee.id, 'icecandidate', { attendee: d.attendee, broadcaster: stamped(d.broadcaster, auth.claims), candidate: d.candidate });
};

export const negotiation: Handler = async (ctx, raw) => {
  const auth = await authorize(ctx, raw, { who: 'broadcaster' });
  if (typeof auth === 'string') return auth;
  const d = parse(ctx, 'negotiation', negotiationSchema, raw);
  if (!d) return 'invalid';
  // The receiver sees the sender in `attendee`, as in the original.
  return sendTo(auth.ws, d.attendee.id, 'negotiation', { attendee: stamped(d.broadcaster, auth.claims), message: d.message });
};

function toggle(event: 'mic-toggle' | 'cam-toggle'): Handler {
  return async (ctx, raw) => {
    const auth = await authorize(ctx, raw);
    if (typeof auth === 'string') return auth;
    const d = parse(ctx, event, toggleSchema, raw);
    if (!d) return 'invalid';
    auth.ws.emitOthers(ctx.session, auth.claims.attendeeId, event, { attendee: stamped(d.attendee, auth.claims), state: d.state });
    return 'ok';
  };
}

export const micToggle = toggle('mic-toggle');
export const camToggle = toggle('cam-toggle');
