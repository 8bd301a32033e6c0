/**
 * The Inclubit 360 wire formats: signaling events (socket.io 4) and the auth API bodies.
 */
import { z } from 'zod';

export const CLIENT_EVENTS = ['join', 'signal', 'getRoom', 'peerObjectCreated', 'leave'] as const;
export type ClientEvent = (typeof CLIENT_EVENTS)[number];

export const roomNameSchema = z.string().min(1).max(256);

/** join's metaData; a wrong-typed nick or sender falls back rather than failing the join. */
export const metaDataSchema = z.object({
  nick: z.string().max(256).catch(''),
  sender: z.boolean().catch(false),
});

/** simple-peer signal data (offer/answer/candidate/renegotiate/transceiverRequest), relayed as is. */
export const signalSchema = z.looseObject({ type: z.string().max(64).optional() });

/** A username: it ends up in TURN usernames (`<expiry>:<user>`) and basic auth, so no colon. */
export const usernameSchema = z.string().min(1).max(128).regex(/^[^:\u0000-\u001f]+$/, 'a username has no colon or control character');

export const userInputSchema = z.looseObject({
  password: z.string().max(1024).optional(),
  canCreateRooms: z.boolean().optional(),
});
export type UserInput = z.infer<typeof userInputSchema>;

/** Bodies of set-users, add-users, update-users: `{ "<username>": { password, canCreateRooms } }`. */
export const usersBodySchema = z.record(z.string(), userInputSchema);

/** Body of delete-users: a list of usernames. */
export const deleteBodySchema = z.array(z.string());

/** A user as stored (collection `inclubit_users`, id = username). */
export const storedUserSchema = z.object({ passwordHash: z.string(), canCreateRooms: z.boolean() });
export type StoredUser = z.infer<typeof storedUserSchema>;
