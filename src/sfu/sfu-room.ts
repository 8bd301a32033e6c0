/**
 * The media side of one SFU room: who publishes what, who receives what, and the periodic work
 * (active speaker, layer allocation, sender reports, REMB to publishers, keyframe retries).
 * The rules about rooms and permissions stay in core/room-service.ts; this class follows them
 * through SfuService, which feeds it the room events.
 */
import { ParleyError } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import type { IncomingTrack, MediaTransport, TransportState } from '../media/engine/transport.js';
import { ActiveSpeakerDetector, NO_LAYER, PublisherRemb, allocate, type Clock, type TrackDemand } from '../media/forwarding/index.js';
import { buildPli, buildRemb } from '../media/rtp/rtcp.js';
import { DATA_CHANNEL_LABELS, decodeClientFrame, encodeDataFrame } from '../signaling/data-frame.js';
import type { SfuTarget } from '../signaling/protocol.js';
import { PublishedTrack } from './published-track.js';
import { SfuPeer, type SfuPeerHost } from './sfu-peer.js';
import type { Subscription } from './subscription.js';
import type { MediaParticipant, MediaRoom } from './types.js';
import type { SfuCounters } from './media-plane.js';

export interface SfuRoomDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  createTransport(id: string): MediaTransport;
  /** False when the media thread is saturated: new subscriptions are refused. */
  admit(): boolean;
  readonly counters: SfuCounters;
}

/** Audio a subscriber needs before any video: Opus at its usual rate. */
const AUDIO_BITRATE = 48_000;
const TICK_MS = 250;
/** REMB announced to video publishers: room for three simulcast layers and a screen share. */
const PUBLISHER_MAX_BITRATE = 4_000_000;
/** Sender SSRC of the PLIs and REMBs Parley sends to publishers (it sends no media on those connections). */
const SFU_RTCP_SSRC = 1;

export class SfuRoom implements SfuPeerHost {
  readonly peers = new Map<string, SfuPeer>();
  readonly tracks = new Map<string, PublishedTrack>();
  readonly clock: Clock;
  readonly logger: Logger;
  private readonly speakers: ActiveSpeakerDetector;
  private readonly publisherRemb = new Map<string, PublisherRemb>();
  private readonly timer: NodeJS.Timeout;
  private ticks = 0;

