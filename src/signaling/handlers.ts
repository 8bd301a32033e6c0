/**
 * One handler per client message type of protocol v1; the table is exhaustive at compile time.
 * A handler returns the response data (sent when the request has an id) or throws a ParleyError.
 */
import { ParleyError } from '../core/errors.js';
import type { RoomService } from '../core/room-service.js';
import type { Participant } from '../core/participant.js';
import type { Room } from '../core/room.js';
import type { KeyRing } from '../auth/tokens.js';
import { verifyToken } from '../auth/tokens.js';
import type { Logger } from '../observability/logger.js';
import type { MediaPlane } from '../sfu/media-plane.js';
import { PROTOCOL_VERSION, type ClientMessage, type ClientMessageType, type IceServer, type JoinResult } from './protocol.js';
import type { Outbound } from './session.js';
import { Session } from './session.js';

export interface SignalingDeps {
  rooms: RoomService;
  keys: KeyRing;
  logger: Logger;
  version: string;
  resumeGraceMs: number;
  setTimer: (fn: () => void, ms: number) => () => void;
  /** STUN/TURN servers with fresh credentials; `host` is the host name the client reached us by. */
  iceServers: (identity: string, host: string) => { iceServers: IceServer[]; expiresAt: number | null };
  /** Called on every failed authentication; resolves after the throttle's delay or throws. */
  authFailed: (address: string, err: ParleyError) => Promise<never>;
  onJoin: (resumed: boolean) => void;
  /** The SFU media plane; without it SFU rooms refuse media requests (NOT_SFU_ROOM). */
  sfu?: MediaPlane | undefined;
}

/** Per-connection state the handlers read and change. */
export interface ConnectionState {
  readonly address: string;
  /** Host name (without port) the client connected to, for the ICE server URLs. */
  readonly host: string;
  readonly outbound: Outbound;
  session: Session | undefined;
}

/** Sessions by participant sid, for resume. */
export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();
  add(s: Session): void {
    this.sessions.set(s.participant.sid, s);
  }
  get(sid: string): Session | undefined {
    return this.sessions.get(sid);
  }
  delete(s: Session): void {
    if (this.sessions.get(s.participant.sid) === s) this.sessions.delete(s.participant.sid);
  }
  get size(): number {
    return this.sessions.size;
  }
}

type Msg<T extends ClientMessageType> = Extract<ClientMessage, { type: T }>;
type Handler<T extends ClientMessageType> = (msg: Msg<T>, conn: ConnectionState, deps: SignalingDeps, registry: SessionRegistry) => unknown;

function joined(conn: ConnectionState): { session: Session; participant: Participant } {
  const session = conn.session;
  if (!session || session.isEnded) throw new ParleyError('NOT_JOINED');
  return { session, participant: session.participant };
}

function roomOf(deps: SignalingDeps, participant: Participant): Room {
  const room = deps.rooms.roomOf(participant);
  if (!room) throw new ParleyError('NOT_JOINED', 'this participant is no longer in a room');
  return room;
}

function sfuOf(deps: SignalingDeps): MediaPlane {
  if (deps.sfu === undefined) throw new ParleyError('NOT_SFU_ROOM', 'the media plane is not running on this server');
  return deps.sfu;
}

function joinResult(deps: SignalingDeps, conn: ConnectionState, session: Session, room: Room): JoinResult {
  const p = session.participant;
  const ice = deps.iceServers(p.identity, conn.host);
  return {
    protocol: PROTOCOL_VERSION,
    room: room.info(),
    participant: p.info(),
    participants: room.visible(p).map((o) => o.info()),
    iceServers: ice.iceServers,
    iceServersExpireAt: ice.expiresAt,
    resumeToken: session.resumeToken,
    resumeGrace: deps.resumeGraceMs / 1000,
    serverVersion: deps.version,
  };
}

