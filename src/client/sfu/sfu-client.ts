/**
 * The SFU media plane of a room (docs/signaling.md "SFU rooms"): a publisher connection (local
 * tracks, client data channels) and a subscriber connection (remote tracks, server data channels),
 * subscription settings (`track_settings`: manual quality, display size, paused) and `subscribe`.
 * The room feeds it the server's `sfu_offer` / `sfu_candidate` notifications and hears of remote
 * media by track sid through the host.
 */
import type { SubscribedTrack, TrackSource } from '../../signaling/protocol.js';
import { ParleyClientError } from '../errors.js';
import type { MediaPlane } from '../media-plane.js';
import { summarizeStats, type PeerStatsSample } from '../quality.js';
import { parseSdpAnswer } from '../responses.js';
import type { OutboundMessage } from '../signal-connection.js';
import type { LocalTrackPublication, RemoteTrackPublication } from '../track.js';
import { AdaptiveStream } from './adaptive-stream.js';
import { encodeRoomData, type IncomingData } from './data.js';
import { SfuPublisher } from './publisher.js';
import { desiredSettings, settingsDelta, type DisplaySize, type TrackSettingsFields } from './settings.js';
import { simulcastPlan, type SimulcastPlan } from './simulcast.js';
import { SfuSubscriber } from './subscriber.js';

export interface SfuHost {
  request(message: OutboundMessage, retry?: boolean): Promise<unknown>;
  send(message: OutboundMessage): void;
  /** The publication of a remote track, when the room knows it. */
  remotePublication(trackSid: string): RemoteTrackPublication | undefined;
  remoteTrack(sub: SubscribedTrack, track: MediaStreamTrack): void;
  remoteTrackEnded(sub: SubscribedTrack): void;
  data(message: IncomingData, via: 'reliable' | 'lossy'): void;
  connectionState(which: 'publisher' | 'subscriber', state: RTCPeerConnectionState): void;
  /** The subscriber connection cannot recover: join again. */
  rejoin(): void;
  /** Asking again for a refused subscription failed for good. */
  subscriptionFailed(trackSid: string, error: unknown): void;
}

export interface SfuOptions {
  /** Send cameras as simulcast (three layers from 540p, two from 360p). Default true. */
  simulcast: boolean;
  /** Report the displayed size of remote videos and pause hidden ones. Default true. */
  adaptiveStream: boolean;
}

/** Subscriptions refused with MEDIA_OVERLOADED are asked for again this often, first after SUBSCRIBE_RETRY_MS. */
export const SUBSCRIBE_RETRIES = 5;
export const SUBSCRIBE_RETRY_MS = 1000;

/** How long one getStats() report of the subscriber connection serves every participant's sample. */
const REPORT_TTL_MS = 250;

export class SfuClient implements MediaPlane {
  readonly type = 'sfu';
  readonly publisher: SfuPublisher;
  readonly subscriber: SfuSubscriber;
  readonly #host: SfuHost;
  readonly #opts: SfuOptions;
  readonly #plans = new WeakMap<MediaStreamTrack, SimulcastPlan>();
  /** What the server was told of each subscription (`track_settings`), by track sid. */
  readonly #sent = new Map<string, TrackSettingsFields>();
  readonly #display = new Map<string, DisplaySize | undefined>();
  readonly #adaptive: AdaptiveStream | undefined;
  #report: { at: number; report: Promise<RTCStatsReport> } | undefined;
  /** Retries of subscriptions the server refused for load, by track sid. */
  readonly #retries = new Map<string, { attempts: number; timer: ReturnType<typeof setTimeout> }>();
  #closed = false;

