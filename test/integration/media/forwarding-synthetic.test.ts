/**
 * The forwarding core end to end with synthetic RTP, no engine: one simulcast publisher (three
 * layers with unrelated SSRC/seq/ts spaces, sequence numbers wrapping) fanned out to subscribers
 * that switch layers, mute, lose packets and ask for keyframes.
 */
import { describe, expect, it } from 'vitest';
import { DownTrack, TrackFanout, NO_LAYER } from '../../../src/media/forwarding/index.js';
import {
  buildRtpPacket,
  rewrittenCopy,
  isVp8Keyframe,
  parseRtpHeader,
  rtpPayload,
  seqDiff,
  tsDiff,
  unwrapRtx,
} from '../../../src/media/rtp/index.js';

class Clock {
  now = 0;
  readonly fn = (): number => this.now;
}

interface Layer {
  readonly ssrc: number;
  seq: number;
  ts: number;
  keyframeDue: boolean;
}

/** 30 fps, 3 packets per frame; a layer sends a keyframe when asked (PLI) or every 3 s. */
class SimulcastPublisher {
  readonly layers: Layer[] = [
    { ssrc: 0xa0, seq: 65_000, ts: 0xfff00000, keyframeDue: true },
    { ssrc: 0xa1, seq: 100, ts: 12345, keyframeDue: true },
    { ssrc: 0xa2, seq: 65_535, ts: 7, keyframeDue: true },
  ];
  private frame = 0;

  pli(ssrc: number): void {
    const layer = this.layers.find((l) => l.ssrc === ssrc);
    if (layer !== undefined) layer.keyframeDue = true;
  }

  /** Packets of one frame time for every layer: [packet, layer][]. */
  nextFrame(): Array<[Buffer, number, number]> {
    const out: Array<[Buffer, number, number]> = [];
    this.frame++;
    this.layers.forEach((l, index) => {
      const key = l.keyframeDue || this.frame % 90 === 0;
      l.keyframeDue = false;
      for (let p = 0; p < 3; p++) {
        const descriptor = Buffer.from([p === 0 ? 0x10 : 0x00, key ? 0x00 : 0x01]);
        out.push([
          buildRtpPacket({
            payloadType: 96,
            sequenceNumber: l.seq,
            timestamp: l.ts,
            ssrc: l.ssrc,
            marker: p === 2,
            payload: Buffer.concat([descriptor, Buffer.alloc(100 * (index + 1), index)]),
          }),
          index,
          l.ssrc,
        ]);
        l.seq = (l.seq + 1) & 0xffff;
      }
      l.ts = (l.ts + 3000) >>> 0;
    });
    return out;
  }
}

interface Subscriber {
  readonly dt: DownTrack;
  readonly got: Buffer[];
  readonly rtx: Buffer[];
}

function subscribe(fanout: TrackFanout, clock: Clock, ssrc: number, targetLayer: number): Subscriber {
  const got: Buffer[] = [];
  const rtx: Buffer[] = [];
  const dt = new DownTrack({
    kind: 'video',
    codec: 'vp8',
    ssrc,
    payloadType: 100,
    clockRate: 90000,
    clock: clock.fn,
    targetLayer,
    rtx: { ssrc: ssrc + 1, payloadType: 101 },
    sinks: {
      forwardRtp: (p, rewrite) => got.push(rewrittenCopy(p, rewrite)!),
      sendRtp: (p) => (parseRtpHeader(p)?.ssrc === ssrc ? got : rtx).push(p),
      requestKeyframe: (layer) => fanout.requestKeyframe(layer),
    },
  });
  fanout.add(dt);
  dt.start();
  return { dt, got, rtx };
}

/** Asserts one continuous stream: single SSRC, seq +1 each, ts non-decreasing, starts on a keyframe. */
function expectContinuous(s: Subscriber, ssrc: number): void {
  const headers = s.got.map((p) => parseRtpHeader(p));
  expect(headers.every((h) => h?.ssrc === ssrc && h.payloadType === 100)).toBe(true);
  for (let i = 1; i < headers.length; i++) {
    expect(seqDiff(headers[i]?.sequenceNumber ?? 0, headers[i - 1]?.sequenceNumber ?? 0)).toBe(1);
    expect(tsDiff(headers[i]?.timestamp ?? 0, headers[i - 1]?.timestamp ?? 0)).toBeGreaterThanOrEqual(0);
  }
  const first = s.got[0];
  const h0 = headers[0];
  expect(first !== undefined && h0 !== undefined && isVp8Keyframe(rtpPayload(first, h0))).toBe(true);
}

