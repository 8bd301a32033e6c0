/**
 * The alert strings of the original webRTCWorkspaces server, exact (typos included: existing
 * clients may compare them). Sent as `socket.emit('alert', <string>)`.
 */
export const ALERTS = {
  workspaceId: 'Please provide a valid workspace ID.',
  attendeeId: 'Please provide a valid attendee ID.',
  invalidAccess: 'Invalid access token. Access is not allowed.',
  notOwner: 'Anauthorized operation. Abort.',
  badToken: 'Please provide a valid workspace token.',
  noWorkspaceToken: 'Please provide a valid workspace access token.',
  wrongPin: 'This workspace is protected with a PIN. Wrong PIN provided.',
  ownerCannotLeave: 'Workspace owner cannot leave. Only shutdown is allowed.',
  ownerCannotBeKicked: 'Workspace owner cannot be kicked out of workspace.',
} as const;

/** Parley's own alert for a payload that fails validation (the original crashed or misbehaved). */
export function invalidRequest(event: string, detail: string): string {
  return `Invalid ${event} request: ${detail}`;
}

/** The original's defaults (config.js). */
export const DEFAULTS = {
  workspaceName: 'Untitled Workspace',
  attendeeName: 'Anonymous Attendee',
  avatar: '',
  idLength: 10,
  delimiter: ':',
} as const;
