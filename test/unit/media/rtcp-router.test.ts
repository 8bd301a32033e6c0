import { describe, expect, it } from 'vitest';
import { DownTrack } from '../../../src/media/forwarding/down-track.js';
import { SubscriberRtcpRouter } from '../../../src/media/forwarding/rtcp-router.js';
import { buildFir, buildNack, buildPli, buildRemb, buildRr } from '../../../src/media/rtp/index.js';
import { FakeClock, vp8Packet } from './helpers.js';

describe('SubscriberRtcpRouter', () => {
  it('routes NACK/PLI/FIR by SSRC, REMB and reports to the estimator, counts the rest', () => {
    const clock = new FakeClock();
    const keyframes: string[] = [];
    const sent: number[] = [];
    const make = (ssrc: number): DownTrack =>
      new DownTrack({
        kind: 'video',
        ssrc,
        clockRate: 90000,
        clock: clock.fn,
        sinks: { forwardRtp: () => sent.push(ssrc), sendRtp: () => sent.push(ssrc), requestKeyframe: (l) => keyframes.push(`${ssrc}:${l}`) },
      });
    const a = make(10);
    const b = make(20);
    const rembs: number[] = [];
    const reports: number[] = [];
    const router = new SubscriberRtcpRouter({ onRemb: (x) => rembs.push(x), onReceptionReport: (r) => reports.push(r.ssrc) });
    router.add(a);
    router.add(b);
    a.writeRtp(vp8Packet({ ssrc: 1, seq: 5, ts: 0, keyframe: true }), 0);
    b.writeRtp(vp8Packet({ ssrc: 1, seq: 5, ts: 0, keyframe: true }), 0);
    sent.length = 0;

    const report = { fractionLost: 0, packetsLost: 0, highestSeq: 5, jitter: 0, lsr: 0, dlsr: 0 };
    router.route(
      Buffer.concat([
        buildRr(99, [{ ssrc: 10, ...report }, { ssrc: 77, ...report }]),
        buildNack(99, 10, [5]),
        buildPli(99, 20),
        buildFir(99, [{ ssrc: 10, seq: 1 }]),
        buildRemb(99, 900_000, [10, 20]),
        buildPli(99, 12345),
      ]),
    );
    expect(sent).toEqual([10]);
    expect(keyframes).toEqual(['20:0', '10:0']);
    expect(rembs).toHaveLength(1);
    expect(reports).toEqual([10]);
    expect(router.unknownSsrc).toBe(1);
    router.route(Buffer.from([0x80, 201, 0, 5]));
    expect(router.malformed).toBe(1);
    router.remove(a);
    router.route(buildPli(99, 10));
    expect(router.unknownSsrc).toBe(2);
  });
});