export const handlers = {
  async join(msg, conn, deps, registry) {
    if (conn.session && !conn.session.isEnded) throw new ParleyError('ALREADY_JOINED');
    if (msg.protocol !== undefined && msg.protocol !== PROTOCOL_VERSION) {
      throw new ParleyError('UNSUPPORTED_VERSION', `protocol ${msg.protocol} is not supported; this server speaks ${PROTOCOL_VERSION}`);
    }
    const token = await verifyToken(msg.token, deps.keys).catch((err: unknown) =>
      deps.authFailed(conn.address, err instanceof ParleyError ? err : new ParleyError('TOKEN_INVALID')),
    );
    const session = new Session(conn.outbound, (s) => registry.delete(s));
    const { room, participant } = deps.rooms.join(
      { identity: token.identity, name: token.name, metadata: token.metadata, grants: token.grants },
      session,
    );
    session.participant = participant;
    registry.add(session);
    conn.session = session;
    deps.onJoin(false);
    const sfu = deps.sfu;
    if (room.options.type === 'sfu' && sfu !== undefined) {
      // after the join response: the first subscriber offer is a notification the client expects after it
      setImmediate(() => {
        if (deps.rooms.roomOf(participant) === room) sfu.attach(room, participant, msg.autoSubscribe ?? true);
      });
    }
    return joinResult(deps, conn, session, room);
  },

  resume(msg, conn, deps, registry) {
    if (conn.session && !conn.session.isEnded) throw new ParleyError('ALREADY_JOINED');
    const session = registry.get(msg.participantSid);
    if (!session || session.resumeToken !== msg.resumeToken || session.isEnded) {
      throw new ParleyError('RESUME_FAILED', 'no session to resume; join again');
    }
    const lastSeq = msg.lastSeq ?? session.lastSeq;
    if (!session.canResume(lastSeq)) throw new ParleyError('RESUME_FAILED', 'missed messages are no longer available; join again');
    const room = roomOf(deps, session.participant);
    // The response goes out before the replayed frames so the client knows it resumed first.
    const data = { ...joinResult(deps, conn, session, room), lastSeq: session.lastSeq };
    conn.outbound.sendRaw(JSON.stringify({ type: 'response', ...(msg.id !== undefined ? { id: msg.id } : {}), data }));
    session.resume(conn.outbound, lastSeq);
    conn.session = session;
    deps.onJoin(true);
    return NO_RESPONSE;
  },

  leave(_msg, conn, deps) {
    const { session, participant } = joined(conn);
    session.finish();
    deps.rooms.leave(participant, 'left');
    conn.session = undefined;
    return {};
  },

  publish_track(msg, conn, deps) {
    const { participant } = joined(conn);
    const { type: _t, id: _i, ...input } = msg;
    return { track: deps.rooms.publishTrack(participant, input) };
  },

  unpublish_track(msg, conn, deps) {
    deps.rooms.unpublishTrack(joined(conn).participant, msg.trackSid);
    return {};
  },

  mute_track(msg, conn, deps) {
    return { track: deps.rooms.muteTrack(joined(conn).participant, msg.trackSid, msg.muted) };
  },

  signal(msg, conn, deps) {
    const { participant } = joined(conn);
    if (roomOf(deps, participant).options.type === 'sfu') throw new ParleyError('NOT_P2P_ROOM');
    deps.rooms.relaySignal(participant, msg.to, msg.payload);
    return {};
  },

  data(msg, conn, deps) {
    const { participant } = joined(conn);
    const reached = deps.rooms.sendData(roomOf(deps, participant), participant, { to: msg.to, topic: msg.topic, payload: msg.payload });
    return { reached };
  },

  update_participant(msg, conn, deps) {
    const { participant } = joined(conn);
    return { participant: deps.rooms.updateParticipant(participant, { name: msg.name, metadata: msg.metadata }) };
  },

  ice_servers(_msg, conn, deps) {
    const ice = deps.iceServers(joined(conn).participant.identity, conn.host);
    return { iceServers: ice.iceServers, iceServersExpireAt: ice.expiresAt };
  },

  ping(msg, conn) {
    conn.outbound.sendRaw(JSON.stringify({ type: 'pong', ...(msg.id !== undefined ? { id: msg.id } : {}), ...(msg.ts !== undefined ? { ts: msg.ts } : {}), serverTs: Date.now() }));
    return NO_RESPONSE;
  },
  async sfu_offer(msg, conn, deps) {
    const { participant } = joined(conn);
    return { sdp: await sfuOf(deps).publisherOffer(participant, msg.sdp, msg.tracks) };
  },

  async sfu_answer(msg, conn, deps) {
    await sfuOf(deps).subscriberAnswer(joined(conn).participant, msg.sdp);
    return {};
  },

  async sfu_candidate(msg, conn, deps) {
    await sfuOf(deps).candidate(joined(conn).participant, msg.target, msg.candidate);
    return {};
  },

  async subscribe(msg, conn, deps) {
    await sfuOf(deps).subscribe(joined(conn).participant, msg.trackSid, msg.subscribe);
    return {};
  },

  async track_settings(msg, conn, deps) {
    const { type: _t, id: _i, trackSid, ...settings } = msg;
    await sfuOf(deps).trackSettings(joined(conn).participant, trackSid, settings);
    return {};
  },
} satisfies { [T in ClientMessageType]: Handler<T> };

/** Returned by handlers that wrote their own reply. */
export const NO_RESPONSE = Symbol('no-response');

/** Message types allowed before a session exists. */
export const BEFORE_JOIN: ReadonlySet<ClientMessageType> = new Set(['join', 'resume', 'ping']);
