/**
 * One published track fanned out to its subscribers' DownTracks. Keyframe requests from every
 * down-track (subscribe, switch, the subscriber's own PLI/FIR) fan in through one KeyframeThrottle
 * per publisher track before a PLI reaches the publisher.
 */
import type { Clock } from './clock.js';
import type { DownTrack } from './down-track.js';
import { KeyframeThrottle } from './keyframe-throttle.js';
import { LayerMonitor } from './layer-monitor.js';

export interface TrackFanoutOptions {
  readonly clock: Clock;
  readonly keyframeIntervalMs?: number;
  /** Sends a PLI for the publisher's media SSRC. */
  readonly sendPli: (mediaSsrc: number) => void;
}

export class TrackFanout {
  readonly throttle: KeyframeThrottle;
  /** Per-layer bitrate and activity of the publisher's track. */
  readonly layers: LayerMonitor;
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

  /** A publisher packet; `ssrc` is the packet's SSRC (read by the caller once for all). */
  writeRtp(packet: Buffer, layer: number, ssrc: number): void {
    if (this.layerSsrc.get(layer) !== ssrc) this.setLayerSsrc(layer, ssrc);
    this.layers.record(layer, packet.length);
    for (const dt of this.downTracks) dt.writeRtp(packet, layer);
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