/** Which publisher layer a forwarded packet came from (payload filled with the layer index). */
function layerOf(p: Buffer): number {
  const h = parseRtpHeader(p);
  return h === undefined ? -1 : rtpPayload(p, h)[5] ?? -1;
}

describe('forwarding core with a synthetic simulcast publisher', () => {
  it('keeps every subscriber continuous across switches, wrap-around, pause and mute; repairs loss; fans in PLIs', () => {
    const clock = new Clock();
    const pub = new SimulcastPublisher();
    const plis: number[] = [];
    const fanout = new TrackFanout({
      clock: clock.fn,
      codec: 'vp8',
      keyframeIntervalMs: 300,
      sendPli: (ssrc) => {
        plis.push(ssrc);
        pub.pli(ssrc);
      },
    });
    const subs = [subscribe(fanout, clock, 1000, 0), subscribe(fanout, clock, 2000, 2), subscribe(fanout, clock, 3000, 1)];
    const [low, high, mid] = subs;
    if (low === undefined || high === undefined || mid === undefined) throw new Error('setup');

    const run = (frames: number): void => {
      for (let f = 0; f < frames; f++) {
        clock.now += 33;
        for (const [packet, layer] of pub.nextFrame()) fanout.writeRtp(packet, layer);
      }
    };

    run(30);
    expect(low.got.every((p) => layerOf(p) === 0)).toBe(true);
    expect(high.got.every((p) => layerOf(p) === 2)).toBe(true);

    // switches: up for low, down for high; each waits for the target's keyframe
    low.dt.setTargetLayer(2);
    high.dt.setTargetLayer(0);
    run(30);
    expect(layerOf(low.got[low.got.length - 1] ?? Buffer.alloc(0))).toBe(2);
    expect(layerOf(high.got[high.got.length - 1] ?? Buffer.alloc(0))).toBe(0);

    // pause by the allocator, then resume; mute and unmute
    mid.dt.setTargetLayer(NO_LAYER);
    run(10);
    mid.dt.setTargetLayer(1);
    mid.dt.setMuted(true);
    run(20);
    mid.dt.setMuted(false);
    run(30);

    for (const [i, s] of subs.entries()) expectContinuous(s, (i + 1) * 1000);
    expect(mid.dt.stats.drops.muted).toBeGreaterThan(0);
    expect(mid.dt.stats.drops.paused).toBeGreaterThan(0);
    // the paused + muted gap shows up in the timestamps, not in the sequence numbers
    const midTs = mid.got.map((p) => parseRtpHeader(p)?.timestamp ?? 0);
    const gaps = midTs.slice(1).map((t, i) => tsDiff(t, midTs[i] ?? 0));
    expect(Math.max(...gaps)).toBeGreaterThan(30 * 3000 * 0.9);

    // loss repair over RTX: the original seq comes back in the OSN
    const lostSeqs = low.got.slice(-20, -17).map((p) => parseRtpHeader(p)?.sequenceNumber ?? 0);
    low.dt.handleRtcp({ type: 'nack', senderSsrc: 1, mediaSsrc: 1000, lost: lostSeqs });
    expect(low.rtx).toHaveLength(3);
    const restored = low.rtx.map((p) => unwrapRtx(p, 1000, 100));
    expect(restored).toEqual(low.got.slice(-20, -17));

    // a PLI storm from every subscriber: at most one PLI per layer SSRC per 300 ms
    const before = plis.length;
    for (let i = 0; i < 10; i++) for (const s of subs) s.dt.handleRtcp({ type: 'pli', senderSsrc: 1, mediaSsrc: s.dt.ssrc });
    const storm = plis.slice(before);
    expect(new Set(storm).size).toBe(storm.length);
    expect(storm.length).toBeLessThanOrEqual(3); // one per layer in use
    expect(fanout.throttle.stats.throttled).toBeGreaterThanOrEqual(30 - 3);
  });
});
