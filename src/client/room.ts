/**
 * A Parley room as seen from the browser: `Room.connect(url, token)` joins, and the room keeps
 * the participants, their tracks and the P2P mesh in step with the server's notifications (one
 * handler per notification type, in one table). See docs/sdk.md.
 */
import type { JoinResult, LeaveReason, ParticipantInfo, RoomInfo, ServerNotification, TrackInfo } from '../signaling/protocol.js';
import { TypedEmitter } from './emitter.js';
import { ParleyClientError } from './errors.js';
import { LocalParticipant } from './local-participant.js';
import { Mesh } from './mesh.js';
import { RemoteParticipant, type Participant } from './participant.js';
import { estimateQuality, type ConnectionQuality } from './quality.js';
import { parseIceServersResult, parsePublishResult, type ResumeResult } from './responses.js';
import { Session, type ConnectionState, type SessionOptions } from './session.js';
import { RemoteTrackPublication, type LocalTrackPublication, type TrackPublication } from './track.js';
import { signalingUrl } from './url.js';
import { StatsPoller } from './stats-poller.js';

export interface RoomOptions extends SessionOptions {
  /** Ms between getStats() polls for quality, speakers and `participant.stats`. Default 1000. */
  statsIntervalMs?: number;
  /** Stop local capture tracks when leaving. Default true. */
  stopTracksOnLeave?: boolean;
  /** Inbound audio level (0..1) above which a participant counts as speaking. Default 0.03. */
  speakingThreshold?: number;
}

export interface DataInfo {
  topic?: string;
  /** Server time (unix ms) when the message was relayed. */
  ts: number;
  /** Stamped by the server; null when the server or an admin sent it. */
  from: { sid: string; identity: string } | null;
}

export interface SendDataOptions {
  /** Recipients: participants, their sids or identities. Default: everyone else. */
  to?: (RemoteParticipant | string)[];
  topic?: string;
}

export type DisconnectReason = LeaveReason | 'error';

export type RoomEvents = {
  connectionStateChanged: [ConnectionState];
  /** The session ended; `error` says why when reconnecting failed. */
  disconnected: [DisconnectReason, ParleyClientError | undefined];
  participantJoined: [RemoteParticipant];
  participantLeft: [RemoteParticipant, LeaveReason];
  /** Name, metadata or permissions changed (the local participant too). */
  participantUpdated: [Participant];
  trackPublished: [RemoteTrackPublication, RemoteParticipant];
  trackUnpublished: [RemoteTrackPublication, RemoteParticipant];
  /** Remote media arrived and can be attached to a <video>/<audio> element. */
  trackSubscribed: [MediaStreamTrack, RemoteTrackPublication, RemoteParticipant];
  trackUnsubscribed: [MediaStreamTrack, RemoteTrackPublication, RemoteParticipant];
  trackMuted: [TrackPublication, Participant];
  trackUnmuted: [TrackPublication, Participant];
  localTrackPublished: [LocalTrackPublication];
  localTrackUnpublished: [LocalTrackPublication];
  dataReceived: [unknown, RemoteParticipant | undefined, DataInfo];
  connectionQualityChanged: [ConnectionQuality, Participant];
  /** Participants currently speaking, loudest first. */
  activeSpeakersChanged: [Participant[]];
  roomUpdated: [RoomInfo];
};

type NotificationHandlers = { [K in ServerNotification['type']]: (n: Extract<ServerNotification, { type: K }>) => void };

export class Room extends TypedEmitter<RoomEvents> {
  readonly localParticipant: LocalParticipant;
  /** Remote participants by sid. */
  readonly participants = new Map<string, RemoteParticipant>();
  info: RoomInfo | undefined;
  readonly #opts: RoomOptions;
  readonly #mesh: Mesh;
  readonly #stats: StatsPoller;
  #session: Session | undefined;
  /** Remote media that arrived before its track_published, by participant sid. */
  readonly #early = new Map<string, { cid: string; track: MediaStreamTrack }[]>();
  #iceTimer: ReturnType<typeof setTimeout> | undefined;

  /** Creates a room and joins it. */
  static async connect(url: string, token: string, opts: RoomOptions = {}): Promise<Room> {
    const room = new Room(opts);
    await room.connect(url, token);
    return room;
  }

