import { describe, expect, it } from 'vitest';
import { PublisherRemb } from '../../../src/media/forwarding/publisher-remb.js';
import { buildRemb, parseRtcp } from '../../../src/media/rtp/index.js';
import { FakeClock } from './helpers.js';

describe('PublisherRemb', () => {
  it('ramps above what the publisher sends, within floor and cap, once per interval', () => {
    const clock = new FakeClock();
    const r = new PublisherRemb({ clock: clock.fn, minBitrate: 300_000, maxBitrate: 2_500_000, intervalMs: 1000 });
    expect(r.tick(100_000)).toBe(300_000);
    expect(r.tick(100_000)).toBeUndefined();
    clock.advance(1000);
    expect(r.tick(800_000)).toBe(1_200_000);
    clock.advance(1000);
    expect(r.tick(2_000_000)).toBe(2_500_000);
    clock.advance(1000);
    expect(r.tick(1_000_000, 0.2)).toBe(900_000);
  });

  it('produces a value that survives the REMB mantissa/exponent encoding', () => {
    const [p] = parseRtcp(buildRemb(1, 1_234_567, [0x5100, 0x5200])) ?? [];
    expect(p?.type === 'remb' && Math.abs(p.bitrate - 1_234_567)).toBeLessThan(16);
  });
});