  constructor(iceServers: RTCIceServer[], host: SfuHost, opts: SfuOptions) {
    this.#host = host;
    this.#opts = opts;
    this.publisher = new SfuPublisher(iceServers, {
      offer: async (sdp, tracks) => parseSdpAnswer(await host.request({ type: 'sfu_offer', sdp, tracks }, true)),
      sendCandidate: (candidate) => host.send({ type: 'sfu_candidate', target: 'publisher', candidate }),
    });
    this.subscriber = new SfuSubscriber(iceServers, {
      sendAnswer: (sdp) => host.send({ type: 'sfu_answer', sdp }),
      sendCandidate: (candidate) => host.send({ type: 'sfu_candidate', target: 'subscriber', candidate }),
    });
    this.publisher.on('state', (state) => host.connectionState('publisher', state));
    this.subscriber.on('state', (state) => host.connectionState('subscriber', state));
    this.subscriber.on('track', (sub, track) => this.#subscribed(sub, track));
    this.subscriber.on('ended', (sub) => this.#ended(sub));
    this.subscriber.on('data', (message, via) => host.data(message, via));
    this.subscriber.on('unrecoverable', () => host.rejoin());
    this.#adaptive = opts.adaptiveStream ? new AdaptiveStream((trackSid, size) => this.#displayChanged(trackSid, size)) : undefined;
    // The data channels need the publisher connection even before anything is published.
    this.publisher.negotiate();
  }

  /** `publish_track` fields for a track about to be published: the simulcast layers of a camera. */
  publishFields(track: MediaStreamTrack, source: TrackSource): { layers?: SimulcastPlan['layers'] } {
    if (!this.#opts.simulcast || track.kind !== 'video' || source !== 'camera') return {};
    const { width, height } = track.getSettings();
    const plan = simulcastPlan(width, height);
    if (!plan) return {};
    this.#plans.set(track, plan);
    return { layers: plan.layers };
  }

  participantPresent(): void {}

  participantGone(): void {}

  addLocal(pub: LocalTrackPublication): void {
    this.publisher.addTrack(pub, this.#plans.get(pub.track)?.encodings);
  }

  removeLocal(pub: LocalTrackPublication): void {
    this.publisher.removeTrack(pub.sid);
  }

  setIceServers(servers: RTCIceServer[]): void {
    this.publisher.setIceServers(servers);
    this.subscriber.setIceServers(servers);
  }

  restartStale(): void {
    const state = this.publisher.connectionState;
    if (state === 'failed' || state === 'disconnected') this.publisher.restartIce();
  }

  /**
   * Sends over the data channel of that reliability; false when it is not open (yet, or any more).
   * A message over the frame limit rejects with DATA_TOO_LARGE.
   */
  sendData(payload: unknown, opts: { topic?: string; to?: string[]; reliable: boolean }): boolean {
    const channel = opts.reliable ? this.publisher.reliable : this.publisher.lossy;
    let frame: Uint8Array;
    try {
      frame = encodeRoomData(payload, opts);
    } catch (err) {
      throw new ParleyClientError('DATA_TOO_LARGE', err instanceof Error ? err.message : String(err), err);
    }
    if (channel.readyState !== 'open') return false;
    try {
      channel.send(frame as Uint8Array<ArrayBuffer>);
      return true;
    } catch {
      return false;
    }
  }

  async setSubscribed(pub: RemoteTrackPublication, subscribed: boolean): Promise<void> {
    await this.#host.request({ type: 'subscribe', trackSid: pub.sid, subscribe: subscribed });
  }

  /**
   * The server refused a subscription because its media worker was saturated: ask again later,
   * up to SUBSCRIBE_RETRIES times with a doubling delay. Returns false when giving up.
   */
  retrySubscribe(trackSid: string): boolean {
    const previous = this.#retries.get(trackSid);
    const attempts = (previous?.attempts ?? 0) + 1;
    if (this.#closed || attempts > SUBSCRIBE_RETRIES) return false;
    clearTimeout(previous?.timer);
    const timer = setTimeout(() => {
      const pub = this.#host.remotePublication(trackSid);
      if (this.#closed || !pub || pub.subscribed) return;
      this.#host.request({ type: 'subscribe', trackSid, subscribe: true }).catch((err: unknown) => {
        if (!this.retrySubscribe(trackSid)) this.#host.subscriptionFailed(trackSid, err);
      });
    }, SUBSCRIBE_RETRY_MS * 2 ** (attempts - 1));
    this.#retries.set(trackSid, { attempts, timer });
    return true;
  }

  /** The publication's quality or enabled flag changed, or its display size: tell the server. */
  settingsChanged(pub: RemoteTrackPublication): void {
    if (this.#closed || !pub.subscribed) return;
    const desired = desiredSettings({ quality: pub.videoQuality, display: pub.kind === 'video' ? this.#display.get(pub.sid) : undefined, enabled: pub.enabled });
    const sent = this.#sent.get(pub.sid) ?? {};
    const delta = settingsDelta(sent, desired);
    if (!delta) return;
    this.#sent.set(pub.sid, { ...sent, ...delta });
    this.#host.send({ type: 'track_settings', trackSid: pub.sid, ...delta });
  }

  async sample(participantSid: string): Promise<PeerStatsSample | undefined> {
    const pc = this.subscriber.pc;
    if (pc.connectionState === 'closed') return undefined;
    const mids = this.subscriber.tracks.midsOf(participantSid);
    const ids = new Set<string>();
    for (const t of pc.getTransceivers()) if (t.mid !== null && mids.has(t.mid)) ids.add(t.receiver.track.id);
    const now = Date.now();
    if (!this.#report || now - this.#report.at > REPORT_TTL_MS) this.#report = { at: now, report: pc.getStats() };
    const report = await this.#report.report;
    return summarizeStats(report, now, (e) => (e.mid !== undefined ? mids.has(e.mid) : ids.has(e.trackIdentifier)));
  }

  connectionState(): RTCPeerConnectionState {
    return this.subscriber.connectionState;
  }

  peerConnection(): RTCPeerConnection {
    return this.subscriber.pc;
  }

  closeAll(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#adaptive?.close();
    for (const { timer } of this.#retries.values()) clearTimeout(timer);
    this.publisher.close();
    this.subscriber.close();
  }

  #subscribed(sub: SubscribedTrack, track: MediaStreamTrack): void {
    this.#sent.delete(sub.trackSid);
    this.#retries.delete(sub.trackSid);
    this.#host.remoteTrack(sub, track);
    if (sub.kind === 'video') this.#adaptive?.watch(sub.trackSid, track);
    const pub = this.#host.remotePublication(sub.trackSid);
    if (pub) this.settingsChanged(pub);
  }

  #ended(sub: SubscribedTrack): void {
    this.#sent.delete(sub.trackSid);
    this.#display.delete(sub.trackSid);
    this.#adaptive?.unwatch(sub.trackSid);
    this.#host.remoteTrackEnded(sub);
  }

  #displayChanged(trackSid: string, size: DisplaySize | undefined): void {
    this.#display.set(trackSid, size);
    const pub = this.#host.remotePublication(trackSid);
    if (pub) this.settingsChanged(pub);
  }
}
