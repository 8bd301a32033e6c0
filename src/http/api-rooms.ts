/**
 * REST admin API for rooms and participants. Participants are addressed by identity.
 */
import { z } from 'zod';
import { ParleyError } from '../core/errors.js';
import { canAdmin, canList } from '../core/grants.js';
import type { RoomService } from '../core/room-service.js';
import type { Room } from '../core/room.js';
import { route, type RouteDef } from './routes.js';

const roomName = z.string().min(1).max(256).regex(/^[^\s/]+$/, 'room names have no spaces or slashes');
const roomParams = z.object({ room: roomName });
const participantParams = z.object({ room: roomName, identity: z.string().min(1).max(256) });
const trackParams = participantParams.extend({ track: z.string().min(1).max(64) });
const metadata = z.string().max(16 * 1024);

const createRoomBody = z
  .object({
    name: roomName,
    type: z.enum(['sfu', 'p2p']).optional(),
    maxParticipants: z.number().int().positive().max(1000).optional(),
    emptyTimeout: z.number().int().positive().max(7 * 86400).optional(),
    metadata: metadata.optional(),
  })
  .strict();

const updateParticipantBody = z
  .object({
    name: z.string().max(256).optional(),
    metadata: metadata.optional(),
    permissions: z
      .object({ canPublish: z.boolean(), canSubscribe: z.boolean(), canPublishData: z.boolean(), hidden: z.boolean() })
      .partial()
      .strict()
      .optional(),
  })
  .strict();

const sendDataBody = z
  .object({
    payload: z.unknown().refine((v) => v !== undefined, 'payload is required'),
    topic: z.string().max(256).optional(),
    /** Identities to deliver to; omitted: everyone in the room. */
    to: z.array(z.string().min(1).max(256)).max(1000).optional(),
  })
  .strict();

const admin = (t: { grants: Parameters<typeof canAdmin>[0] }, p: Record<string, string>) => canAdmin(t.grants, p.room ?? '');
const creator = (t: { grants: { roomCreate?: boolean } }) => t.grants.roomCreate === true;

function participantOf(room: Room, identity: string) {
  const p = room.findByIdentity(identity);
  if (!p) throw new ParleyError('PARTICIPANT_NOT_FOUND', `no participant "${identity}" in room "${room.name}"`);
  return p;
}

export function roomRoutes(rooms: RoomService): RouteDef[] {
  return [
    route({
      method: 'POST', url: '/api/rooms', tag: 'rooms', summary: 'Create a room (kept across restarts)', status: 201,
      access: creator, body: createRoomBody,
      handler: async ({ body }) => ({ room: (await rooms.create(body)).info() }),
    }),
    route({
      method: 'GET', url: '/api/rooms', tag: 'rooms', summary: 'List rooms',
      access: (t) => canList(t.grants) || t.grants.roomCreate === true,
      handler: () => ({ rooms: rooms.list().map((r) => r.info()) }),
    }),
    route({
      method: 'GET', url: '/api/rooms/:room', tag: 'rooms', summary: 'Get a room', access: admin, params: roomParams,
      handler: ({ params }) => ({ room: rooms.require(params.room).info() }),
    }),
    route({
      method: 'PATCH', url: '/api/rooms/:room', tag: 'rooms', summary: 'Update room metadata', access: admin, params: roomParams,
      body: z.object({ metadata }).strict(),
      handler: ({ params, body }) => {
        const room = rooms.require(params.room);
        rooms.updateRoomMetadata(room, body.metadata);
        return { room: room.info() };
      },
    }),
    route({
      method: 'DELETE', url: '/api/rooms/:room', tag: 'rooms', summary: 'Close a room, ending every session in it', access: creator, params: roomParams,
      handler: async ({ params }) => {
        await rooms.delete(params.room);
        return {};
      },
    }),
    route({
      method: 'GET', url: '/api/rooms/:room/participants', tag: 'participants', summary: 'List participants', access: admin, params: roomParams,
      handler: ({ params }) => ({ participants: [...rooms.require(params.room).participants.values()].map((p) => p.info()) }),
    }),
    route({
      method: 'GET', url: '/api/rooms/:room/participants/:identity', tag: 'participants', summary: 'Get a participant', access: admin, params: participantParams,
      handler: ({ params }) => ({ participant: participantOf(rooms.require(params.room), params.identity).info() }),
    }),
    route({
      method: 'DELETE', url: '/api/rooms/:room/participants/:identity', tag: 'participants', summary: 'Remove a participant', access: admin, params: participantParams,
      handler: ({ params }) => {
        rooms.remove(participantOf(rooms.require(params.room), params.identity));
        return {};
      },
    }),
    route({
      method: 'PATCH', url: '/api/rooms/:room/participants/:identity', tag: 'participants', summary: 'Update name, metadata or permissions (live)',
      access: admin, params: participantParams, body: updateParticipantBody,
      handler: ({ params, body }) => ({ participant: rooms.updateParticipant(participantOf(rooms.require(params.room), params.identity), body) }),
    }),
    route({
      method: 'POST', url: '/api/rooms/:room/participants/:identity/tracks/:track/mute', tag: 'participants', summary: 'Mute or unmute a published track',
      access: admin, params: trackParams, body: z.object({ muted: z.boolean() }).strict(),
      handler: ({ params, body }) => {
        const p = participantOf(rooms.require(params.room), params.identity);
        return { track: rooms.muteTrack(p, params.track, body.muted, true) };
      },
    }),
    route({
      method: 'POST', url: '/api/rooms/:room/data', tag: 'rooms', summary: 'Send a data message to the room or to chosen identities',
      access: admin, params: roomParams, body: sendDataBody,
      handler: ({ params, body }) => {
        const room = rooms.require(params.room);
        const to = body.to?.map((identity) => participantOf(room, identity).sid);
        return { reached: rooms.sendData(room, null, { to, topic: body.topic, payload: body.payload }) };
      },
    }),
  ];
}
