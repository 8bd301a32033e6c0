/**
 * The SFU media plane as the signaling handlers and the room service see it: one SfuRoom per SFU
 * room, one SfuPeer per participant. Requests from signaling come in as method calls; the room
 * service's events (leave, unpublish, mute, permission changes, room closed) are applied through
 * onRoomEvent. Admission control: while the media thread's event loop is busier than
 * `rtc.maxLoad`, new subscriptions are refused with MEDIA_OVERLOADED instead of letting every
 * stream on the thread degrade.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { loadNative, nativeAddon, type NativeAddon } from '../native/index.js';
import { mediaPump, type MediaPump } from '../media/engine/media-pump.js';
import { ParleyError } from '../core/errors.js';
import type { RoomEvent } from '../core/room-service.js';
import type { Logger } from '../observability/logger.js';
import type { MediaTransport } from '../media/engine/transport.js';
import { WeriftTransport } from '../media/engine/werift-transport.js';
import { monotonicClock } from '../media/forwarding/index.js';
import type { IceCandidateInit, SfuTarget } from '../signaling/protocol.js';
import type { SfuPeer } from './sfu-peer.js';
import { SfuRoom } from './sfu-room.js';
import { NO_PUMP, type MediaPlane, type SfuCounters, type SfuStats, type TrackSettingsInput } from './media-plane.js';
import { PortWindows } from './port-windows.js';
import type { MediaParticipant, MediaRoom } from './types.js';

export interface SfuOptions {
  readonly logger: Logger;
  /** UDP port range for ICE (rtc.portMin/portMax). */
  readonly portRange: readonly [number, number];
  /** PARLEY_PUBLIC_IP: announced as a host candidate besides the local addresses (1:1 NAT). */
  readonly publicIp?: string | undefined;
  /** Event-loop utilisation above which new subscriptions are refused. */
  readonly maxLoad: number;
  /** This media thread's share of the port range (worker index of count). */
  readonly portSlice?: { readonly index: number; readonly count: number };
  /** Use the native fast path when it is built (rtc.native); default true. */
  readonly native?: boolean;
  /** rtc.pumpBatchMs: the native media pump's batch (0 or absent: no pump). */
  readonly pumpBatchMs?: number;
}

/**
 * Event-loop utilisation of this thread, sampled each second and smoothed (EWMA, alpha 0.4), so a
 * one-second burst (a wave of DTLS handshakes when many join at once) does not refuse
 * subscriptions; a load that stays high does within two to three seconds.
 */
