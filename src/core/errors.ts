/**
 * The one error type of Parley. Every error that crosses a boundary (a REST response, a signaling
 * error frame, a boot failure) carries a stable code from this catalog; docs/errors.md lists them.
 *
 * The kind maps to an HTTP status; the code is what clients match on.
 */
export type ErrorKind =
  | 'bad_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

const STATUS: Record<ErrorKind, number> = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** Catalog of codes: code -> [kind, default message]. Add here and in docs/errors.md together. */
export const ERRORS = {
  // protocol / input
  BAD_JSON: ['bad_request', 'message is not valid JSON'],
  BAD_MESSAGE: ['bad_request', 'message failed validation'],
  UNKNOWN_TYPE: ['bad_request', 'unknown message type'],
  UNSUPPORTED_VERSION: ['bad_request', 'unsupported protocol version'],
  FRAME_TOO_LARGE: ['too_large', 'frame exceeds the size limit'],
  NOT_JOINED: ['bad_request', 'join a room before sending this request'],
  ALREADY_JOINED: ['conflict', 'this connection has already joined a room'],
  VALIDATION: ['bad_request', 'request failed validation'],
  // auth
  TOKEN_MISSING: ['unauthenticated', 'an access token is required'],
  TOKEN_INVALID: ['unauthenticated', 'the access token is invalid'],
  TOKEN_EXPIRED: ['unauthenticated', 'the access token has expired'],
  TOKEN_UNKNOWN_KEY: ['unauthenticated', 'the access token is signed with an unknown API key'],
  AUTH_RATE_LIMITED: ['rate_limited', 'too many failed authentication attempts; slow down'],
  RATE_LIMITED: ['rate_limited', 'too many requests on this connection; the request was dropped'],
  PERMISSION_DENIED: ['forbidden', 'the token does not grant this'],
  DEV_TOKENS_DISABLED: ['forbidden', 'the development token endpoint is off because API keys are configured'],
  // rooms
  ROOM_NOT_FOUND: ['not_found', 'room not found'],
  ROOM_EXISTS: ['conflict', 'room already exists'],
  ROOM_FULL: ['forbidden', 'room is full'],
  PARTICIPANT_NOT_FOUND: ['not_found', 'participant not found'],
  TRACK_NOT_FOUND: ['not_found', 'track not found'],
  RESUME_FAILED: ['not_found', 'no session to resume'],
  // media
  NOT_SFU_ROOM: ['bad_request', 'this request is only valid in an SFU room'],
  NOT_P2P_ROOM: ['bad_request', 'peer-to-peer signal messages are not relayed in an SFU room'],
  SDP_INVALID: ['bad_request', 'the session description could not be applied'],
  MEDIA_OVERLOADED: ['unavailable', 'the media server is at capacity; try again later'],
  // operations
  NOT_FOUND: ['not_found', 'route not found'],
  SHUTTING_DOWN: ['unavailable', 'server is shutting down'],
  INTERNAL: ['internal', 'internal error'],
  CONFIG_INVALID: ['bad_request', 'configuration is invalid'],
} as const satisfies Record<string, readonly [ErrorKind, string]>;

export type ErrorCode = keyof typeof ERRORS;

export class ParleyError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, details?: unknown) {
    const [kind, fallback] = ERRORS[code];
    super(message ?? fallback);
    this.name = 'ParleyError';
    this.code = code;
    this.kind = kind;
    this.details = details;
  }

  get status(): number {
    return STATUS[this.kind];
  }

  toJSON(): { code: ErrorCode; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function statusOf(kind: ErrorKind): number {
  return STATUS[kind];
}

/** Wraps anything thrown into a ParleyError, keeping coded errors as they are. */
export function asParleyError(err: unknown): ParleyError {
  if (err instanceof ParleyError) return err;
  return new ParleyError('INTERNAL');
}
