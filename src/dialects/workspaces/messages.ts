/**
 * The webRTCWorkspaces wire protocol (socket.io 2 clients): client event names and the payload
 * schemas each handler parses. Identity fields (workspace.id, attendee.id, accessToken) are checked
 * by `checkAccessToken` with the original's alert strings; the rest is validated here. Parts the
 * server only relays (SDP, candidates, call objects) stay opaque JSON.
 */
import { z } from 'zod';

export const CLIENT_EVENTS = [
  'iceservers',
  'create',
  'destroy',
  'attend',
  're-attend',
  'leave',
  'kick',
  'ring',
  'answer',
  'busy',
  'hangup',
  'icecandidate',
  'negotiation',
  'mic-toggle',
  'cam-toggle',
  'attendees',
] as const;
export type ClientEvent = (typeof CLIENT_EVENTS)[number];

const text = (max: number) => z.string().max(max);
const name = text(256);
/** Avatars are base64 images in the original; socket.io's 1 MB frame limit bounds them anyway. */
const avatar = text(512 * 1024);
const pin = z.union([z.string().max(64), z.number().transform(String)]);
/** An object whose extra keys are relayed as they are. */
const ref = z.looseObject({ id: z.string().max(64) });
const opaque = z.unknown().optional();

export const attendeeSchema = z.object({ id: z.string(), name: z.string(), avatar: z.string() });
export type Attendee = z.infer<typeof attendeeSchema>;

/** A workspace as stored (collection `workspaces`). */
export const workspaceRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  avatar: z.string(),
  owner: z.string(),
  created: z.number(),
  token: z.string(),
  ownerAttendee: attendeeSchema,
});
export type WorkspaceRecord = z.infer<typeof workspaceRecordSchema>;

const attendeeIn = z.looseObject({ id: z.string().optional(), name: name.optional(), avatar: avatar.optional() });

export const createSchema = z.looseObject({
  workspace: z.looseObject({ id: z.string().optional(), name: name.optional(), pin: pin.optional(), avatar: avatar.optional() }).optional(),
  attendee: attendeeIn.optional(),
  nonce: opaque,
});

export const attendSchema = z.looseObject({
  // any token type gets through here: a missing one and a bad one have their own alerts
  workspace: z.looseObject({ token: z.unknown().optional(), pin: pin.optional() }).optional(),
  attendee: attendeeIn.optional(),
  nonce: opaque,
});

/** re-attend, leave, destroy, attendees: identity only, plus the attendee's profile. */
export const sessionSchema = z.looseObject({ attendee: attendeeIn.optional(), nonce: opaque });

export const kickSchema = z.looseObject({ kickedAttendee: z.looseObject({ id: z.string().max(64), name: name.optional() }) });

export const ringSchema = z.looseObject({
  workspace: z.looseObject({ call: opaque }),
  attendee: z.looseObject({}),
  call: opaque,
  callee: ref,
  offer: z.looseObject({}),
  nonce: opaque,
});

export const answerSchema = z.looseObject({
  workspace: z.looseObject({}),
  attendee: z.looseObject({}),
  call: opaque,
  caller: ref,
  answer: z.looseObject({}),
  nonce: opaque,
});

export const busySchema = z.looseObject({ workspace: z.looseObject({}), attendee: z.looseObject({}), call: opaque });

export const hangupSchema = z.looseObject({ attendee: z.looseObject({}), call: opaque });

export const iceCandidateSchema = z.looseObject({ attendee: ref, broadcaster: z.looseObject({}), candidate: opaque });

export const negotiationSchema = z.looseObject({
  attendee: ref,
  broadcaster: z.looseObject({}),
  message: z.looseObject({ type: z.string().max(32), data: opaque }),
});

export const toggleSchema = z.looseObject({ attendee: z.looseObject({}), state: z.boolean() });

/** The first problem of a failed parse, for the alert. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'malformed payload';
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** Any payload as an object (the original read fields off whatever came in). */
export function asObject(raw: unknown): Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
}

/** The identity fields checkAccessToken reads: `<who>.id`, workspace.id, accessToken. */
export function identityOf(raw: unknown, who: 'attendee' | 'broadcaster' = 'attendee'): { workspaceId: unknown; attendeeId: unknown; accessToken: unknown } {
  const data = asObject(raw);
  return { workspaceId: asObject(data.workspace).id, attendeeId: asObject(data[who]).id, accessToken: data.accessToken };
}
