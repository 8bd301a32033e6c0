/**
 * The JSONgle handler table: one handler per client action, exhaustive at compile time, and one
 * per IQ query. Handlers receive a message that dispatch.ts has validated and admitted (sender
 * registered, member of the room it addresses, someone to relay to).
 */
import { countError, fail, type Ctx } from './context.js';
import {
  ack,
  describeIssue,
  helloSchema,
  iqError,
  iqResult,
  metricsSchema,
  parse,
  roomRequestSchema,
  serverAck,
  sessionInfo,
  type Envelope,
} from './messages.js';
import { DETAILS, ERROR_CODES, HELLO_QUERY, MAX_HELLO_BYTES, isIqQuery, type ClientAction, type ErrorCode, type IqQuery, type RoomKind } from './protocol.js';

export type Handler = (ctx: Ctx, message: Envelope) => void;

// ---- session-hello ----

/** The client's iq-result to the server's session-hello: stores who it is, or refuses (400001). */
function onHello(ctx: Ctx, message: Envelope): void {
  const { transaction, description } = message.jsongle;
  const refuse = (details: string): void => {
    ctx.session.send(ack(ctx.serverId, ctx.session.id, 'failed', transaction));
    fail(ctx, ERROR_CODES.BAD_PARAMETERS, details);
  };
  const parsed = parse(helloSchema, description ?? {});
  if (!parsed.success) {
    const uidMissing = description?.['uid'] === undefined || description['uid'] === '';
    refuse(uidMissing ? DETAILS.missingUid : describeIssue(parsed.error, ['description']));
    return;
  }
  if (Buffer.byteLength(JSON.stringify(parsed.data)) > MAX_HELLO_BYTES) {
    refuse(`Invalid 'description' parameter: larger than ${MAX_HELLO_BYTES} bytes`);
    return;
  }
  ctx.session.member = parsed.data;
  ctx.log.info({ session: ctx.session.id, uid: parsed.data.uid }, 'hello');
  ctx.session.send(ack(ctx.serverId, ctx.session.id, 'success', transaction));
}

function onIqResult(ctx: Ctx, message: Envelope): void {
  if (message.jsongle.query === HELLO_QUERY) return onHello(ctx, message);
  // The original ignores other iq-results too: IQs between clients are not relayed.
  ctx.log.debug({ session: ctx.session.id, query: message.jsongle.query }, 'iq-result ignored');
}

// ---- iq-set: join, muc-join, leave ----

type IqHandler = (ctx: Ctx, message: Envelope, query: IqQuery) => void;

function iqFail(ctx: Ctx, message: Envelope, errorCode: ErrorCode, details: string): void {
  countError(ctx, errorCode);
  ctx.session.send(iqError(message.to, ctx.session.id, message.jsongle.query, message.jsongle.transaction, errorCode, details));
}

/** The room id of a join or leave, or null once the iq-error is sent. */
function ridOf(ctx: Ctx, message: Envelope): string | null {
  const { description } = message.jsongle;
  const parsed = parse(roomRequestSchema, description ?? {});
  if (parsed.success) return parsed.data.rid;
  const missing = description?.['rid'] === undefined || description['rid'] === '';
  iqFail(ctx, message, ERROR_CODES.BAD_PARAMETERS, missing ? DETAILS.missingRid : describeIssue(parsed.error, ['description']));
  return null;
}

const join =
  (kind: RoomKind): IqHandler =>
  (ctx, message, query) => {
    const rid = ridOf(ctx, message);
    if (rid === null) return;
    const outcome = ctx.rooms.join(ctx.session, rid, kind);
    if (!outcome.ok) return iqFail(ctx, message, outcome.error.errorCode, outcome.error.errorDetails);
    ctx.session.send(iqResult(message.to, ctx.session.id, query, message.jsongle.transaction, { members: outcome.members, rid }));
  };

