/**
 * One published track fanned out to its subscribers' DownTracks. Keyframe requests from every
 * down-track (subscribe, switch, the subscriber's own PLI/FIR) fan in through one KeyframeThrottle
 * per publisher track before a PLI reaches the publisher.
 */
import type { Clock } from './clock.js';
import { parseRtpHeader, rtpPayload } from '../rtp/header.js';
import { isKeyframe, type VideoCodec } from '../rtp/keyframe.js';
import { incomingPacket, type DownTrack } from './down-track.js';
import { DropCounters } from './drops.js';
import { KeyframeThrottle } from './keyframe-throttle.js';
import { LayerMonitor } from './layer-monitor.js';

export interface TrackFanoutOptions {
  readonly clock: Clock;
  /** Video codec of the published track, for keyframe detection; absent for audio. */
  readonly codec?: VideoCodec;
  readonly keyframeIntervalMs?: number;
  /** Sends a PLI for the publisher's media SSRC. */
  readonly sendPli: (mediaSsrc: number) => void;
}

export class TrackFanout {
  readonly throttle: KeyframeThrottle;
  /** Per-layer bitrate and activity of the publisher's track. */
  readonly layers: LayerMonitor;
  /** Publisher packets not fanned out at all (malformed). */
  readonly drops = new DropCounters();
  private readonly codec: VideoCodec | undefined;
  private readonly sendPli: (mediaSsrc: number) => void;
  private readonly downTracks = new Set<DownTrack>();
  /** Publisher SSRC last seen per layer (learnt from packets; set up front from SDP when known). */
  private readonly layerSsrc = new Map<number, number>();
  /** Layers asked for before their SSRC was known. */
  private readonly pendingLayers = new Set<number>();

  constructor(opts: TrackFanoutOptions) {
    this.throttle = new KeyframeThrottle({
      clock: opts.clock,
      ...(opts.keyframeIntervalMs !== undefined ? { minIntervalMs: opts.keyframeIntervalMs } : {}),
    });
    this.sendPli = opts.sendPli;
    this.codec = opts.codec;
    this.layers = new LayerMonitor({ clock: opts.clock });
  }

  setLayerSsrc(layer: number, ssrc: number): void {
    const previous = this.layerSsrc.get(layer);
    if (previous === ssrc) return;
    if (previous !== undefined) this.throttle.forget(previous);
    this.layerSsrc.set(layer, ssrc);
    if (this.pendingLayers.delete(layer)) this.requestKeyframe(layer);
  }

  add(downTrack: DownTrack): void {
    this.downTracks.add(downTrack);
  }

  remove(downTrack: DownTrack): void {
    this.downTracks.delete(downTrack);
  }

  get size(): number {
    return this.downTracks.size;
  }

  /** A publisher packet of `layer`: parsed and classified once, then offered to every down-track. */
  writeRtp(packet: Buffer, layer: number): void {
    const header = parseRtpHeader(packet);
    if (header === undefined) {
      this.drops.count('malformed');
      return;
    }
    if (this.layerSsrc.get(layer) !== header.ssrc) this.setLayerSsrc(layer, header.ssrc);
    this.layers.record(layer, packet.length);
    const keyframe = this.codec !== undefined && isKeyframe(this.codec, rtpPayload(packet, header));
    const incoming = incomingPacket(header, layer, keyframe);
    for (const dt of this.downTracks) dt.writeParsed(packet, header, incoming);
  }

  requestKeyframe(layer: number): void {
    const ssrc = this.layerSsrc.get(layer);
    if (ssrc === undefined) {
      this.pendingLayers.add(layer);
      return;
    }
    if (this.throttle.request(ssrc) === 'send') this.sendPli(ssrc);
  }
}
