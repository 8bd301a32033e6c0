/**
 * Fits one subscriber's down-tracks into its bandwidth estimate: audio first, then every visible
 * video track at its lowest layer (in priority order, pausing those that do not fit), then
 * upgrades round-robin one layer at a time up to what each track's display size justifies.
 */
import { maxUsefulLayer, NO_LAYER, type LayerConstraints, type LayerInfo } from './layer-selection.js';

export interface AudioDemand {
  readonly id: string;
  readonly kind: 'audio';
  readonly bitrate: number;
}

export interface VideoDemand {
  readonly id: string;
  readonly kind: 'video';
  readonly layers: readonly LayerInfo[];
  readonly constraints: Omit<LayerConstraints, 'bandwidth'>;
}

export type TrackDemand = AudioDemand | VideoDemand;

export interface Allocation {
  /** Layer per video track id (NO_LAYER = paused); audio tracks map to 0. */
  readonly layers: ReadonlyMap<string, number>;
  readonly used: number;
  /** Video tracks paused because the estimate could not fit their lowest layer. */
  readonly paused: readonly string[];
}

interface VideoState {
  readonly id: string;
  readonly ladder: readonly LayerInfo[];
  step: number;
}

/**
 * `tracks` in priority order (e.g. screen share and active speaker first). With
 * `pauseWhenInsufficient: false` every visible track keeps at least its lowest layer (a paused
 * track would also starve the estimate that could resume it).
 */
export function allocate(budget: number, tracks: readonly TrackDemand[], opts: { readonly pauseWhenInsufficient?: boolean } = {}): Allocation {
  const pause = opts.pauseWhenInsufficient ?? true;
  const layers = new Map<string, number>();
  const paused: string[] = [];
  let used = 0;
  for (const t of tracks) {
    if (t.kind !== 'audio') continue;
    layers.set(t.id, 0);
    used += t.bitrate;
  }
  const videos: VideoState[] = [];
  for (const t of tracks) {
    if (t.kind !== 'video') continue;
    const cap = maxUsefulLayer(t.layers, t.constraints);
    const ladder = t.layers.filter((l) => l.active && l.index <= cap).sort((a, b) => a.index - b.index);
    const lowest = ladder[0];
    if (cap === NO_LAYER || lowest === undefined) {
      layers.set(t.id, NO_LAYER);
      continue;
    }
    if (pause && used + lowest.bitrate > budget) {
      layers.set(t.id, NO_LAYER);
      paused.push(t.id);
      continue;
    }
    used += lowest.bitrate;
    videos.push({ id: t.id, ladder, step: 0 });
  }
  let upgraded = true;
  while (upgraded) {
    upgraded = false;
    for (const v of videos) {
      const cur = v.ladder[v.step];
      const next = v.ladder[v.step + 1];
      if (cur === undefined || next === undefined) continue;
      const delta = next.bitrate - cur.bitrate;
      if (used + delta > budget) continue;
      used += delta;
      v.step++;
      upgraded = true;
    }
  }
  for (const v of videos) layers.set(v.id, v.ladder[v.step]?.index ?? NO_LAYER);
  return { layers, used, paused };
}
