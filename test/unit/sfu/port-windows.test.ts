import { describe, expect, it } from 'vitest';
import { PORT_WINDOW, PortWindows } from '../../../src/sfu/port-windows.js';

describe('PortWindows', () => {
  it('walks its slice in windows and wraps around', () => {
    const w = new PortWindows([50000, 50039]);
    expect(w.next()).toEqual([50000, 50000 + PORT_WINDOW - 1]);
    expect(w.next()).toEqual([50016, 50031]);
    expect(w.next()).toEqual([50032, 50039]);
    expect(w.next()).toEqual([50000, 50015]);
  });

  it('gives each media thread its own slice, the last one taking the remainder', () => {
    const a = new PortWindows([50000, 50100], { index: 0, count: 2 });
    const b = new PortWindows([50000, 50100], { index: 1, count: 2 });
    const seenA = new Set<number>();
    const seenB = new Set<number>();
    for (let i = 0; i < 10; i++) {
      const [lo, hi] = a.next();
      for (let p = lo; p <= hi; p++) seenA.add(p);
      const [lo2, hi2] = b.next();
      for (let p = lo2; p <= hi2; p++) seenB.add(p);
    }
    expect(Math.min(...seenA)).toBe(50000);
    expect(Math.max(...seenA)).toBe(50049);
    expect(Math.min(...seenB)).toBe(50050);
    expect(Math.max(...seenB)).toBe(50100);
  });

  it('never returns a window with equal ends, and refuses a range too small to share', () => {
    const w = new PortWindows([50000, 50016]);
    w.next();
    expect(w.next()).toEqual([50000, 50015]); // a one-port tail is skipped
    expect(() => new PortWindows([50000, 50002], { index: 0, count: 2 })).toThrow(/too small/);
  });
});
