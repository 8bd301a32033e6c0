/**
 * Per down-track forwarding decision (cf. livekit's forwarder.go): which packets of a publisher
 * track reach one subscriber and with which (SSRC, seq, ts). It keeps the current and target
 * simulcast layer, switches only on a keyframe of the target layer, keeps sending the current
 * layer until then (no freeze), asks for keyframes, pauses on mute. Pure: no I/O, clock injected.
 */
import type { Clock } from './clock.js';
import type { DropReason } from './drops.js';
import { RtpMunger } from './munger.js';
import { NO_LAYER, selectLayer, type LayerConstraints, type LayerInfo } from './layer-selection.js';

export type TrackKind = 'audio' | 'video';

export interface ForwarderOptions {
  readonly kind: TrackKind;
  /** SSRC announced to the subscriber. */
  readonly ssrc: number;
  readonly clockRate: number;
  readonly clock: Clock;
  /** Initial target layer; audio and non-simulcast video use 0. */
  readonly targetLayer?: number;
  /** While waiting for a keyframe, ask again after this long (default 500 ms). */
  readonly keyframeRetryMs?: number;
  readonly initialSequenceNumber?: number;
  readonly initialTimestamp?: number;
}

/** One incoming publisher packet, already parsed by the caller. */
export interface IncomingPacket {
  /** Simulcast layer of the packet (from its rid); 0 for audio and single-layer video. */
  readonly layer: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  /** First packet of a keyframe (see rtp/keyframe.ts); ignored for audio. */
  readonly keyframe: boolean;
  /** Packet without payload (padding / probing). */
  readonly paddingOnly?: boolean;
}

export type ForwardDecision =
  | {
      readonly action: 'forward';
      readonly sequenceNumber: number;
      readonly timestamp: number;
      readonly ssrc: number;
      /** Set on the packet that completed a switch to this layer. */
      readonly switchedToLayer?: number;
      /** Ask the publisher for a keyframe of this layer (throttled upstream). */
      readonly requestKeyframe?: number;
    }
  | {
      readonly action: 'drop';
      readonly reason: DropReason;
      /** Ask the publisher for a keyframe of this layer (throttled upstream). */
      readonly requestKeyframe?: number;
    };

export interface KeyframeRequest {
  readonly layer: number;
}

export class Forwarder {
  readonly kind: TrackKind;
  readonly munger: RtpMunger;
  private readonly clock: Clock;
  private readonly keyframeRetryMs: number;
  private current = NO_LAYER;
  private target: number;
  private currentSsrc = -1;
  private muted = false;
  private lastKeyframeRequestAt = Number.NEGATIVE_INFINITY;

  constructor(opts: ForwarderOptions) {
    this.kind = opts.kind;
    this.clock = opts.clock;
    this.keyframeRetryMs = opts.keyframeRetryMs ?? 500;
    this.target = opts.targetLayer ?? 0;
    this.munger = new RtpMunger({
      ssrc: opts.ssrc,
      clockRate: opts.clockRate,
      clock: opts.clock,
      ...(opts.initialSequenceNumber !== undefined ? { initialSequenceNumber: opts.initialSequenceNumber } : {}),
      ...(opts.initialTimestamp !== undefined ? { initialTimestamp: opts.initialTimestamp } : {}),
    });
  }

  get currentLayer(): number {
    return this.current;
  }

  get targetLayer(): number {
    return this.target;
  }

  get isMuted(): boolean {
    return this.muted;
  }

  /** On subscribe: video needs a keyframe of the target layer before the first packet. */
  start(): KeyframeRequest | undefined {
    return this.needKeyframe();
  }

  /** Target chosen by the allocator or the SDK; NO_LAYER pauses the track. */
  setTargetLayer(layer: number): KeyframeRequest | undefined {
    if (layer === this.target) return undefined;
    this.target = layer;
    if (this.kind === 'audio') return undefined;
    if (layer === NO_LAYER) {
      this.current = NO_LAYER;
      return undefined;
    }
    if (layer === this.current) return undefined; // switch back before the pending one happened
    return this.needKeyframe();
  }

