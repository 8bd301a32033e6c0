/**
 * A Parley room as seen from the browser: `Room.connect(url, token)` joins, and the room keeps
 * the participants, their tracks and the media plane in step with the server's notifications (one
 * handler per notification type, in one table). The media plane follows the join result's
 * `room.type`: a P2P mesh (mesh.ts) or the SFU connections (sfu/sfu-client.ts). See docs/sdk.md.
 */
import type { JoinResult, RoomInfo, RoomType, ServerNotification, TrackSource } from '../signaling/protocol.js';
import { TypedEmitter } from './emitter.js';
import { ParleyClientError } from './errors.js';
import { LocalParticipant } from './local-participant.js';
import type { MediaPlane } from './media-plane.js';
import { Mesh } from './mesh.js';
import type { Participant, RemoteParticipant } from './participant.js';
import { estimateQuality, type ConnectionQuality } from './quality.js';
import { parseIceServersResult, parsePublishResult, type ResumeResult } from './responses.js';
import { Session, type ConnectionState, type SessionOptions } from './session.js';
import { signalingUrl } from './url.js';
import { StatsPoller } from './stats-poller.js';
import { Roster } from './roster.js';
import type { DisconnectReason, RoomEvents, SendDataOptions } from './events.js';
import { connectSfu } from './sfu/room-link.js';
import type { SfuClient } from './sfu/sfu-client.js';
import type { SubscriptionControl } from './track.js';

export type { DataInfo, DisconnectReason, RoomEvents, SendDataOptions } from './events.js';

export interface RoomOptions extends SessionOptions {
  /** Ms between getStats() polls for quality, speakers and `participant.stats`. Default 1000. */
  statsIntervalMs?: number;
  /** Stop local capture tracks when leaving. Default true. */
  stopTracksOnLeave?: boolean;
  /** Inbound audio level (0..1) above which a participant counts as speaking (P2P rooms). Default 0.03. */
  speakingThreshold?: number;
  /** SFU rooms: send cameras as simulcast (three layers from 540p, two from 360p). Default true. */
  simulcast?: boolean;
  /**
   * SFU rooms: report the size at which remote videos are shown (the server then sends a layer
   * that fits) and pause videos whose every element is hidden. Default true.
   */
  adaptiveStream?: boolean;
}

type NotificationHandlers = { [K in ServerNotification['type']]: (n: Extract<ServerNotification, { type: K }>) => void };

