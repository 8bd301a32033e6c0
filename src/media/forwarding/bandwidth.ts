/**
 * Bandwidth estimate inputs for one subscriber's downlink. The forwarding core only needs a
 * number of bits per second; where it comes from (REMB sent by the receiver, a TWCC-driven delay
 * estimator, RR loss) stays behind this interface.
 */
import type { Clock } from './clock.js';

export interface BandwidthEstimator {
  /** Current estimate in bits per second, or undefined while unknown or stale. */
  estimate(): number | undefined;
}

/** REMB (draft-alvestrand-rmcat-remb): the receiver computes the estimate and sends it to us. */
export class RembEstimator implements BandwidthEstimator {
  private readonly clock: Clock;
  private readonly staleAfterMs: number;
  private value: number | undefined;
  private at = Number.NEGATIVE_INFINITY;

  constructor(opts: { readonly clock: Clock; readonly staleAfterMs?: number }) {
    this.clock = opts.clock;
    this.staleAfterMs = opts.staleAfterMs ?? 5000;
  }

  onRemb(bitrate: number): void {
    this.value = bitrate;
    this.at = this.clock();
  }

  estimate(): number | undefined {
    return this.clock() - this.at > this.staleAfterMs ? undefined : this.value;
  }
}

/**
 * Loss-based controller (the loss half of GCC, draft-ietf-rmcat-gcc §6): from the fraction lost in
 * receiver reports or TWCC feedback, grow 5% under 2% loss, hold up to 10%, cut by half the loss
 * above. Bounded to [min, max].
 */
export class LossBasedEstimator implements BandwidthEstimator {
  private readonly clock: Clock;
  private readonly min: number;
  private readonly max: number;
  private readonly intervalMs: number;
  private value: number;
  private lastUpdate = Number.NEGATIVE_INFINITY;

  constructor(opts: {
    readonly clock: Clock;
    readonly initial?: number;
    readonly min?: number;
    readonly max?: number;
    readonly intervalMs?: number;
  }) {
    this.clock = opts.clock;
    this.value = opts.initial ?? 1_000_000;
    this.min = opts.min ?? 100_000;
    this.max = opts.max ?? 10_000_000;
    this.intervalMs = opts.intervalMs ?? 200;
  }

  /** fractionLost in 0..1 */
  onLossReport(fractionLost: number): void {
    const now = this.clock();
    if (now - this.lastUpdate < this.intervalMs) return;
    this.lastUpdate = now;
    if (fractionLost < 0.02) this.value *= 1.05;
    else if (fractionLost > 0.1) this.value *= 1 - 0.5 * fractionLost;
    this.value = Math.min(this.max, Math.max(this.min, this.value));
  }

  estimate(): number {
    return this.value;
  }
}

/**
 * One subscriber's downlink estimate for layer allocation. Chrome's REMB is a receive-side
 * estimate that never exceeds about 1.5x what it receives, so on its own it can never justify an
 * upgrade while only a low layer is forwarded (an SFU without probing would stay low forever).
 * The loss-based controller, fed by the subscriber's receiver reports, grows while nothing is lost
 * and cuts on loss: it does the probing. The estimate is the larger of the two, so either a
 * loss-free downlink or the receiver's own delay-based estimate can raise the layer, and only
 * both together (loss and a low REMB) lower it.
 */
export class SubscriberBandwidth implements BandwidthEstimator {
  readonly remb: RembEstimator;
  readonly loss: LossBasedEstimator;

  constructor(opts: { readonly clock: Clock; readonly initial?: number; readonly max?: number }) {
    this.remb = new RembEstimator({ clock: opts.clock });
    this.loss = new LossBasedEstimator({ clock: opts.clock, initial: opts.initial ?? 1_500_000, max: opts.max ?? 20_000_000, intervalMs: 500 });
  }

  onRemb(bitrate: number): void {
    this.remb.onRemb(bitrate);
  }

  /** fractionLost 0..255 from a receiver report block about one of our tracks. */
  onReceptionReport(fractionLost: number): void {
    this.loss.onLossReport(fractionLost / 256);
  }

  estimate(): number {
    return Math.max(this.loss.estimate(), this.remb.estimate() ?? 0);
  }
}
