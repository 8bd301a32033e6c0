import { describe, expect, it } from 'vitest';
import { allocate } from '../../../src/media/forwarding/allocator.js';
import { LossBasedEstimator, RembEstimator } from '../../../src/media/forwarding/bandwidth.js';
import { NO_LAYER, selectLayer, type LayerInfo } from '../../../src/media/forwarding/layer-selection.js';
import { FakeClock } from './helpers.js';

const LAYERS: LayerInfo[] = [
  { index: 0, width: 320, height: 180, bitrate: 150_000, active: true },
  { index: 1, width: 640, height: 360, bitrate: 500_000, active: true },
  { index: 2, width: 1280, height: 720, bitrate: 1_500_000, active: true },
];

describe('selectLayer', () => {
  it('picks the highest layer that fits the bandwidth', () => {
    expect(selectLayer(LAYERS, { bandwidth: 3_000_000 })).toBe(2);
    expect(selectLayer(LAYERS, { bandwidth: 1_000_000 })).toBe(1);
    expect(selectLayer(LAYERS, { bandwidth: 200_000 })).toBe(0);
    expect(selectLayer(LAYERS, { bandwidth: 50_000 })).toBe(0);
    expect(selectLayer(LAYERS, { bandwidth: 50_000, pauseWhenInsufficient: true })).toBe(NO_LAYER);
  });

  it('caps at the smallest layer covering the displayed size', () => {
    expect(selectLayer(LAYERS, { displayWidth: 300, displayHeight: 170, bandwidth: 5e6 })).toBe(0);
    expect(selectLayer(LAYERS, { displayWidth: 480, displayHeight: 270, bandwidth: 5e6 })).toBe(1);
    expect(selectLayer(LAYERS, { displayWidth: 1920, displayHeight: 1080, bandwidth: 5e6 })).toBe(2);
    expect(selectLayer(LAYERS, { displayWidth: 0, displayHeight: 0 })).toBe(NO_LAYER);
  });

  it('honours the manual choice as a maximum and skips inactive layers', () => {
    expect(selectLayer(LAYERS, { manualMaxLayer: 1, bandwidth: 5e6 })).toBe(1);
    expect(selectLayer(LAYERS, { manualMaxLayer: 1, bandwidth: 200_000 })).toBe(0);
    const noHigh = LAYERS.map((l) => (l.index === 2 ? { ...l, active: false } : l));
    expect(selectLayer(noHigh, { bandwidth: 5e6 })).toBe(1);
    expect(selectLayer([], {})).toBe(NO_LAYER);
  });
});

describe('allocate', () => {
  it('reserves audio, then shares the rest among video tracks round-robin', () => {
    const a = allocate(2_300_000, [
      { id: 'mic', kind: 'audio', bitrate: 40_000 },
      { id: 'cam1', kind: 'video', layers: LAYERS, constraints: {} },
      { id: 'cam2', kind: 'video', layers: LAYERS, constraints: {} },
    ]);
    expect(a.layers.get('mic')).toBe(0);
    expect(a.layers.get('cam1')).toBe(2);
    expect(a.layers.get('cam2')).toBe(1);
    expect(a.used).toBeLessThanOrEqual(2_300_000);
  });

  it('respects display size and pauses lower-priority tracks that do not fit', () => {
    const a = allocate(400_000, [
      { id: 'screen', kind: 'video', layers: LAYERS, constraints: { displayWidth: 300, displayHeight: 160 } },
      { id: 'cam1', kind: 'video', layers: LAYERS, constraints: {} },
      { id: 'cam2', kind: 'video', layers: LAYERS, constraints: {} },
      { id: 'hidden', kind: 'video', layers: LAYERS, constraints: { displayWidth: 0, displayHeight: 0 } },
    ]);
    expect(a.layers.get('screen')).toBe(0);
    expect(a.layers.get('cam1')).toBe(0);
    expect(a.layers.get('cam2')).toBe(NO_LAYER);
    expect(a.layers.get('hidden')).toBe(NO_LAYER);
    expect(a.paused).toEqual(['cam2']);
  });
});

describe('bandwidth estimators', () => {
  it('REMB: latest value until stale', () => {
    const clock = new FakeClock();
    const e = new RembEstimator({ clock: clock.fn, staleAfterMs: 5000 });
    expect(e.estimate()).toBeUndefined();
    e.onRemb(800_000);
    expect(e.estimate()).toBe(800_000);
    clock.advance(5001);
    expect(e.estimate()).toBeUndefined();
  });

  it('loss-based: grows under 2% loss, cuts above 10%, holds in between', () => {
    const clock = new FakeClock();
    const e = new LossBasedEstimator({ clock: clock.fn, initial: 1_000_000, intervalMs: 200 });
    e.onLossReport(0);
    expect(e.estimate()).toBeCloseTo(1_050_000);
    e.onLossReport(0); // within the interval: ignored
    expect(e.estimate()).toBeCloseTo(1_050_000);
    clock.advance(200);
    e.onLossReport(0.05);
    expect(e.estimate()).toBeCloseTo(1_050_000);
    clock.advance(200);
    e.onLossReport(0.2);
    expect(e.estimate()).toBeCloseTo(945_000);
  });
});

describe('selectLayer hysteresis', () => {
  it('needs headroom to go above the current layer, none to stay or go down', () => {
    expect(selectLayer(LAYERS, { bandwidth: 1_600_000, currentLayer: 1 })).toBe(1);
    expect(selectLayer(LAYERS, { bandwidth: 1_800_000, currentLayer: 1 })).toBe(2);
    expect(selectLayer(LAYERS, { bandwidth: 1_500_000, currentLayer: 2 })).toBe(2);
    expect(selectLayer(LAYERS, { bandwidth: 1_400_000, currentLayer: 2 })).toBe(1);
  });
});
