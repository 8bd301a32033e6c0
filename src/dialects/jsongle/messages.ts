/**
 * JSONgle messages: the zod schemas every inbound message passes before use, and the builders of
 * every message the server sends. Pure. Unknown fields are kept (relays must not lose what a newer
 * client adds); `__proto__` keys are dropped by zod.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ErrorCode, RoomKind } from './protocol.js';

const shortText = z.string().max(256);
/** A JSON object (not an array, not null). */
const record = z.record(z.string(), z.unknown());

/** The envelope every inbound message must have once it is known to carry a `jsongle` object. */
export const envelopeSchema = z.looseObject({
  id: shortText.optional(),
  to: z.string().min(1).max(512),
  jsongle: z.looseObject({
    action: z.string().max(64).optional(),
    namespace: shortText.optional(),
    query: shortText.optional(),
    transaction: z.union([shortText, z.number()]).optional(),
    sid: shortText.optional(),
    reason: shortText.optional(),
    initiator: shortText.optional(),
    responder: shortText.optional(),
    event: shortText.optional(),
    description: record.optional(),
  }),
});

export type Envelope = z.infer<typeof envelopeSchema>;
export type Jsongle = Envelope['jsongle'];

/** The client's answer to the server's session-hello: who it is. */
export const helloSchema = z.looseObject({
  uid: z.union([z.string().min(1).max(256), z.number().finite()]),
  dn: shortText.optional(),
});

/** What the others see of a member: its hello description, as it sent it. */
export type MemberData = z.infer<typeof helloSchema>;

/** session-join, muc-join and session-leave all carry the room id. */
export const roomRequestSchema = z.object({ rid: z.string().min(1).max(256) });

/** session-metrics: only these two fields are read; the rest is ignored. */
export const metricsSchema = z.looseObject({
  error: z.string().max(256).optional(),
  duration: z.number().finite().min(0).max(1e9).optional(),
});

/** Turns the first zod issue into the protocol's wording: "Missing 'x' parameter" or "Invalid ...". */
export function describeIssue(error: z.ZodError, prefix: readonly (string | number)[] = []): string {
  const issue = error.issues[0];
  if (!issue) return 'Invalid message';
  const path = [...prefix, ...issue.path].map(String);
  const name = path[path.length - 1] ?? 'message';
  if (issue.code === 'invalid_type' && issue.input === undefined) return `Missing '${name}' parameter`;
  return `Invalid '${path.join('.')}' parameter: ${issue.message}`;
}

/** Parses with the input kept in issues, so a missing field can be told from a wrong one. */
export function parse<T>(schema: z.ZodType<T>, value: unknown): z.ZodSafeParseResult<T> {
  return schema.safeParse(value, { reportInput: true });
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---- what the server sends ----

export interface Outbound {
  id: string;
  from: string;
  to: string;
  [extra: string]: unknown;
  jsongle: { action: string; [field: string]: unknown };
}

export type Transaction = string | number | undefined;

const now = (): string => new Date().toJSON();

function build(from: string, to: string, jsongle: Outbound['jsongle']): Outbound {
  return { id: randomUUID(), from, to, jsongle };
}

export function helloRequest(serverId: string, to: string, description: Record<string, unknown>): Outbound {
  return build(serverId, to, { action: 'iq-get', query: 'session-hello', transaction: randomUUID(), description: { ...description, connected: now() } });
}

export function ack(serverId: string, to: string, status: 'success' | 'failed', transaction: Transaction): Outbound {
  return build(serverId, to, { action: 'ack', status, transaction });
}

export function sessionError(serverId: string, to: string, errorCode: ErrorCode, errorDetails: string): Outbound {
  return build(serverId, to, { action: 'session-error', description: { errorCode, errorDetails } });
}

export function iqResult(from: string, to: string, query: string, transaction: Transaction, description: unknown): Outbound {
  return build(from, to, { action: 'iq-result', query, transaction, description });
}

export function iqError(from: string, to: string, query: string | undefined, transaction: Transaction, errorCode: ErrorCode, errorDetails: string): Outbound {
  return build(from, to, { action: 'iq-error', query, transaction, description: { errorCode, errorDetails } });
}

export function sessionEvent(serverId: string, to: string, namespace: string, event: string, description: Record<string, unknown>): Outbound {
  return build(serverId, to, { action: 'session-event', namespace, event, description });
}

export function roomEvent(serverId: string, to: string, kind: RoomKind, event: 'joined' | 'left', member: MemberData, rid: string): Outbound {
  return sessionEvent(serverId, to, kind, event, { member, rid });
}

/** session-info `trying` (after a propose is relayed) or `unreachable` (nobody to relay to). */
export function sessionInfo(serverId: string, to: string, call: Jsongle, reason: 'trying' | 'unreachable'): Outbound {
  const description = reason === 'trying' ? { tried: now() } : { ended: now() };
  return build(serverId, to, { sid: call.sid, action: 'session-info', reason, initiator: call.initiator, responder: call.responder, description });
}

/** The server's receipt of a session-text or session-custom. */
export function serverAck(serverId: string, to: string, message: Envelope): Outbound {
  const namespace = message.jsongle.namespace ?? 'message';
  return sessionEvent(serverId, to, namespace, 'ack', { acknowledged: now(), mid: message.id, type: 'server-received' });
}

/**
 * The copy of a relayed message the members receive (`to` is set per member): `from` is the room (or
 * "<rid>/<uid>" in a MUC), and the description carries `sent` (kept if the client set it) and
 * `relayed`. A message without a description gets one, instead of crashing as the original did.
 */
export function relayed(message: Envelope, rid: string, senderUid: string | number, relayedAt: string): Outbound {
  const description = { ...message.jsongle.description };
  if (description['sent'] === undefined) description['sent'] = relayedAt;
  description['relayed'] = relayedAt;
  const from = message.jsongle.namespace === 'muc' ? `${rid}/${String(senderUid)}` : rid;
  const jsongle = { ...message.jsongle, action: message.jsongle.action ?? '', description };
  return { ...message, id: message.id ?? randomUUID(), from, to: '', jsongle };
}
