/**
 * One subscriber's view of one published track: the outgoing m-line on the subscriber connection
 * and, once that m-line is negotiated, the DownTrack that forwards to it. Holds the subscriber's
 * settings for the track (display size, manual quality, paused) that layer selection reads.
 */
import type { OutgoingTrack } from '../media/engine/transport.js';
import { DownTrack, NO_LAYER, type Clock, type LayerConstraints, type StreamContinuation } from '../media/forwarding/index.js';
import type { VideoQuality } from '../signaling/protocol.js';
import type { PublishedTrack } from './published-track.js';

export interface SubscriptionSettings {
  quality: VideoQuality;
  width: number | undefined;
  height: number | undefined;
  paused: boolean;
}

export class Subscription {
  downTrack: DownTrack | undefined;
  readonly settings: SubscriptionSettings = { quality: 'auto', width: undefined, height: undefined, paused: false };

  constructor(
    readonly track: PublishedTrack,
    readonly out: OutgoingTrack,
    /** Set when `out` is a reused m-line: the stream its previous subscription left. */
    private readonly continueFrom?: StreamContinuation,
  ) {}

  get mid(): string | undefined {
    return this.out.mid;
  }

  /** Called once the m-line is negotiated: SSRC, payload type and RTX are known now. */
  activate(clock: Clock, onKeyframe: (layer: number) => void): DownTrack | undefined {
    if (this.downTrack !== undefined) return undefined;
    const codec = this.out.codec;
    if (codec === undefined) return undefined;
    const track = this.track;
    const downTrack = new DownTrack({
      kind: track.kind,
      ...(track.codec !== undefined ? { codec: track.codec } : {}),
      ssrc: this.out.ssrc,
      payloadType: codec.payloadType,
      clockRate: codec.clockRate,
      clock,
      targetLayer: track.kind === 'video' ? this.initialLayer() : 0,
      ...(this.out.rtx !== undefined ? { rtx: this.out.rtx } : {}),
      ...(this.continueFrom !== undefined ? { continueFrom: this.continueFrom } : {}),
      sinks: {
        forwardRtp: (p, rewrite, steady) => this.out.sendRtp(p, rewrite, steady),
        sendRtp: (p) => this.out.sendRtp(p),
        requestKeyframe: onKeyframe,
        beforeChange: () => this.out.beforeChange?.(),
      },
    });
    this.downTrack = downTrack;
    if (track.muted) downTrack.setMuted(true);
    track.fanout.add(downTrack);
    downTrack.start();
    return downTrack;
  }

  /** What the subscriber's settings say to layer selection (the allocator adds the bandwidth). */
  constraints(): Omit<LayerConstraints, 'bandwidth' | 'currentLayer'> {
    const s = this.settings;
    return {
      ...(s.width !== undefined ? { displayWidth: s.width } : {}),
      ...(s.height !== undefined ? { displayHeight: s.height } : {}),
      ...(s.quality !== 'auto' ? { manualMaxLayer: this.track.layerForQuality(s.quality) } : {}),
    };
  }

  /** Start low on a simulcast track: the allocator raises the layer once bandwidth is known. */
  private initialLayer(): number {
    if (this.settings.paused) return NO_LAYER;
    if (this.settings.quality !== 'auto') return this.track.layerForManualQuality(this.settings.quality);
    return this.track.simulcast ? Math.min(1, this.track.topLayer) : 0;
  }

  /** Stops forwarding and ends the m-line; returns where the stream stopped, for its reuse. */
  close(): StreamContinuation | undefined {
    const continuation = this.downTrack?.continuation() ?? this.continueFrom;
    if (this.downTrack !== undefined) this.track.fanout.remove(this.downTrack);
    this.downTrack = undefined;
    this.out.stop();
    return continuation;
  }
}
