/**
 * JSONgle vocabulary: the one socket.io event, the actions a client may send, the IQ queries, the
 * error codes and their exact strings (clients compare them). No I/O. The wire format is described
 * in docs/dialects/jsongle.md.
 */

/** The single socket.io event name, used in both directions. */
export const JSONGLE_EVENT = 'jsongle';

/** What the original server announced in its hello; clients may display or compare it. */
export const PROTOCOL_NAME = 'jsongle-server';
export const PROTOCOL_VERSION = '2.0.2';
export const PROTOCOL_INFO = 'JSONgle Server for WebRTC signaling protocol';

/** Call actions: relayed to the other member of a P2P room, or answered `unreachable` when alone. */
export const CALL_ACTIONS = [
  'session-propose',
  'session-info',
  'session-proceed',
  'session-initiate',
  'transport-info',
  'session-decline',
  'session-retract',
  'session-accept',
  'session-terminate',
] as const;

/** Every action a client may send; anything else is answered with 405001. */
export const CLIENT_ACTIONS = [
  'iq-set',
  'iq-result',
  ...CALL_ACTIONS,
  'session-text',
  'session-custom',
  'session-event',
  'session-metrics',
] as const;

export type CallAction = (typeof CALL_ACTIONS)[number];
export type ClientAction = (typeof CLIENT_ACTIONS)[number];

export function isClientAction(action: string): action is ClientAction {
  return (CLIENT_ACTIONS as readonly string[]).includes(action);
}

export function isCallAction(action: string): action is CallAction {
  return (CALL_ACTIONS as readonly string[]).includes(action);
}

/** IQ queries a client may `iq-set` to the server. */
export const IQ_QUERIES = ['session-join', 'muc-join', 'session-leave'] as const;
export type IqQuery = (typeof IQ_QUERIES)[number];

export function isIqQuery(query: string): query is IqQuery {
  return (IQ_QUERIES as readonly string[]).includes(query);
}

export const HELLO_QUERY = 'session-hello';

/** P2P rooms (session-join) and multi-user rooms (muc-join). */
export type RoomKind = 'room' | 'muc';

export const ERROR_CODES = {
  BAD_PARAMETERS: 400001,
  NO_JSONGLE_DATA: 400002,
  FORBIDDEN_FULL: 403001,
  FORBIDDEN_NOT_REGISTERED: 403002,
  NOT_FOUND: 404001,
  NOT_A_MEMBER: 404002,
  NO_OTHER_MEMBER: 404003,
  ACTION_NOT_ALLOWED: 405001,
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export interface ErrorDescription {
  errorCode: ErrorCode;
  errorDetails: string;
}

/** The exact error strings of the original server, and Parley's own for the cases it adds. */
export const DETAILS = {
  noJsongle: "Missing property 'jsongle' in message",
  notRegistered: 'session-hello message was not received or was not complete',
  missingUid: "Missing 'uid' parameter",
  missingRid: "Missing 'rid' parameter",
  fullRoom: 'Max number of members per room already reached',
  fullMultiRoom: 'Max number of members per multi room already reached',
  tooManyRooms: (max: number) => `Max number of rooms per user already reached (${max})`,
  notInRoom: (to: string) => `Can't call - not in room ${to}`,
  noOtherMember: (to: string) => `Can't transmit message - no other member in room ${to}`,
  notSupported: (action: string) => `Message of type ${action} is not supported`,
  notMemberOf: (kind: RoomKind, rid: string) => `Not member of ${kind === 'muc' ? 'multiroom' : 'room'} ${rid}`,
  queryNotSupported: (query: string) => `The query '${query}' is not supported`,
  tooLarge: (bytes: number, limit: number) => `Message too large (${bytes} bytes, limit ${limit})`,
} as const;

/** Largest inbound message (serialized JSON) processed; larger ones get 400001. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** Largest hello description (it is copied to every member of every room joined). */
export const MAX_HELLO_BYTES = 16 * 1024;
/**
 * Rooms one connection may be in at once. The original's maxMultiRoomsPerUser (10) was never
 * enforced; without any cap one socket could open rooms without end.
 */
export const MAX_ROOMS_PER_SESSION = 50;
/** socket.io transport limit: beyond this the transport itself closes the connection. */
export const MAX_TRANSPORT_BYTES = 1024 * 1024;
