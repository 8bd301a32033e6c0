/**
 * Inclubit rooms: who is in which room (by socket), mirrored onto Parley's rooms
 * (`inclubit:<name>`, identity = socket id, at most 2), so they show in the admin API, webhooks and
 * metrics. Members are always read live: `getRoom` never answers a stale snapshot.
 */
import type { Socket } from 'socket.io';
import { ParleyError } from '../../core/errors.js';
import type { Participant, ParticipantSink } from '../../core/participant.js';
import type { RoomService } from '../../core/room-service.js';
import type { LeaveReason } from '../../signaling/protocol.js';
import { admit, type Admission, type MemberData } from './admission.js';
import { SIGNALING } from './strings.js';

/** A room member as the clients see it (`room` event, join ack). */
export interface MemberView {
  id: string;
  data: MemberData;
}

interface Member {
  socket: Socket;
  data: MemberData;
  participant: Participant;
}

const MAX_MEMBERS = 2;

/** Parley's room for an Inclubit room; URL-encoded, since Inclubit names are free text (spaces, slashes). */
export function parleyRoomName(name: string): string {
  return `inclubit:${encodeURIComponent(name)}`;
}

export class InclubitRooms {
  private readonly rooms = new Map<string, Map<string, Member>>();
  private readonly roomOfSocket = new Map<string, string>();

  constructor(private readonly service: RoomService) {}

  roomOf(socket: Socket): string | undefined {
    return this.roomOfSocket.get(socket.id);
  }

  members(name: string): MemberView[] {
    return [...(this.rooms.get(name)?.values() ?? [])].map((m) => ({ id: m.socket.id, data: m.data }));
  }

  /** Joins `socket` to room `name` under the 1 sender + 1 viewer rule. */
  join(socket: Socket, name: string, data: MemberData): Admission {
    const members = this.rooms.get(name) ?? new Map<string, Member>();
    const others = [...members.values()].filter((m) => m.socket !== socket).map((m) => m.data);
    const verdict = admit(others, data.sender);
    if (!verdict.ok) return verdict;
    const parleyRoom = parleyRoomName(name);
    const room = this.service.ensure({ name: parleyRoom, origin: 'inclubit', maxParticipants: MAX_MEMBERS });
    const sink: ParticipantSink = { deliver: () => undefined, end: (reason) => this.ended(socket, name, reason) };
    let participant: Participant;
    try {
      participant = this.service.join({ identity: socket.id, name: data.nick, metadata: '', grants: { room: parleyRoom, roomJoin: true } }, sink, room).participant;
    } catch (err) {
      if (err instanceof ParleyError && err.code === 'ROOM_FULL') return { ok: false, error: SIGNALING.roomFull };
      throw err;
    }
    members.set(socket.id, { socket, data, participant });
    this.rooms.set(name, members);
    this.roomOfSocket.set(socket.id, name);
    return { ok: true };
  }

  /** Removes `socket` from its room; returns the room name, or undefined if it was in none. */
  leave(socket: Socket, reason: LeaveReason): string | undefined {
    const name = this.roomOfSocket.get(socket.id);
    if (name === undefined) return undefined;
    const member = this.forget(socket, name);
    if (member) this.service.leave(member.participant, reason);
    return name;
  }

  /** Tells every member of `name` who is in it now. */
  announce(name: string, except?: Socket): void {
    const view = this.members(name);
    for (const m of this.rooms.get(name)?.values() ?? []) if (m.socket !== except) m.socket.emit('room', view);
  }

  /** Sends to the other members of the socket's room. */
  toOthers(socket: Socket, event: string, ...args: unknown[]): boolean {
    const name = this.roomOfSocket.get(socket.id);
    if (name === undefined) return false;
    for (const m of this.rooms.get(name)?.values() ?? []) if (m.socket !== socket) m.socket.emit(event, ...args);
    return true;
  }

  /** Parley ended the session (an admin removed it, the room was deleted, shutdown). */
  private ended(socket: Socket, name: string, reason: LeaveReason): void {
    if (!this.forget(socket, name)) return;
    this.announce(name);
    if (reason !== 'duplicate_identity') socket.disconnect(true);
  }

  private forget(socket: Socket, name: string): Member | undefined {
    const members = this.rooms.get(name);
    const member = members?.get(socket.id);
    if (!members || !member) return undefined;
    members.delete(socket.id);
    if (members.size === 0) this.rooms.delete(name);
    this.roomOfSocket.delete(socket.id);
    return member;
  }
}