  constructor(
    readonly room: MediaRoom,
    private readonly deps: SfuRoomDeps,
  ) {
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.speakers = new ActiveSpeakerDetector({ clock: deps.clock });
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  createTransport(id: string): MediaTransport {
    return this.deps.createTransport(id);
  }

  // ---- participants

  attach(participant: MediaParticipant, autoSubscribe: boolean): SfuPeer {
    const peer = new SfuPeer(participant, autoSubscribe, this);
    this.peers.set(peer.sid, peer);
    if (autoSubscribe) for (const track of this.tracks.values()) this.autoSubscribe(peer, track);
    peer.negotiate(); // the first offer carries the data channels, and the tracks already published
    return peer;
  }

  async detach(sid: string): Promise<void> {
    const peer = this.peers.get(sid);
    if (peer === undefined) return;
    this.peers.delete(sid);
    for (const track of [...this.tracks.values()]) if (track.participantSid === sid) this.unpublish(track.sid);
    const change = this.speakers.remove(sid);
    if (change !== undefined) this.announceSpeaker(change.speaker);
    this.publisherRemb.delete(sid);
    await peer.close();
  }

  get isEmpty(): boolean {
    return this.peers.size === 0;
  }

  // ---- publishing

  onIncomingTrack(peer: SfuPeer, trackSid: string, incoming: IncomingTrack): void {
    let track = this.tracks.get(trackSid);
    if (track === undefined) {
      const info = peer.participant.tracks.get(trackSid);
      if (info === undefined) {
        peer.log.warn({ trackSid }, 'media for a track that is not published; ignored');
        return;
      }
      if (info.kind !== incoming.kind) {
        peer.log.warn({ trackSid, announced: info.kind, got: incoming.kind }, 'track kind differs from publish_track; ignored');
        return;
      }
      track = new PublishedTrack({
        info,
        participantSid: peer.sid,
        kind: incoming.kind,
        mimeType: incoming.codec.mimeType,
        clock: this.clock,
        sendPli: (ssrc) => peer.publisher?.sendRtcp(buildPli(SFU_RTCP_SSRC, ssrc)),
        onAudioLevel: (sid, level) => this.speakers.addLevel(sid, level),
      });
      this.tracks.set(trackSid, track);
      track.attach(incoming);
      for (const other of this.peers.values()) if (other !== peer && other.autoSubscribe) this.autoSubscribe(other, track);
      return;
    }
    track.attach(incoming);
  }

  unpublish(trackSid: string): void {
    const track = this.tracks.get(trackSid);
    if (track === undefined) return;
    this.tracks.delete(trackSid);
    for (const peer of this.peers.values()) peer.unsubscribe(trackSid);
    this.peers.get(track.participantSid)?.forgetPublishedTrack(trackSid);
    track.close();
  }

  setMuted(trackSid: string, muted: boolean): void {
    const track = this.tracks.get(trackSid);
    if (track === undefined) return;
    track.muted = muted;
    for (const peer of this.peers.values()) peer.subscriptions.get(trackSid)?.downTrack?.setMuted(muted);
  }

  // ---- subscribing

  /** An explicit subscribe request: errors go back to the requester. */
  subscribe(peer: SfuPeer, trackSid: string): void {
    if (!peer.participant.permissions.canSubscribe) throw new ParleyError('PERMISSION_DENIED', 'the token does not grant canSubscribe');
    const track = this.tracks.get(trackSid);
    if (track === undefined) throw new ParleyError('TRACK_NOT_FOUND', `no track ${trackSid} is being published in this room`);
    if (track.participantSid === peer.sid) throw new ParleyError('TRACK_NOT_FOUND', 'a participant does not subscribe to its own tracks');
    if (peer.subscriptions.has(trackSid)) return;
    if (!this.deps.admit()) {
      this.deps.counters.subscriptionsRefused++;
      throw new ParleyError('MEDIA_OVERLOADED');
    }
    peer.subscribe(track);
  }

  private autoSubscribe(peer: SfuPeer, track: PublishedTrack): void {
    if (track.participantSid === peer.sid || peer.subscriptions.has(track.sid)) return;
    // a hidden participant (a recorder, a monitor) is never announced, so its tracks are not offered
    if (this.peers.get(track.participantSid)?.participant.permissions.hidden === true) return;
    if (!peer.participant.permissions.canSubscribe) return;
    if (!this.deps.admit()) {
      this.deps.counters.subscriptionsRefused++;
      const error = new ParleyError('MEDIA_OVERLOADED');
      peer.participant.sink.deliver({ type: 'subscription_failed', trackSid: track.sid, code: error.code, message: error.message });
      return;
    }
    peer.subscribe(track);
  }

  /** Permissions changed through the REST API: apply canSubscribe now. */
  permissionsChanged(sid: string): void {
    const peer = this.peers.get(sid);
    if (peer === undefined) return;
    if (!peer.participant.permissions.canSubscribe) {
      for (const trackSid of [...peer.subscriptions.keys()]) peer.unsubscribe(trackSid);
    } else if (peer.autoSubscribe) {
      for (const track of this.tracks.values()) this.autoSubscribe(peer, track);
    }
  }

  onSubscriberNegotiated(peer: SfuPeer): void {
    for (const sub of peer.subscriptions.values()) {
      if (sub.downTrack !== undefined || sub.mid === undefined) continue;
      const downTrack = sub.activate(this.clock, (layer) => sub.track.fanout.requestKeyframe(layer));
      if (downTrack !== undefined) peer.rtcp.add(downTrack);
    }
  }

  onSubscriptionEnded(sub: Subscription): void {
    this.deps.counters.packetsOutEnded += sub.downTrack?.stats.packetsSent ?? 0;
  }

  /** Packets sent by the live subscriptions. */
  packetsOut(): number {
    let n = 0;
    for (const peer of this.peers.values()) for (const sub of peer.subscriptions.values()) n += sub.downTrack?.stats.packetsSent ?? 0;
    return n;
  }

  onTransportState(peer: SfuPeer, target: SfuTarget, state: TransportState): void {
    peer.log.debug({ target, state }, 'media transport state');
  }

  // ---- data channels

  onData(peer: SfuPeer, label: string, data: Buffer | string): void {
    const counters = this.deps.counters;
    if ((label !== DATA_CHANNEL_LABELS.reliable && label !== DATA_CHANNEL_LABELS.lossy) || typeof data === 'string') {
      counters.dataDropped++;
      return;
    }
    if (!peer.participant.permissions.canPublishData) {
      counters.dataDropped++;
      return;
    }
    const frame = decodeClientFrame(data);
    if ('error' in frame) {
      counters.dataDropped++;
      peer.log.debug({ reason: frame.error }, 'malformed data frame dropped');
      return;
    }
    const { header, payload } = frame;
    const relayed = Buffer.from(
      encodeDataFrame(
        {
          from: peer.sid,
          identity: peer.identity,
          ...(header.text === true ? { text: true } : {}),
          ...(header.topic !== undefined ? { topic: header.topic } : {}),
        },
        payload,
      ),
    );
    const targets = header.to !== undefined && header.to.length > 0 ? header.to.map((sid) => this.peers.get(sid)) : [...this.peers.values()];
    for (const target of targets) {
      if (target === undefined || target === peer) continue;
      if (target.subscriber.sendData(label, relayed)) counters.dataRelayed++;
      else counters.dataDropped++;
    }
  }

  // ---- periodic work

  private tick(): void {
    this.ticks++;
    const change = this.speakers.update();
    if (change !== undefined) this.announceSpeaker(change.speaker);
    for (const peer of this.peers.values()) {
      for (const sub of peer.subscriptions.values()) sub.downTrack?.tick();
    }
    if (this.ticks % 2 === 0) for (const peer of this.peers.values()) this.allocateLayers(peer);
    if (this.ticks % 4 === 0) {
      this.sendSenderReports();
      this.sendPublisherRembs();
    }
  }

  private announceSpeaker(sid: string | undefined): void {
    this.room.broadcast({ type: 'active_speaker', participantSid: sid ?? null });
  }

  /** Chooses each video subscription's layer from the subscriber's REMB estimate and settings. */
  private allocateLayers(peer: SfuPeer): void {
    const budget = peer.bandwidth.estimate();
    const demands: TrackDemand[] = [];
    const autoVideo: Subscription[] = [];
    for (const sub of peer.subscriptions.values()) {
      const dt = sub.downTrack;
      if (dt === undefined) continue;
      const s = sub.settings;
      if (sub.track.kind === 'audio') demands.push({ id: sub.track.sid, kind: 'audio', bitrate: AUDIO_BITRATE });
      else if (s.paused || s.width === 0 || s.height === 0) dt.setTargetLayer(NO_LAYER);
      // a manual choice is what the user asked for: the estimate does not second-guess it
      else if (s.quality !== 'auto') dt.setTargetLayer(sub.track.layerForManualQuality(s.quality));
      else autoVideo.push(sub);
    }
    for (const sub of autoVideo) {
      const layers = sub.track.layers();
      // while the publisher's layers are unmeasured, keep what is being forwarded
      if (layers.every((l) => !l.active)) continue;
      demands.push({ id: sub.track.sid, kind: 'video', layers, constraints: sub.constraints() });
    }
    const allocation = allocate(budget, demands, { pauseWhenInsufficient: false });
    for (const sub of autoVideo) {
      const layer = allocation.layers.get(sub.track.sid);
      if (layer !== undefined) sub.downTrack?.setTargetLayer(layer);
    }
  }

  private sendSenderReports(): void {
    const now = Date.now();
    for (const peer of this.peers.values()) {
      for (const sub of peer.subscriptions.values()) {
        const sr = sub.downTrack?.senderReport(now);
        if (sr !== undefined) peer.subscriber.sendRtcp(sr);
      }
    }
  }

  /** REMB to each video publisher, so a browser's congestion control turns its upper layers on. */
  private sendPublisherRembs(): void {
    const bitrates = new Map<string, { bitrate: number; ssrcs: number[] }>();
    for (const track of this.tracks.values()) {
      if (track.kind !== 'video') continue;
      let entry = bitrates.get(track.participantSid);
      if (entry === undefined) {
        entry = { bitrate: 0, ssrcs: [] };
        bitrates.set(track.participantSid, entry);
      }
      for (const layer of track.layers()) entry.bitrate += layer.bitrate;
      entry.ssrcs.push(...track.ssrcs());
    }
    for (const [sid, { bitrate, ssrcs }] of bitrates) {
      const peer = this.peers.get(sid);
      if (peer?.publisher === undefined || ssrcs.length === 0) continue;
      let remb = this.publisherRemb.get(sid);
      if (remb === undefined) {
        // announce the cap: below it the browser's own loss-based controller governs its uplink
        remb = new PublisherRemb({ clock: this.clock, maxBitrate: PUBLISHER_MAX_BITRATE, minBitrate: PUBLISHER_MAX_BITRATE });
        this.publisherRemb.set(sid, remb);
      }
      const announce = remb.tick(bitrate);
      if (announce !== undefined) peer.publisher.sendRtcp(buildRemb(SFU_RTCP_SSRC, announce, ssrcs));
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const track of this.tracks.values()) track.close();
    this.tracks.clear();
    await Promise.allSettled([...this.peers.values()].map((p) => p.close()));
    this.peers.clear();
  }
}
