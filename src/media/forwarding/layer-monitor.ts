/**
 * What each simulcast layer of a publisher track is actually doing: bitrate over a sliding window
 * and whether it is still being sent (publishers drop their top layers under congestion). Feeds
 * `LayerInfo.bitrate` / `active` for selection and allocation; dimensions come from signaling.
 */
import type { Clock } from './clock.js';
import type { LayerInfo } from './layer-selection.js';

export interface LayerMonitorOptions {
  readonly clock: Clock;
  /** Bitrate window (default 1000 ms). */
  readonly windowMs?: number;
  /** A layer with no packet for this long is inactive (default 1000 ms). */
  readonly inactiveAfterMs?: number;
}

interface LayerState {
  bucketStart: number;
  bucketBytes: number;
  previousBytes: number;
  lastPacketAt: number;
}

export class LayerMonitor {
  private readonly clock: Clock;
  private readonly windowMs: number;
  private readonly inactiveAfterMs: number;
  private readonly layers = new Map<number, LayerState>();

  constructor(opts: LayerMonitorOptions) {
    this.clock = opts.clock;
    this.windowMs = opts.windowMs ?? 1000;
    this.inactiveAfterMs = opts.inactiveAfterMs ?? 1000;
  }

  /** One packet of `layer`, `bytes` long. O(1), no allocation after the first packet. */
  record(layer: number, bytes: number): void {
    const now = this.clock();
    let s = this.layers.get(layer);
    if (s === undefined) {
      s = { bucketStart: now, bucketBytes: 0, previousBytes: 0, lastPacketAt: now };
      this.layers.set(layer, s);
    }
    this.roll(s, now);
    s.bucketBytes += bytes;
    s.lastPacketAt = now;
  }

  /** Bits per second over the last complete window (or the current one while it is the first). */
  bitrate(layer: number): number {
    const s = this.layers.get(layer);
    if (s === undefined) return 0;
    const now = this.clock();
    this.roll(s, now);
    if (now - s.lastPacketAt > this.inactiveAfterMs) return 0;
    const bytes = Math.max(s.previousBytes, s.bucketBytes);
    return (bytes * 8 * 1000) / this.windowMs;
  }

  active(layer: number): boolean {
    const s = this.layers.get(layer);
    return s !== undefined && this.clock() - s.lastPacketAt <= this.inactiveAfterMs;
  }

  /** LayerInfo for selection, given the dimensions signalled for each layer (lowest first). */
  describe(dimensions: ReadonlyArray<{ readonly width: number; readonly height: number }>): LayerInfo[] {
    return dimensions.map((d, index) => ({
      index,
      width: d.width,
      height: d.height,
      bitrate: this.bitrate(index),
      active: this.active(index),
    }));
  }

  private roll(s: LayerState, now: number): void {
    const elapsed = now - s.bucketStart;
    if (elapsed < this.windowMs) return;
    s.previousBytes = elapsed < 2 * this.windowMs ? s.bucketBytes : 0;
    s.bucketBytes = 0;
    s.bucketStart = now - (elapsed % this.windowMs);
  }
}
