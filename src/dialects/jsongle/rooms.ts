/**
 * JSONgle rooms on Parley's rooms: a JSONgle room `rid` is the Parley room "jsongle:<rid>" (origin
 * "jsongle"), each member a Parley participant whose identity is its socket id. Parley's room
 * notifications (participant_joined / participant_left) become the JSONgle `session-event` notices,
 * so a member removed or a room closed through the admin API is announced like a leave.
 */
import { ParleyError } from '../../core/errors.js';
import type { Participant, ParticipantSink } from '../../core/participant.js';
import type { RoomService } from '../../core/room-service.js';
import type { ServerNotification } from '../../signaling/protocol.js';
import type { DialectLog } from './logs.js';
import { relayed, roomEvent, type Envelope, type MemberData } from './messages.js';
import type { JsongleMetrics } from './metrics.js';
import { DETAILS, ERROR_CODES, MAX_ROOMS_PER_SESSION, type ErrorDescription, type RoomKind } from './protocol.js';
import type { JsongleSession, Membership, Sessions } from './session.js';

export const ROOM_PREFIX = 'jsongle:';
/** The original's convention for MUC room ids; only used to word the "not a member" error. */
export const MULTI_ROOM_PREFIX = '#muc#';

export interface JsongleRoomsDeps {
  rooms: RoomService;
  sessions: Sessions;
  serverId: string;
  limits: Record<RoomKind, number>;
  metrics: JsongleMetrics;
  log: DialectLog;
}

export type JoinOutcome = { ok: true; members: MemberData[] } | { ok: false; error: ErrorDescription };

export class JsongleRooms {
  /** Calls accepted and not yet ended, by room id: the p2p_count gauge. */
  private readonly calls = new Map<string, Set<string>>();

  constructor(private readonly deps: JsongleRoomsDeps) {}

  /**
   * Adds the session to room `rid`: the members already there are told (session-event joined)
   * by Parley's room broadcast. Joining a room one is already in answers again, without notices.
   */
  join(session: JsongleSession, rid: string, kind: RoomKind): JoinOutcome {
    const existing = session.memberships.get(rid);
    if (existing) return { ok: true, members: this.othersOf(existing) };
    if (session.memberships.size >= MAX_ROOMS_PER_SESSION) {
      return { ok: false, error: { errorCode: ERROR_CODES.FORBIDDEN_FULL, errorDetails: DETAILS.tooManyRooms(MAX_ROOMS_PER_SESSION) } };
    }
    const name = ROOM_PREFIX + rid;
    const max = this.deps.limits[kind];
    const full = (): JoinOutcome => ({ ok: false, error: { errorCode: ERROR_CODES.FORBIDDEN_FULL, errorDetails: kind === 'muc' ? DETAILS.fullMultiRoom : DETAILS.fullRoom } });
    const open = this.deps.rooms.get(name);
    if (open && open.visibleCount >= max) return full();
    const room = open ?? this.deps.rooms.ensure({ name, origin: 'jsongle', maxParticipants: max });
    const first = room.participants.size === 0;
    const member = session.member ?? { uid: session.id };
    const self: { participant?: Participant } = {};
    let participant: Participant;
    try {
      const joined = this.deps.rooms.join(
        { identity: session.id, name: member.dn ?? String(member.uid), metadata: '', grants: { room: name, roomJoin: true } },
        this.sink(session, rid, kind, self),
        room,
      );
      participant = joined.participant;
    } catch (err) {
      if (err instanceof ParleyError && err.code === 'ROOM_FULL') return full();
      throw err;
    }
    self.participant = participant;
    const membership: Membership = { rid, kind, room, participant };
    session.memberships.set(rid, membership);
    if (first) this.deps.metrics.conferencesTotal.inc();
    this.deps.log.info({ session: session.id, rid, kind }, 'joined');
    return { ok: true, members: this.othersOf(membership) };
  }