const leave: IqHandler = (ctx, message, query) => {
  const rid = ridOf(ctx, message);
  if (rid === null) return;
  const outcome = ctx.rooms.leave(ctx.session, rid, 'left');
  if (!outcome.ok) return iqFail(ctx, message, outcome.error.errorCode, outcome.error.errorDetails);
  ctx.session.send(iqResult(message.to, ctx.session.id, query, message.jsongle.transaction, { rid }));
};

export const IQ_HANDLERS = {
  'session-join': join('room'),
  'muc-join': join('muc'),
  'session-leave': leave,
} satisfies Record<IqQuery, IqHandler>;

function onIqSet(ctx: Ctx, message: Envelope): void {
  const { query } = message.jsongle;
  if (query === undefined) return iqFail(ctx, message, ERROR_CODES.BAD_PARAMETERS, "Missing 'query' parameter");
  if (!isIqQuery(query)) return iqFail(ctx, message, ERROR_CODES.NOT_FOUND, DETAILS.queryNotSupported(query));
  IQ_HANDLERS[query](ctx, message, query);
}

// ---- relays ----

/** Relayed actions go to a room; addressed to the server they would reach nobody. */
function toRoom(ctx: Ctx, message: Envelope): boolean {
  if (message.to !== ctx.serverId) return true;
  fail(ctx, ERROR_CODES.BAD_PARAMETERS, `Invalid 'to' parameter: ${message.jsongle.action ?? 'this message'} must be addressed to a room`);
  return false;
}

const relay: Handler = (ctx, message) => {
  if (toRoom(ctx, message)) ctx.rooms.relay(ctx.session, message, message.to);
};

const onPropose: Handler = (ctx, message) => {
  if (!toRoom(ctx, message)) return;
  ctx.rooms.relay(ctx.session, message, message.to);
  ctx.session.send(sessionInfo(ctx.serverId, ctx.session.id, message.jsongle, 'trying'));
};

const onAccept: Handler = (ctx, message) => {
  if (!toRoom(ctx, message)) return;
  ctx.rooms.relay(ctx.session, message, message.to);
  ctx.metrics.callsTotal.inc();
  ctx.rooms.callAccepted(message.to, message.jsongle.sid);
};

const onCallEnd: Handler = (ctx, message) => {
  if (!toRoom(ctx, message)) return;
  ctx.rooms.relay(ctx.session, message, message.to);
  ctx.rooms.callEnded(message.to, message.jsongle.sid);
};

/** session-text and session-custom: relayed, then acknowledged by the server. */
const onMessage: Handler = (ctx, message) => {
  if (!toRoom(ctx, message)) return;
  ctx.rooms.relay(ctx.session, message, message.to);
  ctx.metrics.messagesTotal.inc();
  ctx.session.send(serverAck(ctx.serverId, ctx.session.id, message));
};

const onEvent: Handler = (ctx, message) => {
  if (!toRoom(ctx, message)) return;
  ctx.rooms.relay(ctx.session, message, message.to);
  if (message.jsongle.event === 'reaction') ctx.metrics.reactionsTotal.inc();
};

/** session-metrics: counted, never relayed. */
const onMetrics: Handler = (ctx, message) => {
  const parsed = parse(metricsSchema, message.jsongle.description ?? {});
  if (!parsed.success) return fail(ctx, ERROR_CODES.BAD_PARAMETERS, describeIssue(parsed.error, ['description']));
  if (parsed.data.error === 'ice-failed') ctx.metrics.callsFailed.inc();
  if (parsed.data.duration !== undefined) ctx.metrics.callDuration.inc(parsed.data.duration);
};

export const HANDLERS = {
  'iq-set': onIqSet,
  'iq-result': onIqResult,
  'session-propose': onPropose,
  'session-info': relay,
  'session-proceed': relay,
  'session-initiate': relay,
  'transport-info': relay,
  'session-decline': onCallEnd,
  'session-retract': onCallEnd,
  'session-accept': onAccept,
  'session-terminate': onCallEnd,
  'session-text': onMessage,
  'session-custom': onMessage,
  'session-event': onEvent,
  'session-metrics': onMetrics,
} satisfies Record<ClientAction, Handler>;
