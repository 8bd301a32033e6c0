import { describe, expect, it } from 'vitest';
import { LayerMonitor } from '../../../src/media/forwarding/layer-monitor.js';
import { selectLayer } from '../../../src/media/forwarding/layer-selection.js';
import { FakeClock } from './helpers.js';

describe('LayerMonitor', () => {
  it('measures per-layer bitrate and notices a layer the publisher stopped sending', () => {
    const clock = new FakeClock();
    const m = new LayerMonitor({ clock: clock.fn });
    // layer 0: 100 packets/s of 250 bytes = 200 kbps; layer 2: 1000 bytes = 800 kbps
    for (let i = 0; i < 200; i++) {
      clock.advance(10);
      m.record(0, 250);
      if (i < 150) m.record(2, 1000);
    }
    expect(m.bitrate(0)).toBeCloseTo(200_000, -4);
    expect(m.active(2)).toBe(true);
    clock.advance(1001);
    expect(m.active(2)).toBe(false);
    expect(m.bitrate(2)).toBe(0);
    expect(m.bitrate(1)).toBe(0);
  });

  it('feeds layer selection, which then skips the inactive layer', () => {
    const clock = new FakeClock();
    const m = new LayerMonitor({ clock: clock.fn });
    for (let i = 0; i < 150; i++) {
      clock.advance(10);
      m.record(0, 200);
      m.record(1, 600);
      if (i < 20) m.record(2, 2000);
    }
    const layers = m.describe([
      { width: 320, height: 180 },
      { width: 640, height: 360 },
      { width: 1280, height: 720 },
    ]);
    expect(layers.map((l) => l.active)).toEqual([true, true, false]);
    expect(selectLayer(layers, { bandwidth: 10_000_000 })).toBe(1);
  });
});
