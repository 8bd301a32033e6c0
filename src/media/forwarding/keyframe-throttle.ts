/**
 * Keyframe requests toward one publisher track: many subscribers' PLIs/FIRs (and the forwarders'
 * own requests on subscribe and switch) fan in to at most one request per SSRC per interval.
 */
import type { Clock } from './clock.js';

export interface KeyframeThrottleOptions {
  readonly clock: Clock;
  /** Minimum time between two requests for the same SSRC (default 500 ms). */
  readonly minIntervalMs?: number;
}

export type KeyframeVerdict = 'send' | 'throttled';

export class KeyframeThrottle {
  private readonly clock: Clock;
  private readonly minIntervalMs: number;
  private readonly lastSent = new Map<number, number>();
  private readonly firSeq = new Map<number, number>();
  private sentCount = 0;
  private throttledCount = 0;

  constructor(opts: KeyframeThrottleOptions) {
    this.clock = opts.clock;
    this.minIntervalMs = opts.minIntervalMs ?? 500;
  }

  /** Whether a keyframe request for `ssrc` should go to the publisher now. */
  request(ssrc: number): KeyframeVerdict {
    const now = this.clock();
    const last = this.lastSent.get(ssrc);
    if (last !== undefined && now - last < this.minIntervalMs) {
      this.throttledCount++;
      return 'throttled';
    }
    this.lastSent.set(ssrc, now);
    this.sentCount++;
    return 'send';
  }

  /** FIR command sequence number for `ssrc` (RFC 5104 §4.3.1.1): increments per new request. */
  nextFirSequence(ssrc: number): number {
    const next = ((this.firSeq.get(ssrc) ?? -1) + 1) & 0xff;
    this.firSeq.set(ssrc, next);
    return next;
  }

  /** The publisher restarted or the layer went away: forget its state. */
  forget(ssrc: number): void {
    this.lastSent.delete(ssrc);
    this.firSeq.delete(ssrc);
  }

  get stats(): { readonly sent: number; readonly throttled: number } {
    return { sent: this.sentCount, throttled: this.throttledCount };
  }
}
