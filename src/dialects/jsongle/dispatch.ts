/**
 * The life of an inbound JSONgle message, in the original server's order of checks:
 * size and shape (400002, 400001), hello first (403002), membership of the addressed room (404002),
 * someone to talk to in a P2P room (`unreachable` for calls, 404003 otherwise), supported action
 * (405001), then the handler. Nothing here throws at hostile input: every refusal is a protocol answer.
 */
import { fail, type Ctx } from './context.js';
import { HANDLERS } from './handlers.js';
import { describeIssue, envelopeSchema, isObject, parse, sessionInfo } from './messages.js';
import { DETAILS, ERROR_CODES, HELLO_QUERY, MAX_MESSAGE_BYTES, isCallAction, isClientAction } from './protocol.js';

/** Serialized size of what the client sent; Infinity when it cannot be serialized (e.g. too deep). */
function sizeOf(raw: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(raw) ?? '');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

export function dispatch(ctx: Ctx, raw: unknown): void {
  const { session, serverId } = ctx;
  const bytes = sizeOf(raw);
  if (Number.isFinite(bytes)) ctx.metrics.receivedBytes.inc(bytes);
  if (!isObject(raw) || !isObject(raw['jsongle'])) return fail(ctx, ERROR_CODES.NO_JSONGLE_DATA, DETAILS.noJsongle);
  if (bytes > MAX_MESSAGE_BYTES) return fail(ctx, ERROR_CODES.BAD_PARAMETERS, DETAILS.tooLarge(bytes, MAX_MESSAGE_BYTES));

  const parsed = parse(envelopeSchema, raw);
  if (!parsed.success) return fail(ctx, ERROR_CODES.BAD_PARAMETERS, describeIssue(parsed.error));
  const message = parsed.data;
  const { action, query, namespace } = message.jsongle;

  const isHello = action === 'iq-result' && query === HELLO_QUERY;
  if (!session.registered && !isHello) return fail(ctx, ERROR_CODES.FORBIDDEN_NOT_REGISTERED, DETAILS.notRegistered);

  const rid = message.to;
  if (rid !== serverId) {
    if (!session.memberships.has(rid)) return fail(ctx, ERROR_CODES.NOT_A_MEMBER, DETAILS.notInRoom(rid));
    if (namespace !== 'muc' && ctx.rooms.size(session, rid) < 2) {
      if (action !== undefined && isCallAction(action)) {
        session.send(sessionInfo(serverId, session.id, message.jsongle, 'unreachable'));
        return;
      }
      return fail(ctx, ERROR_CODES.NO_OTHER_MEMBER, DETAILS.noOtherMember(rid));
    }
  }

  if (action === undefined || !isClientAction(action)) {
    ctx.metrics.messagesIn.inc({ action: 'other' });
    return fail(ctx, ERROR_CODES.ACTION_NOT_ALLOWED, DETAILS.notSupported(String(action)));
  }
  ctx.metrics.messagesIn.inc({ action });
  HANDLERS[action](ctx, message);
}
