/**
 * The rooms of this server and every rule about them: who may join, create, publish, send data;
 * what the others are told; when an empty room closes. Transport-agnostic: the native signaling
 * protocol, the REST API and the dialects all call this; it reports lifecycle events through
 * `onEvent` (webhooks, metrics) and talks to participants only through their sinks.
 */
import { ParleyError } from './errors.js';
import { canCreate, canJoin, permissionsFrom, type Grants } from './grants.js';
import { newParticipantSid, newRoomSid, newTrackSid } from './ids.js';
import { Participant, type ParticipantSink } from './participant.js';
import { Room, type RoomOptions } from './room.js';
import type { Collection, RoomRecord } from '../store/store.js';
import type { LeaveReason, ParticipantInfo, Permissions, RoomInfo, RoomType, SignalPayload, SimulcastLayer, TrackInfo, TrackKind, TrackSource } from '../signaling/protocol.js';

export type RoomEvent =
  | { type: 'room_started'; room: RoomInfo }
  | { type: 'room_finished'; room: RoomInfo }
  | { type: 'participant_joined'; room: RoomInfo; participant: ParticipantInfo }
  | { type: 'participant_left'; room: RoomInfo; participant: ParticipantInfo; reason: LeaveReason }
  | { type: 'track_published'; room: RoomInfo; participant: ParticipantInfo; track: TrackInfo }
  | { type: 'track_unpublished'; room: RoomInfo; participant: ParticipantInfo; track: TrackInfo }
  /** Not webhooks: for the media plane. */
  | { type: 'track_muted'; room: RoomInfo; participant: ParticipantInfo; track: TrackInfo }
  | { type: 'permissions_changed'; room: RoomInfo; participant: ParticipantInfo };

export interface Timers {
  /** Runs fn after ms; returns a cancel function. */
  set(fn: () => void, ms: number): () => void;
}

export interface RoomDefaults {
  /** Type of native rooms created without one; dialect rooms are always p2p. */
  defaultType: RoomType;
  maxParticipants: number;
  sfuMaxParticipants: number;
  emptyTimeout: number;
  autoCreate: boolean;
}

export interface RoomServiceDeps {
  defaults: RoomDefaults;
  clock: () => number;
  timers: Timers;
  repo?: Collection<RoomRecord>;
  onEvent: (event: RoomEvent) => void;
}

export interface CreateRoomInput {
  name: string;
  origin?: string | undefined;
  type?: RoomType | undefined;
  maxParticipants?: number | undefined;
  emptyTimeout?: number | undefined;
  metadata?: string | undefined;
}

export interface JoinInput {
  identity: string;
  name: string;
  metadata: string;
  grants: Grants;
}

export interface PublishInput {
  cid: string;
  kind: TrackKind;
  source: TrackSource;
  name?: string | undefined;
  muted?: boolean | undefined;
  width?: number | undefined;
  height?: number | undefined;
  layers?: SimulcastLayer[] | undefined;
}

export interface ParticipantUpdate {
  name?: string | undefined;
  metadata?: string | undefined;
  permissions?: Partial<Permissions> | undefined;
}

export class RoomService {
  private readonly rooms = new Map<string, Room>();
  private readonly emptyTimers = new Map<Room, () => void>();
  private readonly roomOfParticipant = new Map<Participant, Room>();

  constructor(private readonly deps: RoomServiceDeps) {}

  /** Reloads the rooms created through REST before a restart. */
  async restore(): Promise<number> {
    const records = (await this.deps.repo?.list()) ?? [];
    for (const { value: r } of records) {
      if (this.rooms.has(r.name)) continue;
      const room = new Room({ ...r, type: r.type ?? 'sfu', persistent: true, origin: 'native' });
      this.rooms.set(r.name, room);
      // shutdown reported room_finished; this process starts the room again
      this.deps.onEvent({ type: 'room_started', room: room.info() });
      this.scheduleEmptyClose(room);
    }
    return records.length;
  }

  get(name: string): Room | undefined {
    return this.rooms.get(name);
  }

  require(name: string): Room {
    const room = this.rooms.get(name);
    if (!room) throw new ParleyError('ROOM_NOT_FOUND', `room "${name}" not found`);
    return room;
  }

  list(): Room[] {
    return [...this.rooms.values()];
  }

  /** Creates a room through the REST API: it is stored and survives a restart. */
  async create(input: CreateRoomInput): Promise<Room> {
    if (this.rooms.has(input.name)) throw new ParleyError('ROOM_EXISTS', `room "${input.name}" already exists`);
    const room = this.open(input, true);
    await this.deps.repo?.put(room.name, toRecord(room.options));
    return room;
  }

  /**
   * Gets or opens a room that is not stored (closes after emptyTimeout once empty). Dialects use
   * this for their rooms so they show in the admin API, webhooks and metrics like native ones.
   */
  ensure(input: CreateRoomInput): Room {
    return this.rooms.get(input.name) ?? this.open(input, false);
  }

  async delete(name: string): Promise<void> {
    this.close(this.require(name), 'room_deleted');
    await this.deps.repo?.delete(name);
  }

