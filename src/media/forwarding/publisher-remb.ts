/**
 * REMB toward a publisher (draft-alvestrand-rmcat-remb). Parley does not negotiate transport-cc
 * (werift's TWCC feedback starved Chrome's estimate, issue 4), so without REMB a browser publisher
 * only has its loss-based controller and may never turn on its upper simulcast layers. This
 * decides, once per interval, the estimate to announce: what the publisher sends now plus
 * headroom to ramp, never below a floor, never above the configured maximum.
 */
import type { Clock } from './clock.js';

export interface PublisherRembOptions {
  readonly clock: Clock;
  /** Cap for all of one publisher's video (default 3 Mbps: three simulcast layers). */
  readonly maxBitrate?: number;
  /** Never announce less (default 300 kbps). */
  readonly minBitrate?: number;
  /** Growth over the measured incoming bitrate (default 1.5). */
  readonly rampFactor?: number;
  /** Interval between two REMBs (default 1000 ms). */
  readonly intervalMs?: number;
}

export class PublisherRemb {
  private readonly clock: Clock;
  private readonly max: number;
  private readonly min: number;
  private readonly ramp: number;
  private readonly intervalMs: number;
  private lastSentAt = Number.NEGATIVE_INFINITY;

  constructor(opts: PublisherRembOptions) {
    this.clock = opts.clock;
    this.max = opts.maxBitrate ?? 3_000_000;
    this.min = opts.minBitrate ?? 300_000;
    this.ramp = opts.rampFactor ?? 1.5;
    this.intervalMs = opts.intervalMs ?? 1000;
  }

  /**
   * @param incomingBitrate what the publisher sends now over all its layers (LayerMonitor)
   * @param lossFraction loss seen on its uplink (0..1); above 10% the estimate stops growing
   * @returns the bitrate to announce now, or undefined before the interval has elapsed
   */
  tick(incomingBitrate: number, lossFraction = 0): number | undefined {
    const now = this.clock();
    if (now - this.lastSentAt < this.intervalMs) return undefined;
    this.lastSentAt = now;
    const factor = lossFraction > 0.1 ? 1 - lossFraction / 2 : this.ramp;
    return Math.round(Math.min(this.max, Math.max(this.min, incomingBitrate * factor)));
  }
}