  /**
   * Chooses the target from the publisher's layers, the subscriber's display size, its bandwidth
   * share and a manual maximum (see selectLayer), with headroom before going up.
   */
  chooseLayer(layers: readonly LayerInfo[], constraints: LayerConstraints): KeyframeRequest | undefined {
    return this.setTargetLayer(this.selectTarget(layers, constraints));
  }

  /** The layer `chooseLayer` would target now. */
  selectTarget(layers: readonly LayerInfo[], constraints: LayerConstraints): number {
    const current = this.current === NO_LAYER ? this.target : this.current;
    return selectLayer(layers, { ...constraints, currentLayer: current });
  }

  /**
   * Every packet of the current layer is forwarded with the same rewrite until the next call that
   * changes the target or mute: forwarding, not muted, on the target layer (audio: not muted).
   */
  get isSteady(): boolean {
    if (this.muted) return false;
    if (this.kind === 'audio') return true;
    return this.target !== NO_LAYER && this.current === this.target;
  }

  setMuted(muted: boolean): KeyframeRequest | undefined {
    if (muted === this.muted) return undefined;
    this.muted = muted;
    if (muted) return undefined;
    this.munger.resync();
    if (this.kind === 'audio') return undefined;
    this.current = NO_LAYER;
    return this.needKeyframe();
  }

  decide(p: IncomingPacket): ForwardDecision {
    if (this.muted) return { action: 'drop', reason: 'muted' };
    if (this.kind === 'audio') return this.forward(p, undefined);
    if (this.target === NO_LAYER) return { action: 'drop', reason: 'paused' };

    // Publisher restart on the layer we forward: a new SSRC needs a keyframe of its own.
    if (p.layer === this.current && p.ssrc !== this.currentSsrc) this.current = NO_LAYER;

    if (p.layer === this.target && this.current !== this.target) {
      if (p.keyframe) {
        this.current = this.target;
        this.currentSsrc = p.ssrc;
        this.munger.resync();
        return this.forward(p, this.target);
      }
      if (this.current === NO_LAYER) return this.waitKeyframe();
    }
    if (p.layer !== this.current) {
      return this.current === NO_LAYER ? this.waitKeyframe() : { action: 'drop', reason: 'other-layer' };
    }
    if (this.current !== this.target) {
      // still on the old layer while waiting for the target's keyframe: retry the request
      const retry = this.retryKeyframe();
      if (retry !== undefined) return { ...this.forward(p, undefined), requestKeyframe: retry };
    }
    return this.forward(p, undefined);
  }

  /**
   * Keyframe retry while we keep forwarding the old layer; the engine polls this at its RTCP tick.
   */
  pollKeyframeRequest(): KeyframeRequest | undefined {
    if (this.kind === 'audio' || this.target === NO_LAYER || this.current === this.target) return undefined;
    const layer = this.retryKeyframe();
    return layer === undefined ? undefined : { layer };
  }

  private forward(p: IncomingPacket, switchedToLayer: number | undefined): ForwardDecision {
    if (p.paddingOnly === true && switchedToLayer === undefined) {
      this.munger.skip(p);
      return { action: 'drop', reason: 'padding' };
    }
    const r = this.munger.munge(p);
    if (!r.ok) return { action: 'drop', reason: r.reason };
    // two literals rather than a conditional spread: one object, no copy, on every forwarded packet
    if (switchedToLayer === undefined) return { action: 'forward', sequenceNumber: r.sequenceNumber, timestamp: r.timestamp, ssrc: r.ssrc };
    return { action: 'forward', sequenceNumber: r.sequenceNumber, timestamp: r.timestamp, ssrc: r.ssrc, switchedToLayer };
  }

  private waitKeyframe(): ForwardDecision {
    const layer = this.retryKeyframe();
    return layer === undefined
      ? { action: 'drop', reason: 'waiting-keyframe' }
      : { action: 'drop', reason: 'waiting-keyframe', requestKeyframe: layer };
  }

  private retryKeyframe(): number | undefined {
    if (this.clock() - this.lastKeyframeRequestAt < this.keyframeRetryMs) return undefined;
    this.lastKeyframeRequestAt = this.clock();
    return this.target;
  }

  private needKeyframe(): KeyframeRequest | undefined {
    if (this.kind === 'audio' || this.target === NO_LAYER) return undefined;
    this.lastKeyframeRequestAt = this.clock();
    return { layer: this.target };
  }
}