  updateRoomMetadata(room: Room, metadata: string): void {
    room.options = { ...room.options, metadata };
    if (room.options.persistent) void this.deps.repo?.put(room.name, toRecord(room.options));
    room.broadcast({ type: 'room_updated', room: room.info() });
  }

  /**
   * Admits a participant into the room named by its grants, creating the room when allowed.
   * The same identity joining again replaces the old session.
   */
  join(input: JoinInput, sink: ParticipantSink, into?: Room): { room: Room; participant: Participant } {
    const roomName = input.grants.room;
    if (!roomName || !canJoin(input.grants, roomName)) throw new ParleyError('PERMISSION_DENIED', 'the token does not grant roomJoin for a room');
    let room = into ?? this.rooms.get(roomName);
    if (!room) {
      if (!this.deps.defaults.autoCreate || !canCreate(input.grants, roomName)) throw new ParleyError('ROOM_NOT_FOUND', `room "${roomName}" not found`);
      room = this.open({ name: roomName }, false);
    }
    const permissions = permissionsFrom(input.grants);
    room.checkAdmission(input.identity, permissions.hidden);
    const previous = room.findByIdentity(input.identity);
    if (previous) {
      previous.sink.end('duplicate_identity', 'the same identity joined from another connection');
      this.leave(previous, 'duplicate_identity');
    }
    const participant = new Participant(newParticipantSid(), input.identity, input.name, input.metadata, permissions, this.deps.clock(), sink);
    room.add(participant);
    this.roomOfParticipant.set(participant, room);
    this.cancelEmptyClose(room);
    if (!participant.hidden) room.broadcast({ type: 'participant_joined', participant: participant.info() }, participant);
    this.deps.onEvent({ type: 'participant_joined', room: room.info(), participant: participant.info() });
    return { room, participant };
  }

  /** Removes a participant; the others see it leave, and its tracks end. Idempotent. */
  leave(participant: Participant, reason: LeaveReason): void {
    const room = this.roomOf(participant);
    this.roomOfParticipant.delete(participant);
    if (!room || !room.remove(participant)) return;
    for (const track of participant.tracks.values()) {
      this.deps.onEvent({ type: 'track_unpublished', room: room.info(), participant: participant.info(), track });
    }
    if (!participant.hidden) room.broadcast({ type: 'participant_left', participantSid: participant.sid, identity: participant.identity, reason });
    this.deps.onEvent({ type: 'participant_left', room: room.info(), participant: participant.info(), reason });
    if (room.participants.size === 0) this.scheduleEmptyClose(room);
  }

  /** Removes a participant on an admin's request; its session is ended. */
  remove(participant: Participant): void {
    participant.sink.end('removed', 'removed by an administrator');
    this.leave(participant, 'removed');
  }

  publishTrack(participant: Participant, input: PublishInput): TrackInfo {
    const room = this.requireRoomOf(participant);
    if (!participant.permissions.canPublish) throw new ParleyError('PERMISSION_DENIED', 'the token does not grant canPublish');
    if (input.kind === 'data' && !participant.permissions.canPublishData) throw new ParleyError('PERMISSION_DENIED', 'the token does not grant canPublishData');
    const track: TrackInfo = {
      sid: newTrackSid(),
      cid: input.cid,
      kind: input.kind,
      source: input.source,
      name: input.name ?? '',
      muted: input.muted ?? false,
      ...(input.width !== undefined ? { width: input.width } : {}),
      ...(input.height !== undefined ? { height: input.height } : {}),
      ...(input.layers !== undefined && input.kind === 'video' ? { layers: input.layers.map((l) => ({ ...l })) } : {}),
    };
    participant.tracks.set(track.sid, track);
    if (!participant.hidden) room.broadcast({ type: 'track_published', participantSid: participant.sid, track }, participant);
    this.deps.onEvent({ type: 'track_published', room: room.info(), participant: participant.info(), track });
    return track;
  }

  unpublishTrack(participant: Participant, trackSid: string): void {
    const room = this.requireRoomOf(participant);
    const track = this.requireTrack(participant, trackSid);
    participant.tracks.delete(trackSid);
    if (!participant.hidden) room.broadcast({ type: 'track_unpublished', participantSid: participant.sid, trackSid }, participant);
    this.deps.onEvent({ type: 'track_unpublished', room: room.info(), participant: participant.info(), track });
  }

  /** Mutes or unmutes; `byAdmin` also tells the publisher, whose client then mutes locally. */
  muteTrack(participant: Participant, trackSid: string, muted: boolean, byAdmin = false): TrackInfo {
    const room = this.requireRoomOf(participant);
    const track = this.requireTrack(participant, trackSid);
    if (track.muted === muted) return track;
    track.muted = muted;
    const note = { type: 'track_muted', participantSid: participant.sid, trackSid, muted } as const;
    room.broadcast(note, byAdmin || participant.hidden ? undefined : participant);
    this.deps.onEvent({ type: 'track_muted', room: room.info(), participant: participant.info(), track });
    return track;
  }

