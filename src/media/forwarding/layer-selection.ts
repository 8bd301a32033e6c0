/**
 * Which simulcast layer a subscriber should receive: a pure function of the layers the publisher
 * sends, the size at which the subscriber displays the video, its bandwidth and a manual choice.
 */

export interface LayerInfo {
  /** 0 = lowest (rid q), 1 = h, 2 = f. */
  readonly index: number;
  readonly width: number;
  readonly height: number;
  /** Measured or announced bitrate, bits per second. */
  readonly bitrate: number;
  /** False while the publisher does not send this layer (paused by its own congestion control). */
  readonly active: boolean;
}

export interface LayerConstraints {
  /** Size of the subscriber's video element in pixels; 0 x 0 means hidden. Absent: no limit. */
  readonly displayWidth?: number;
  readonly displayHeight?: number;
  /** Bits per second this track may use; absent: no limit. */
  readonly bandwidth?: number;
  /** Manual choice from the SDK: the highest layer wanted. */
  readonly manualMaxLayer?: number;
  /** When even the lowest layer does not fit the bandwidth: pause (-1) instead of sending it. */
  readonly pauseWhenInsufficient?: boolean;
  /** Layer forwarded now; moving above it needs `upgradeHeadroom` (avoids flapping). */
  readonly currentLayer?: number;
  /** Bandwidth factor required to go above the current layer (default 1.15). */
  readonly upgradeHeadroom?: number;
}

/** -1: send nothing. */
export const NO_LAYER = -1;

/** The highest layer the display size and manual choice justify, ignoring bandwidth. */
export function maxUsefulLayer(layers: readonly LayerInfo[], c: LayerConstraints): number {
  const active = layers.filter((l) => l.active).sort((a, b) => a.index - b.index);
  if (active.length === 0) return NO_LAYER;
  if (c.displayWidth === 0 || c.displayHeight === 0) return NO_LAYER;
  let cap = active[active.length - 1]?.index ?? NO_LAYER;
  if (c.manualMaxLayer !== undefined) cap = Math.min(cap, Math.max(c.manualMaxLayer, active[0]?.index ?? 0));
  if (c.displayWidth !== undefined || c.displayHeight !== undefined) {
    const w = c.displayWidth ?? 0;
    const h = c.displayHeight ?? 0;
    // the smallest layer that covers the display in both dimensions, else the largest one
    const covering = active.find((l) => l.width >= w && l.height >= h);
    if (covering !== undefined) cap = Math.min(cap, covering.index);
  }
  return cap;
}

export function selectLayer(layers: readonly LayerInfo[], c: LayerConstraints): number {
  const cap = maxUsefulLayer(layers, c);
  if (cap === NO_LAYER) return NO_LAYER;
  const candidates = layers.filter((l) => l.active && l.index <= cap).sort((a, b) => b.index - a.index);
  if (c.bandwidth === undefined) return cap;
  const bandwidth = c.bandwidth;
  const headroom = c.upgradeHeadroom ?? 1.15;
  const current = c.currentLayer ?? NO_LAYER;
  const fitting = candidates.find((l) => l.bitrate * (current !== NO_LAYER && l.index > current ? headroom : 1) <= bandwidth);
  if (fitting !== undefined) return fitting.index;
  if (c.pauseWhenInsufficient === true) return NO_LAYER;
  return candidates[candidates.length - 1]?.index ?? NO_LAYER;
}