  constructor(opts: RoomOptions = {}) {
    super();
    this.#opts = opts;
    this.localParticipant = new LocalParticipant({
      request: (message) => this.#requireSession().request(message),
      trackPublished: (pub) => {
        this.#mesh.addLocal(pub);
        this.emit('localTrackPublished', pub);
      },
      trackUnpublished: (pub) => {
        this.#mesh.removeLocal(pub);
        this.emit('localTrackUnpublished', pub);
      },
      trackMuteChanged: (pub) => this.emit(pub.muted ? 'trackMuted' : 'trackUnmuted', pub, this.localParticipant),
    });
    this.#mesh = new Mesh({
      sendSignal: (to, payload) => this.#session?.send({ type: 'signal', to, payload }),
      localPublications: () => this.localParticipant.trackPublications.values(),
    });
    this.#mesh.on('remoteTrack', (sid, track, cid) => this.#remoteMedia(sid, track, cid));
    this.#stats = new StatsPoller(this, this.#mesh, {
      intervalMs: opts.statsIntervalMs ?? 1000,
      speakingThreshold: opts.speakingThreshold ?? 0.03,
      estimate: estimateQuality,
    });
  }

  get state(): ConnectionState {
    return this.#session?.state ?? 'disconnected';
  }

  get name(): string {
    return this.info?.name ?? '';
  }

  get sid(): string {
    return this.info?.sid ?? '';
  }

  get metadata(): string {
    return this.info?.metadata ?? '';
  }

  getParticipantByIdentity(identity: string): RemoteParticipant | undefined {
    for (const p of this.participants.values()) if (p.identity === identity) return p;
    return undefined;
  }

  /** Joins with `token` at `url` (ws(s):// or http(s):// of the Parley server). */
  async connect(url: string, token: string): Promise<void> {
    if (this.#session && this.#session.state !== 'disconnected') throw new ParleyClientError('CONNECTION_FAILED', 'already connected');
    const session = new Session(signalingUrl(url), token, this.#opts);
    this.#session = session;
    session.on('state', (state) => {
      if (state === 'connected') this.#mesh.restartStale();
      this.emit('connectionStateChanged', state);
    });
    session.on('notification', (n) => this.#dispatch(n));
    session.on('resumed', (result) => this.#resumed(result));
    session.on('rejoined', (result) => this.#rejoined(result));
    session.on('ended', (reason, error) => this.#teardown(reason, error));
    this.emit('connectionStateChanged', 'connecting');
    await session.join((result) => this.#applyJoin(result, false));
    this.#stats.start();
  }

  /** Sends a reliable, ordered message through the server; the server stamps the sender. */
  async sendData(payload: unknown, opts: SendDataOptions = {}): Promise<void> {
    const to = opts.to?.map((t) => (typeof t === 'string' ? (this.getParticipantByIdentity(t)?.sid ?? t) : t.sid));
    await this.#requireSession().request(
      { type: 'data', payload, ...(to ? { to } : {}), ...(opts.topic !== undefined ? { topic: opts.topic } : {}) },
      true,
    );
  }

  async setName(name: string): Promise<void> {
    await this.#requireSession().request({ type: 'update_participant', name }, true);
    this.localParticipant.name = name;
    this.emit('participantUpdated', this.localParticipant);
  }

  async setMetadata(metadata: string): Promise<void> {
    await this.#requireSession().request({ type: 'update_participant', metadata }, true);
    this.localParticipant.metadata = metadata;
    this.emit('participantUpdated', this.localParticipant);
  }

  /** Leaves the room: the others see a leave at once. */
  async leave(): Promise<void> {
    await this.#session?.leave();
  }

  /** The peer connection to a remote participant (P2P mesh), for diagnostics and getStats(). */
  getPeerConnection(participantSid: string): RTCPeerConnection | undefined {
    return this.#mesh.get(participantSid)?.pc;
  }

  /** Testing aid: drops the signaling socket as a network failure would; the room resumes. */
  simulateConnectionLoss(): void {
    this.#session?.dropConnection();
  }

  #requireSession(): Session {
    if (!this.#session) throw new ParleyClientError('NOT_CONNECTED', 'call connect() first');
    return this.#session;
  }

  // ---- server notifications: one handler per type ----------------------------------------

  readonly #handlers: NotificationHandlers = {
    participant_joined: (n) => this.#upsertParticipant(n.participant, true),
    participant_left: (n) => this.#removeParticipant(n.participantSid, n.reason),
    participant_updated: (n) => this.#upsertParticipant(n.participant, true),
    track_published: (n) => {
      const p = this.participants.get(n.participantSid);
      if (p) this.#addRemoteTrack(p, n.track, true);
    },
    track_unpublished: (n) => {
      const p = this.participants.get(n.participantSid);
      const pub = p?.trackPublications.get(n.trackSid);
      if (p && pub) this.#removeRemoteTrack(p, pub);
    },
    track_muted: (n) => {
      const p = this.participants.get(n.participantSid);
      const pub = p?.trackPublications.get(n.trackSid);
      if (!p || !pub || pub.muted === n.muted) return;
      pub.muted = n.muted;
      this.emit(n.muted ? 'trackMuted' : 'trackUnmuted', pub, p);
    },
    room_updated: (n) => {
      this.info = n.room;
      this.emit('roomUpdated', n.room);
    },
    signal: (n) => {
      if (n.from !== this.localParticipant.sid) this.#mesh.handleSignal(n.from, n.payload);
    },
    data: (n) => {
      const from = n.from ? this.participants.get(n.from.sid) : undefined;
      this.emit('dataReceived', n.payload, from, { ...(n.topic !== undefined ? { topic: n.topic } : {}), ts: n.ts, from: n.from });
    },
    leave: (n) => this.#session?.end(n.reason),
  };

  #dispatch(n: ServerNotification): void {
    const handler = this.#handlers[n.type] as (n: ServerNotification) => void;
    handler(n);
  }

  // ---- join, resume, rejoin, teardown -----------------------------------------------------

  #applyJoin(result: JoinResult, announce: boolean): void {
    this.info = result.room;
    this.localParticipant.updateInfo(result.participant);
    this.#mesh.localSid = result.participant.sid;
    this.#mesh.setIceServers(result.iceServers);
    this.#scheduleIceRefresh(result.iceServersExpireAt);
    for (const info of result.participants) this.#upsertParticipant(info, announce);
  }

  #resumed(result: ResumeResult): void {
    if (result.iceServers) this.#mesh.setIceServers(result.iceServers);
    if (result.iceServersExpireAt !== undefined) this.#scheduleIceRefresh(result.iceServersExpireAt);
    // Participants are not taken from the response's snapshot: the replayed notifications that
    // follow bring the room up to date in order (a snapshot first would be rewound by them).
  }

  /** A new session: everyone we knew is gone for us; local tracks are published again. */
  #rejoined(result: JoinResult): void {
    for (const sid of [...this.participants.keys()]) this.#removeParticipant(sid, 'disconnected');
    this.#mesh.closeAll();
    this.#early.clear();
    this.#applyJoin(result, true);
    this.emit('participantUpdated', this.localParticipant);
    const local = this.localParticipant;
    for (const pub of [...local.trackPublications.values()]) {
      void this.#requireSession()
        .request({ type: 'publish_track', cid: pub.cid, kind: pub.kind, source: pub.source, name: pub.name, muted: pub.muted })
        .then((data) => {
          const { sid } = parsePublishResult(data);
          if (local.trackPublications.get(pub.sid) !== pub) return;
          local.trackPublications.delete(pub.sid);
          pub.sid = sid;
          local.trackPublications.set(sid, pub);
        })
        .catch((err: unknown) => console.warn('[parley] republishing failed', err));
    }
  }

  #teardown(reason: DisconnectReason, error: ParleyClientError | undefined): void {
    this.#stats.stop();
    clearTimeout(this.#iceTimer);
    this.#mesh.closeAll();
    this.#early.clear();
    for (const sid of [...this.participants.keys()]) this.#removeParticipant(sid, reason === 'error' ? 'disconnected' : reason);
    if (this.#opts.stopTracksOnLeave ?? true) for (const pub of this.localParticipant.trackPublications.values()) pub.track.stop();
    this.emit('disconnected', reason, error);
  }

  #scheduleIceRefresh(expireAt: number | null): void {
    clearTimeout(this.#iceTimer);
    if (expireAt === null) return;
    const remaining = expireAt - Date.now();
    const delay = Math.max(1000, remaining - Math.min(60_000, remaining * 0.2));
    this.#iceTimer = setTimeout(() => {
      this.#requireSession()
        .request({ type: 'ice_servers' }, true)
        .then((data) => {
          const { iceServers, iceServersExpireAt } = parseIceServersResult(data);
          this.#mesh.setIceServers(iceServers);
          this.#scheduleIceRefresh(iceServersExpireAt);
        })
        .catch(() => {
          if (this.state !== 'disconnected') this.#scheduleIceRefresh(Date.now() + 12_000);
        });
    }, delay);
  }

  // ---- participants and tracks ------------------------------------------------------------

  #upsertParticipant(info: ParticipantInfo, announce: boolean): void {
    if (info.sid === this.localParticipant.sid) {
      this.localParticipant.updateInfo(info);
      this.emit('participantUpdated', this.localParticipant);
      return;
    }
    const existing = this.participants.get(info.sid);
    if (!existing) {
      const p = new RemoteParticipant({ ...info, tracks: [] });
      this.participants.set(p.sid, p);
      this.#mesh.ensure(p.sid);
      if (announce) this.emit('participantJoined', p);
      for (const track of info.tracks) this.#addRemoteTrack(p, track, announce);
      return;
    }
    existing.updateInfo(info);
    const listed = new Set(info.tracks.map((t) => t.sid));
    for (const pub of [...existing.trackPublications.values()]) if (!listed.has(pub.sid)) this.#removeRemoteTrack(existing, pub);
    for (const track of info.tracks) {
      const pub = existing.trackPublications.get(track.sid);
      if (!pub) this.#addRemoteTrack(existing, track, true);
      else if (pub.muted !== track.muted) {
        pub.muted = track.muted;
        this.emit(track.muted ? 'trackMuted' : 'trackUnmuted', pub, existing);
      }
    }
    this.emit('participantUpdated', existing);
  }

  #removeParticipant(sid: string, reason: LeaveReason): void {
    const p = this.participants.get(sid);
    this.#mesh.remove(sid);
    this.#early.delete(sid);
    if (!p) return;
    for (const pub of [...p.trackPublications.values()]) this.#removeRemoteTrack(p, pub);
    this.participants.delete(sid);
    this.emit('participantLeft', p, reason);
  }

  #addRemoteTrack(p: RemoteParticipant, info: TrackInfo, announce: boolean): void {
    if (p.trackPublications.has(info.sid)) return;
    const pub = new RemoteTrackPublication(info);
    p.trackPublications.set(pub.sid, pub);
    if (announce) this.emit('trackPublished', pub, p);
    const early = this.#early.get(p.sid) ?? [];
    const index = early.findIndex((e) => e.cid === pub.cid && e.track.kind === pub.kind);
    const match = early[index];
    if (match) {
      early.splice(index, 1);
      this.#subscribe(p, pub, match.track);
    }
  }

  #removeRemoteTrack(p: RemoteParticipant, pub: RemoteTrackPublication): void {
    p.trackPublications.delete(pub.sid);
    const track = pub.track;
    pub.setTrack(undefined);
    if (track) this.emit('trackUnsubscribed', track, pub, p);
    this.emit('trackUnpublished', pub, p);
  }

  #remoteMedia(sid: string, track: MediaStreamTrack, cid: string | undefined): void {
    if (cid === undefined) return;
    const p = this.participants.get(sid);
    const pub = p?.findByCid(cid, track.kind);
    if (p && pub) {
      this.#subscribe(p, pub, track);
      return;
    }
    const early = this.#early.get(sid) ?? [];
    early.push({ cid, track });
    this.#early.set(sid, early);
  }

  #subscribe(p: RemoteParticipant, pub: RemoteTrackPublication, track: MediaStreamTrack): void {
    const previous = pub.track;
    if (previous === track) return;
    if (previous) this.emit('trackUnsubscribed', previous, pub, p);
    pub.setTrack(track);
    this.emit('trackSubscribed', track, pub, p);
  }

  /** @internal used by the stats poller. */
  emitQuality(quality: ConnectionQuality, p: Participant): void {
    this.emit('connectionQualityChanged', quality, p);
  }

  /** @internal used by the stats poller. */
  emitSpeakers(speakers: Participant[]): void {
    this.emit('activeSpeakersChanged', speakers);
  }
}