  /** Updates name, metadata or permissions, live; revoking canPublish unpublishes every track. */
  updateParticipant(participant: Participant, update: ParticipantUpdate): ParticipantInfo {
    const room = this.requireRoomOf(participant);
    if (update.name !== undefined) participant.name = update.name;
    if (update.metadata !== undefined) participant.metadata = update.metadata;
    if (update.permissions) {
      participant.permissions = { ...participant.permissions, ...update.permissions };
      if (!participant.permissions.canPublish) for (const sid of [...participant.tracks.keys()]) this.unpublishTrack(participant, sid);
    }
    const info = participant.info();
    if (update.permissions) this.deps.onEvent({ type: 'permissions_changed', room: room.info(), participant: info });
    if (participant.hidden) participant.sink.deliver({ type: 'participant_updated', participant: info });
    else room.broadcast({ type: 'participant_updated', participant: info });
    return info;
  }

  /** Relays an offer/answer/candidate to another participant of the same room. */
  relaySignal(from: Participant, toSid: string, payload: SignalPayload): void {
    const room = this.requireRoomOf(from);
    const to = room.participants.get(toSid);
    if (!to || to === from) throw new ParleyError('PARTICIPANT_NOT_FOUND', `no participant ${toSid} in this room`);
    to.sink.deliver({ type: 'signal', from: from.sid, payload });
  }

  /**
   * Delivers a data message. The sender is stamped here, never taken from the client; `from` is
   * null for messages sent by the server (REST). Returns how many participants it reached.
   */
  sendData(room: Room, from: Participant | null, message: { to?: string[] | undefined; topic?: string | undefined; payload: unknown }): number {
    if (from && !from.permissions.canPublishData) throw new ParleyError('PERMISSION_DENIED', 'the token does not grant canPublishData');
    const note = {
      type: 'data',
      from: from ? { sid: from.sid, identity: from.identity } : null,
      ...(message.topic !== undefined ? { topic: message.topic } : {}),
      payload: message.payload,
      ts: this.deps.clock(),
    } as const;
    const targets = message.to && message.to.length > 0 ? message.to.map((sid) => room.participants.get(sid)) : [...room.participants.values()];
    let reached = 0;
    for (const p of targets) {
      if (!p || p === from) continue;
      p.sink.deliver(note);
      reached++;
    }
    return reached;
  }

  /** Ends every session (shutdown). */
  closeAll(reason: LeaveReason): void {
    for (const room of [...this.rooms.values()]) this.close(room, reason, false);
  }

  private open(input: CreateRoomInput, persistent: boolean): Room {
    const d = this.deps.defaults;
    const origin = input.origin ?? 'native';
    const type = input.type ?? (origin === 'native' ? d.defaultType : 'p2p');
    const options: RoomOptions = {
      name: input.name,
      sid: newRoomSid(),
      type,
      metadata: input.metadata ?? '',
      maxParticipants: input.maxParticipants ?? (type === 'sfu' ? d.sfuMaxParticipants : d.maxParticipants),
      emptyTimeout: input.emptyTimeout ?? d.emptyTimeout,
      createdAt: this.deps.clock(),
      persistent,
      origin,
    };
    const room = new Room(options);
    this.rooms.set(room.name, room);
    this.deps.onEvent({ type: 'room_started', room: room.info() });
    if (persistent) this.scheduleEmptyClose(room);
    return room;
  }

  private close(room: Room, reason: LeaveReason, forget = true): void {
    this.cancelEmptyClose(room);
    for (const p of [...room.participants.values()]) {
      p.sink.end(reason);
      this.leave(p, reason);
    }
    this.cancelEmptyClose(room);
    this.rooms.delete(room.name);
    this.deps.onEvent({ type: 'room_finished', room: room.info() });
    if (forget && room.options.persistent && reason !== 'room_deleted') void this.deps.repo?.delete(room.name);
  }

  private scheduleEmptyClose(room: Room): void {
    this.cancelEmptyClose(room);
    const cancel = this.deps.timers.set(() => {
      this.emptyTimers.delete(room);
      if (room.participants.size === 0 && this.rooms.get(room.name) === room) this.close(room, 'room_deleted');
    }, room.options.emptyTimeout * 1000);
    this.emptyTimers.set(room, cancel);
  }

  private cancelEmptyClose(room: Room): void {
    this.emptyTimers.get(room)?.();
    this.emptyTimers.delete(room);
  }

  roomOf(participant: Participant): Room | undefined {
    return this.roomOfParticipant.get(participant);
  }

  private requireRoomOf(participant: Participant): Room {
    const room = this.roomOf(participant);
    if (!room) throw new ParleyError('NOT_JOINED', 'this participant is no longer in a room');
    return room;
  }

  private requireTrack(participant: Participant, trackSid: string): TrackInfo {
    const track = participant.tracks.get(trackSid);
    if (!track) throw new ParleyError('TRACK_NOT_FOUND', `no track ${trackSid} published by ${participant.identity}`);
    return track;
  }
}

function toRecord({ persistent: _p, origin: _o, ...record }: RoomOptions): RoomRecord {
  return record;
}
