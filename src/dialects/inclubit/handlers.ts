/**
 * The Inclubit signaling handler table: one handler per client event, exhaustive at compile time.
 * Every handler takes the raw socket.io arguments and finds the ack callback itself: clients may
 * leave it out, and the original crashed when they did.
 */
import type { Socket } from 'socket.io';
import { CLIENT_EVENTS, metaDataSchema, roomNameSchema, signalSchema, type ClientEvent } from './messages.js';
import type { Outcome } from './metrics.js';
import type { InclubitRooms } from './rooms.js';
import { SIGNALING } from './strings.js';

export { CLIENT_EVENTS };

export interface Ctx {
  socket: Socket;
  rooms: InclubitRooms;
}

type Ack = (...args: unknown[]) => void;
type Handler = (ctx: Ctx, args: unknown[], ack: Ack | undefined) => Outcome;

function refuse(ctx: Ctx, ack: Ack | undefined, event: 'errorMessage' | 'roomFull', error: string): Outcome {
  ctx.socket.emit(event, error);
  ack?.({ error });
  return event === 'roomFull' ? 'refused' : 'invalid';
}

const join: Handler = (ctx, [roomName, metaData], ack) => {
  const name = roomNameSchema.safeParse(roomName);
  if (!name.success) return refuse(ctx, ack, 'errorMessage', SIGNALING.noRoom);
  if (typeof metaData !== 'object' || metaData === null || Array.isArray(metaData)) return refuse(ctx, ack, 'errorMessage', SIGNALING.noMetadata);
  const data = metaDataSchema.parse(metaData);
  const { socket, rooms } = ctx;
  const current = rooms.roomOf(socket);
  if (current === name.data) {
    ack?.(rooms.members(name.data));
    return 'ok';
  }
  if (current !== undefined) {
    rooms.leave(socket, 'left');
    rooms.announce(current);
  }
  const verdict = rooms.join(socket, name.data, data);
  if (!verdict.ok) return refuse(ctx, ack, 'roomFull', verdict.error);
  const members = rooms.members(name.data);
  ack?.(members);
  rooms.announce(name.data, socket);
  return 'ok';
};

const signal: Handler = (ctx, [data]) => {
  if (!signalSchema.safeParse(data).success) return 'invalid';
  return ctx.rooms.toOthers(ctx.socket, 'signal', data) ? 'ok' : 'dropped';
};

const getRoom: Handler = (ctx) => {
  const name = ctx.rooms.roomOf(ctx.socket);
  if (name === undefined) return 'dropped';
  ctx.socket.emit('room', ctx.rooms.members(name));
  return 'ok';
};

const peerObjectCreated: Handler = (ctx) => (ctx.rooms.toOthers(ctx.socket, 'peerObjectCreated') ? 'ok' : 'dropped');

const leave: Handler = (ctx, [roomName], ack) => {
  const { socket, rooms } = ctx;
  const current = rooms.roomOf(socket);
  if (current === undefined || (typeof roomName === 'string' && roomName !== current)) {
    ack?.([]);
    return 'dropped';
  }
  rooms.leave(socket, 'left');
  rooms.announce(current);
  ack?.(rooms.members(current));
  return 'ok';
};

export const handlers = { join, signal, getRoom, peerObjectCreated, leave } as const satisfies Record<ClientEvent, Handler>;

/** Splits socket.io arguments into the payload arguments and a trailing ack callback. */
export function splitAck(args: unknown[]): { args: unknown[]; ack: Ack | undefined } {
  const last = args[args.length - 1];
  return typeof last === 'function' ? { args: args.slice(0, -1), ack: last as Ack } : { args, ack: undefined };
}
