/** Errors the SDK rejects with. `code` is a server error code (docs/errors.md) or a client one. */
export type ClientErrorCode =
  | 'CONNECTION_FAILED'
  | 'CONNECTION_CLOSED'
  | 'REQUEST_TIMEOUT'
  | 'NOT_CONNECTED'
  | 'NO_PERMISSION'
  | 'MEDIA_UNAVAILABLE'
  | 'BAD_RESPONSE'
  | 'DATA_TOO_LARGE';

export class ParleyClientError extends Error {
  /** A server code such as `TOKEN_EXPIRED` or `ROOM_FULL`, or a {@link ClientErrorCode}. */
  readonly code: string;
  readonly details: unknown;

  constructor(code: ClientErrorCode | (string & {}), message: string, details?: unknown) {
    super(message);
    this.name = 'ParleyClientError';
    this.code = code;
    this.details = details;
  }
}

/** Server codes after which retrying the same session or token cannot succeed. */
export const FATAL_CODES: ReadonlySet<string> = new Set([
  'TOKEN_MISSING',
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_UNKNOWN_KEY',
  'PERMISSION_DENIED',
  'ROOM_FULL',
  'ROOM_NOT_FOUND',
  'UNSUPPORTED_VERSION',
]);