class LoadMonitor {
  private last: EventLoopUtilization = performance.eventLoopUtilization();
  private value = 0;
  private readonly timer: NodeJS.Timeout;
  constructor() {
    this.timer = setInterval(() => {
      const now = performance.eventLoopUtilization();
      const sample = performance.eventLoopUtilization(now, this.last).utilization;
      this.last = now;
      this.value = 0.6 * this.value + 0.4 * sample;
    }, 1000);
    this.timer.unref();
  }
  get load(): number {
    return this.value;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

export class SfuService implements MediaPlane {
  private readonly rooms = new Map<string, SfuRoom>();
  private readonly roomOfPeer = new Map<string, SfuRoom>();
  private readonly monitor = new LoadMonitor();
  private readonly ports: PortWindows;
  readonly counters: SfuCounters = { packetsOutEnded: 0, dataRelayed: 0, dataDropped: 0, subscriptionsRefused: 0 };
  /** Tests force admission decisions with this. */
  loadOverride: number | undefined;

  private readonly native: NativeAddon | undefined;
  private readonly pump: MediaPump | undefined;

  constructor(private readonly opts: SfuOptions) {
    this.ports = new PortWindows(opts.portRange, opts.portSlice);
    const wanted = opts.native !== false;
    this.native = nativeAddon(wanted);
    if (wanted && this.native === undefined) {
      opts.logger.warn({ reason: loadNative().reason }, 'native fast path not built (npm install builds it with g++): forwarding through the TypeScript path');
    }
    const batchMs = opts.pumpBatchMs ?? 0;
    this.pump = batchMs > 0 ? mediaPump(this.native, batchMs) : undefined;
  }

  get load(): number {
    return this.loadOverride ?? this.monitor.load;
  }

  /** Called right after a native join into an SFU room (after the join response is sent). */
  attach(room: MediaRoom, participant: MediaParticipant, autoSubscribe: boolean): void {
    let sfuRoom = this.rooms.get(room.sid);
    if (sfuRoom === undefined) {
      sfuRoom = new SfuRoom(room, {
        clock: monotonicClock,
        logger: this.opts.logger.child({ room: room.name }),
        createTransport: (id) => this.createTransport(id),
        admit: () => this.load < this.opts.maxLoad,
        counters: this.counters,
      });
      this.rooms.set(room.sid, sfuRoom);
    }
    this.roomOfPeer.set(participant.sid, sfuRoom);
    sfuRoom.attach(participant, autoSubscribe);
  }

  publisherOffer(participant: MediaParticipant, sdp: string, tracks: ReadonlyArray<{ mid: string; trackSid: string }>): Promise<string> {
    const { peer } = this.require(participant);
    for (const t of tracks) {
      if (!participant.tracks.has(t.trackSid)) throw new ParleyError('TRACK_NOT_FOUND', `track ${t.trackSid} is not published by this participant`);
    }
    return peer.answerPublisher(sdp, tracks);
  }

  subscriberAnswer(participant: MediaParticipant, sdp: string): Promise<void> {
    return this.require(participant).peer.acceptSubscriberAnswer(sdp);
  }

  candidate(participant: MediaParticipant, target: SfuTarget, candidate: IceCandidateInit | null): Promise<void> {
    return this.require(participant).peer.addCandidate(target, candidate);
  }

  async subscribe(participant: MediaParticipant, trackSid: string, subscribe: boolean): Promise<void> {
    const { room, peer } = this.require(participant);
    if (subscribe) room.subscribe(peer, trackSid);
    else if (!peer.unsubscribe(trackSid) && !room.tracks.has(trackSid)) throw new ParleyError('TRACK_NOT_FOUND', `no track ${trackSid} in this room`);
  }

  async trackSettings(participant: MediaParticipant, trackSid: string, input: TrackSettingsInput): Promise<void> {
    const { peer } = this.require(participant);
    const sub = peer.subscriptions.get(trackSid);
    if (sub === undefined) throw new ParleyError('TRACK_NOT_FOUND', `not subscribed to track ${trackSid}`);
    const s = sub.settings;
    if (input.quality !== undefined) s.quality = input.quality;
    if (input.width !== undefined) s.width = input.width;
    if (input.height !== undefined) s.height = input.height;
    if (input.paused !== undefined) s.paused = input.paused;
  }

  /** Follows the room service: leaves, unpublished and muted tracks, permissions, closed rooms. */
  onRoomEvent(event: RoomEvent): void {
    switch (event.type) {
      case 'participant_left':
        void this.detach(event.participant.sid);
        return;
      case 'track_unpublished':
        this.roomOfPeer.get(event.participant.sid)?.unpublish(event.track.sid);
        return;
      case 'track_muted':
        this.roomOfPeer.get(event.participant.sid)?.setMuted(event.track.sid, event.track.muted);
        return;
      case 'permissions_changed':
        this.roomOfPeer.get(event.participant.sid)?.permissionsChanged(event.participant.sid);
        return;
      case 'room_finished': {
        const room = this.rooms.get(event.room.sid);
        if (room === undefined) return;
        this.rooms.delete(event.room.sid);
        for (const sid of room.peers.keys()) this.roomOfPeer.delete(sid);
        void room.close();
        return;
      }
      default:
        return;
    }
  }

  async stats(): Promise<SfuStats> {
    return this.snapshot();
  }

  snapshot(): SfuStats {
    // what the media pump forwarded is counted once JavaScript has replayed it
    this.pump?.drain();
    let peers = 0;
    let publishedTracks = 0;
    let subscriptions = 0;
    let packetsIn = 0;
    let packetsInFast = 0;
    let packetsOut = this.counters.packetsOutEnded;
    for (const room of this.rooms.values()) {
      packetsOut += room.packetsOut();
      peers += room.peers.size;
      publishedTracks += room.tracks.size;
      for (const t of room.tracks.values()) {
        packetsIn += t.packetsIn;
        packetsInFast += t.packetsInFast;
      }
      for (const p of room.peers.values()) subscriptions += p.subscriptions.size;
    }
    return { rooms: this.rooms.size, peers, publishedTracks, subscriptions, packetsIn, packetsInFast, packetsOut, load: this.load, counters: { ...this.counters }, pump: this.pump?.counters() ?? { ...NO_PUMP }, workers: [] };
  }

  async close(): Promise<void> {
    this.monitor.stop();
    const rooms = [...this.rooms.values()];
    this.rooms.clear();
    this.roomOfPeer.clear();
    await Promise.allSettled(rooms.map((r) => r.close()));
  }

  private async detach(sid: string): Promise<void> {
    const room = this.roomOfPeer.get(sid);
    if (room === undefined) return;
    this.roomOfPeer.delete(sid);
    await room.detach(sid);
  }

  private require(participant: MediaParticipant): { room: SfuRoom; peer: SfuPeer } {
    const room = this.roomOfPeer.get(participant.sid);
    const peer = room?.peers.get(participant.sid);
    if (room === undefined || peer === undefined) throw new ParleyError('NOT_SFU_ROOM');
    return { room, peer };
  }

  private createTransport(id: string): MediaTransport {
    return new WeriftTransport({
      id,
      portRange: this.ports.next(),
      native: this.native,
      pump: this.pump,
      ...(this.opts.publicIp !== undefined ? { additionalHostAddresses: [this.opts.publicIp] } : {}),
    });
  }
}