export class Room extends TypedEmitter<RoomEvents> {
  readonly localParticipant: LocalParticipant;
  info: RoomInfo | undefined;
  readonly #opts: RoomOptions;
  readonly #mesh: Mesh;
  readonly #stats: StatsPoller;
  readonly #roster: Roster;
  #session: Session | undefined;
  #iceTimer: ReturnType<typeof setTimeout> | undefined;
  /** The SFU connections while in an SFU room. */
  #sfu: SfuClient | undefined;
  #activeSpeaker: Participant | undefined;

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
      publishFields: (track, source) => this.#publishFields(track, source),
      trackPublished: (pub) => {
        this.media.addLocal(pub);
        this.emit('localTrackPublished', pub);
      },
      trackUnpublished: (pub) => {
        this.media.removeLocal(pub);
        this.emit('localTrackUnpublished', pub);
      },
      trackMuteChanged: (pub) => this.emit(pub.muted ? 'trackMuted' : 'trackUnmuted', pub, this.localParticipant),
    });
    this.#mesh = new Mesh({
      sendSignal: (to, payload) => this.#session?.send({ type: 'signal', to, payload }),
      localPublications: () => this.localParticipant.trackPublications.values(),
    });
    const control: SubscriptionControl = {
      setSubscribed: async (pub, subscribed) => this.#sfu?.setSubscribed(pub, subscribed),
      settingsChanged: (pub) => this.#sfu?.settingsChanged(pub),
    };
    this.#roster = new Roster({
      media: { participantPresent: (sid) => this.media.participantPresent(sid), participantGone: (sid) => this.media.participantGone(sid) },
      local: this.localParticipant,
      emit: (event, ...args) => this.emit(event, ...args),
      control,
    });
    this.#mesh.on('remoteTrack', (sid, track, cid) => this.#roster.remoteMedia(sid, track, cid));
    this.#stats = new StatsPoller(this, {
      intervalMs: opts.statsIntervalMs ?? 1000,
      speakingThreshold: opts.speakingThreshold ?? 0.03,
      estimate: estimateQuality,
    });
  }

  /** Remote participants by sid. */
  get participants(): ReadonlyMap<string, RemoteParticipant> {
    return this.#roster.participants;
  }

  /** How media flows: `sfu` through the server, `p2p` in a mesh (known once joined). */
  get type(): RoomType | undefined {
    return this.info?.type;
  }

  /** @internal the current media plane (the stats poller reads it). */
  get media(): MediaPlane {
    return this.#sfu ?? this.#mesh;
  }

  /** @internal the poller works out speakers only in P2P rooms; the SFU announces them. */
  get detectSpeakers(): boolean {
    return this.#sfu === undefined;
  }

  /** SFU rooms: the loudest participant as the server last announced (undefined: nobody). */
  get activeSpeaker(): Participant | undefined {
    return this.#activeSpeaker;
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
      if (state === 'connected') this.media.restartStale();
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

  /**
   * Sends a message to the others through the server, which stamps the sender. SFU rooms use the
   * data channel (`reliable: false` for the lossy one) and fall back to signaling while it is not
   * open; P2P rooms use signaling (reliable, ordered).
   */
  async sendData(payload: unknown, opts: SendDataOptions = {}): Promise<void> {
    const to = opts.to?.map((t) => (typeof t === 'string' ? (this.getParticipantByIdentity(t)?.sid ?? t) : t.sid));
    const session = this.#requireSession();
    const fields = { ...(to ? { to } : {}), ...(opts.topic !== undefined ? { topic: opts.topic } : {}) };
    if (this.#sfu?.sendData(payload, { ...fields, reliable: opts.reliable ?? true })) return;
    await session.request(
      { type: 'data', payload, ...fields },
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

  /**
   * The peer connection that brings a remote participant's media, for diagnostics and getStats():
   * in a P2P room the one to that participant, in an SFU room the subscriber connection.
   */
  getPeerConnection(participantSid: string): RTCPeerConnection | undefined {
    return this.media.peerConnection(participantSid);
  }

  /** SFU rooms: the publisher and subscriber connections with the server. */
  getSfuConnections(): { publisher: RTCPeerConnection; subscriber: RTCPeerConnection } | undefined {
    return this.#sfu ? { publisher: this.#sfu.publisher.pc, subscriber: this.#sfu.subscriber.pc } : undefined;
  }

  /**
   * Restarts ICE on the connections this client offers (after a network change): every mesh link
   * in a P2P room, the publisher connection in an SFU room (the server restarts the subscriber's).
   */
  restartIce(): void {
    if (this.#sfu) this.#sfu.publisher.restartIce();
    else for (const sid of this.#mesh.sids()) this.#mesh.get(sid)?.restartIce();
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
    participant_joined: (n) => this.#roster.upsert(n.participant, true),
    participant_left: (n) => this.#roster.remove(n.participantSid, n.reason),
    participant_updated: (n) => this.#roster.upsert(n.participant, true),
    track_published: (n) => this.#roster.trackPublished(n.participantSid, n.track),
    track_unpublished: (n) => this.#roster.trackUnpublished(n.participantSid, n.trackSid),
    track_muted: (n) => this.#roster.trackMuted(n.participantSid, n.trackSid, n.muted),
    room_updated: (n) => {
      this.info = n.room;
      this.emit('roomUpdated', n.room);
    },
    signal: (n) => {
      if (!this.#sfu && n.from !== this.localParticipant.sid) this.#mesh.handleSignal(n.from, n.payload);
    },
    data: (n) => {
      const from = n.from ? this.participants.get(n.from.sid) : undefined;
      this.emit('dataReceived', n.payload, from, { ...(n.topic !== undefined ? { topic: n.topic } : {}), ts: n.ts, from: n.from, via: 'signaling' });
    },
    sfu_offer: (n) => this.#sfu?.subscriber.handleOffer(n.sdp, n.tracks),
    sfu_candidate: (n) => {
      if (n.target === 'publisher') this.#sfu?.publisher.addRemoteCandidate(n.candidate);
      else this.#sfu?.subscriber.addRemoteCandidate(n.candidate);
    },
    active_speaker: (n) => {
      const sid = n.participantSid;
      this.#setActiveSpeaker(sid === null ? undefined : sid === this.localParticipant.sid ? this.localParticipant : this.participants.get(sid));
    },
    subscription_failed: (n) => {
      const found = this.#roster.findPublication(n.trackSid);
      // Saturation passes: the SDK asks again a few times before the app has to decide.
      if (n.code === 'MEDIA_OVERLOADED' && found && this.#sfu?.retrySubscribe(n.trackSid)) return;
      this.emit('subscriptionFailed', n.trackSid, new ParleyClientError(n.code, n.message), found?.pub, found?.participant);
    },
    // the server lost our media connections: join again, as after an unrecoverable connection
    media_reset: () => {
      if (this.#sfu) this.#session?.rejoin();
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
    this.#sfu?.closeAll();
    this.#sfu =
      result.room.type === 'sfu'
        ? connectSfu(
            result.iceServers,
            {
              request: (message, retry) => this.#requireSession().request(message, retry),
              send: (message) => this.#session?.send(message),
              roster: this.#roster,
              emit: (event, ...args) => this.emit(event, ...args),
              current: () => this.#sfu,
              rejoin: () => this.#session?.rejoin(),
            },
            { simulcast: this.#opts.simulcast ?? true, adaptiveStream: this.#opts.adaptiveStream ?? true },
          )
        : undefined;
    this.#scheduleIceRefresh(result.iceServersExpireAt);
    for (const info of result.participants) this.#roster.upsert(info, announce);
  }

  #resumed(result: ResumeResult): void {
    if (result.iceServers) this.media.setIceServers(result.iceServers);
    if (result.iceServersExpireAt !== undefined) this.#scheduleIceRefresh(result.iceServersExpireAt);
    // Participants are not taken from the response's snapshot: the replayed notifications that
    // follow bring the room up to date in order (a snapshot first would be rewound by them).
  }

  /** A new session: everyone we knew is gone for us; local tracks are published again. */
  #rejoined(result: JoinResult): void {
    this.#roster.removeAll('disconnected');
    this.#mesh.closeAll();
    this.#setActiveSpeaker(undefined);
    this.#applyJoin(result, true);
    this.emit('participantUpdated', this.localParticipant);
    const local = this.localParticipant;
    for (const pub of [...local.trackPublications.values()]) {
      void this.#requireSession()
        .request({
          type: 'publish_track',
          cid: pub.cid,
          kind: pub.kind,
          source: pub.source,
          name: pub.name,
          muted: pub.muted,
          ...this.#publishFields(pub.track, pub.source),
        })
        .then((data) => {
          const { sid } = parsePublishResult(data);
          if (local.trackPublications.get(pub.sid) !== pub) return;
          local.trackPublications.delete(pub.sid);
          pub.sid = sid;
          local.trackPublications.set(sid, pub);
          // A mesh sends local tracks to each new link by itself; the SFU publisher is new.
          this.#sfu?.addLocal(pub);
        })
        .catch((err: unknown) => console.warn('[parley] republishing failed', err));
    }
  }

  #teardown(reason: DisconnectReason, error: ParleyClientError | undefined): void {
    this.#stats.stop();
    clearTimeout(this.#iceTimer);
    this.#mesh.closeAll();
    this.#sfu?.closeAll();
    this.#sfu = undefined;
    this.#setActiveSpeaker(undefined);
    this.#roster.removeAll(reason === 'error' ? 'disconnected' : reason);
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
          this.media.setIceServers(iceServers);
          this.#scheduleIceRefresh(iceServersExpireAt);
        })
        .catch(() => {
          if (this.state !== 'disconnected') this.#scheduleIceRefresh(Date.now() + 12_000);
        });
    }, delay);
  }

  // ---- SFU rooms -----------------------------------------------------------------------------

  #publishFields(track: MediaStreamTrack, source: TrackSource): ReturnType<SfuClient['publishFields']> {
    return this.#sfu?.publishFields(track, source) ?? {};
  }

  #setActiveSpeaker(p: Participant | undefined): void {
    if (p === this.#activeSpeaker) return;
    this.#activeSpeaker = p;
    this.emit('activeSpeakerChanged', p);
    this.emit('activeSpeakersChanged', p ? [p] : []);
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
