import { describe, expect, it } from 'vitest';
import { RtpMunger, type MungeResult } from '../../../src/media/forwarding/munger.js';
import { FakeClock } from './helpers.js';

function ok(r: MungeResult): { sequenceNumber: number; timestamp: number; ssrc: number } {
  if (!r.ok) throw new Error(`dropped: ${r.reason}`);
  return r;
}

describe('RtpMunger', () => {
  it('rewrites SSRC and keeps the first packet numbers by default', () => {
    const clock = new FakeClock();
    const m = new RtpMunger({ ssrc: 0xbeef, clockRate: 90000, clock: clock.fn });
    expect(ok(m.munge({ sequenceNumber: 100, timestamp: 5000, ssrc: 1 }))).toMatchObject({ sequenceNumber: 100, timestamp: 5000, ssrc: 0xbeef });
    expect(ok(m.munge({ sequenceNumber: 101, timestamp: 8000, ssrc: 1 }))).toMatchObject({ sequenceNumber: 101, timestamp: 8000, ssrc: 0xbeef });
  });

  it('continues seq by one and ts by elapsed wall-clock time across a layer switch', () => {
    const clock = new FakeClock();
    const m = new RtpMunger({ ssrc: 9, clockRate: 90000, clock: clock.fn, initialSequenceNumber: 1000, initialTimestamp: 50_000 });
    ok(m.munge({ sequenceNumber: 7, timestamp: 111, ssrc: 1 }));
    clock.advance(33);
    ok(m.munge({ sequenceNumber: 8, timestamp: 111 + 2970, ssrc: 1 }));
    m.resync();
    clock.advance(40);
    // layer 2: unrelated seq and ts spaces
    const first = ok(m.munge({ sequenceNumber: 40_000, timestamp: 3_000_000_000, ssrc: 2 }));
    expect(first.sequenceNumber).toBe(1002);
    expect(first.timestamp).toBe(50_000 + 2970 + 40 * 90);
    clock.advance(33);
    const next = ok(m.munge({ sequenceNumber: 40_001, timestamp: 3_000_000_000 + 2970, ssrc: 2 }));
    expect(next).toMatchObject({ sequenceNumber: 1003, timestamp: first.timestamp + 2970, ssrc: 9 });
  });

  it('treats a new incoming SSRC as a publisher restart even without resync()', () => {
    const clock = new FakeClock();
    const m = new RtpMunger({ ssrc: 9, clockRate: 48000, clock: clock.fn });
    ok(m.munge({ sequenceNumber: 500, timestamp: 9600, ssrc: 1 }));
    clock.advance(1000);
    const r = ok(m.munge({ sequenceNumber: 3, timestamp: 0, ssrc: 77 }));
    expect(r.sequenceNumber).toBe(501);
    expect(r.timestamp).toBe(9600 + 48000);
  });

  it('advances the timestamp by at least one tick on an immediate switch', () => {
    const clock = new FakeClock();
    const m = new RtpMunger({ ssrc: 9, clockRate: 90000, clock: clock.fn });
    ok(m.munge({ sequenceNumber: 1, timestamp: 10, ssrc: 1 }));
    m.resync();
    expect(ok(m.munge({ sequenceNumber: 900, timestamp: 5, ssrc: 2 })).timestamp).toBe(11);
  });

  it('wraps 16-bit seq and 32-bit ts on the output side', () => {
    const clock = new FakeClock();
    const m = new RtpMunger({ ssrc: 9, clockRate: 90000, clock: clock.fn, initialSequenceNumber: 65534, initialTimestamp: 0xffffffff - 1000 });
    const seqs: number[] = [];
    const tss: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = ok(m.munge({ sequenceNumber: 10 + i, timestamp: 100 + i * 3000, ssrc: 1 }));
      seqs.push(r.sequenceNumber);
      tss.push(r.timestamp);
    }
    expect(seqs).toEqual([65534, 65535, 0, 1]);
    expect(tss).toEqual([0xffffffff - 1000, 1999, 4999, 7999]);
  });

  it('follows the input across its own wrap, with late packets mapped consistently', () => {
    const clock = new FakeClock();
    const m = new RtpMunger({ ssrc: 9, clockRate: 90000, clock: clock.fn, initialSequenceNumber: 10 });
    ok(m.munge({ sequenceNumber: 65534, timestamp: 0, ssrc: 1 }));
    expect(ok(m.munge({ sequenceNumber: 1, timestamp: 0, ssrc: 1 })).sequenceNumber).toBe(13);
    // 65535 and 0 arrive late
    expect(ok(m.munge({ sequenceNumber: 65535, timestamp: 0, ssrc: 1 })).sequenceNumber).toBe(11);
    expect(ok(m.munge({ sequenceNumber: 0, timestamp: 0, ssrc: 1 })).sequenceNumber).toBe(12);
    expect(m.last.sequenceNumber).toBe(13);
  });

  it('drops late packets from before the switch point', () => {
    const clock = new FakeClock();
    const m = new RtpMunger({ ssrc: 9, clockRate: 90000, clock: clock.fn });
    ok(m.munge({ sequenceNumber: 100, timestamp: 0, ssrc: 1 }));
    m.resync();
    ok(m.munge({ sequenceNumber: 200, timestamp: 0, ssrc: 1 }));
    expect(m.munge({ sequenceNumber: 199, timestamp: 0, ssrc: 1 })).toEqual({ ok: false, reason: 'before-switch' });
  });

  it('closes the gap of skipped packets without reusing numbers for late ones', () => {
    const clock = new FakeClock();
    const m = new RtpMunger({ ssrc: 9, clockRate: 90000, clock: clock.fn, initialSequenceNumber: 0 });
    ok(m.munge({ sequenceNumber: 10, timestamp: 0, ssrc: 1 }));
    m.skip({ sequenceNumber: 12, timestamp: 0, ssrc: 1 }); // padding, newest
    expect(ok(m.munge({ sequenceNumber: 13, timestamp: 0, ssrc: 1 })).sequenceNumber).toBe(2);
    expect(ok(m.munge({ sequenceNumber: 11, timestamp: 0, ssrc: 1 })).sequenceNumber).toBe(1);
  });
});
