/** The webRTCWorkspaces handler table: one handler per client event, exhaustive at compile time. */
import type { Handler } from './context.js';
import { answer, busy, camToggle, hangup, icecandidate, iceservers, micToggle, negotiation, ring } from './handlers-call.js';
import { attend, attendees, create, destroy, kick, leave, reAttend } from './handlers-session.js';
import type { ClientEvent } from './messages.js';

export const handlers = {
  iceservers,
  create,
  destroy,
  attend,
  're-attend': reAttend,
  leave,
  kick,
  ring,
  answer,
  busy,
  hangup,
  icecandidate,
  negotiation,
  'mic-toggle': micToggle,
  'cam-toggle': camToggle,
  attendees,
} as const satisfies Record<ClientEvent, Handler>;