  /** Removes the session from room `rid`; the others get session-event left. */
  leave(session: JsongleSession, rid: string, reason: 'left' | 'disconnected'): { ok: true } | { ok: false; error: ErrorDescription } {
    const membership = session.memberships.get(rid);
    if (!membership) {
      const kind: RoomKind = rid.startsWith(MULTI_ROOM_PREFIX) ? 'muc' : 'room';
      return { ok: false, error: { errorCode: ERROR_CODES.NOT_A_MEMBER, errorDetails: DETAILS.notMemberOf(kind, rid) } };
    }
    session.memberships.delete(rid);
    this.deps.rooms.leave(membership.participant, reason);
    this.settleCalls(membership);
    this.deps.log.info({ session: session.id, rid, reason }, 'left');
    return { ok: true };
  }

  /** On disconnect: leaves every room. */
  leaveAll(session: JsongleSession): void {
    for (const rid of [...session.memberships.keys()]) this.leave(session, rid, 'disconnected');
  }

  /** How many participants room `rid` has (as the sender sees it; 0 when it is not a member). */
  size(session: JsongleSession, rid: string): number {
    return session.memberships.get(rid)?.room.participants.size ?? 0;
  }

  /** Relays a message to every other JSONgle member of `rid`, stamped; returns how many got it. */
  relay(session: JsongleSession, message: Envelope, rid: string): number {
    const membership = session.memberships.get(rid);
    if (!membership || !session.member) return 0;
    const copy = relayed(message, rid, session.member.uid, new Date().toJSON());
    let reached = 0;
    for (const p of membership.room.participants.values()) {
      if (p === membership.participant) continue;
      const target = this.deps.sessions.behind(p, rid);
      if (!target) continue;
      target.send({ ...copy, to: target.id });
      reached++;
    }
    return reached;
  }

  callAccepted(rid: string, sid: string | undefined): void {
    const calls = this.calls.get(rid) ?? new Set<string>();
    calls.add(sid ?? '');
    this.calls.set(rid, calls);
  }

  callEnded(rid: string, sid: string | undefined): void {
    const calls = this.calls.get(rid);
    calls?.delete(sid ?? '');
    if (calls?.size === 0) this.calls.delete(rid);
  }

  activeCalls(): number {
    let n = 0;
    for (const calls of this.calls.values()) n += calls.size;
    return n;
  }

  /** JSONgle rooms with at least one member. */
  activeRooms(): number {
    return this.deps.rooms.list().filter((r) => r.options.origin === 'jsongle' && r.participants.size > 0).length;
  }

  private othersOf(membership: Membership): MemberData[] {
    return membership.room.visible(membership.participant).map((p) => this.memberOf(p.identity, p.name));
  }

  /** A member as the others see it: its hello description (a native participant: its identity). */
  private memberOf(identity: string, name?: string): MemberData {
    return this.deps.sessions.get(identity)?.member ?? { uid: identity, ...(name ? { dn: name } : {}) };
  }

  /** A call cannot outlive the room having two members. */
  private settleCalls(membership: Membership): void {
    if (membership.room.participants.size < 2) this.calls.delete(membership.rid);
  }

  private sink(session: JsongleSession, rid: string, kind: RoomKind, self: { participant?: Participant }): ParticipantSink {
    const { serverId } = this.deps;
    return {
      deliver: (n: ServerNotification) => {
        if (n.type === 'participant_joined') session.send(roomEvent(serverId, session.id, kind, 'joined', this.memberOf(n.participant.identity, n.participant.name), rid));
        else if (n.type === 'participant_left') session.send(roomEvent(serverId, session.id, kind, 'left', this.memberOf(n.identity), rid));
      },
      end: (reason) => {
        const membership = session.memberships.get(rid);
        if (!membership || membership.participant !== self.participant) return;
        session.memberships.delete(rid);
        if (membership.room.participants.size <= 2) this.calls.delete(rid);
        this.deps.log.info({ session: session.id, rid, reason }, 'removed from the room by the server');
      },
    };
  }
}
