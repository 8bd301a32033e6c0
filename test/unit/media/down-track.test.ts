import { describe, expect, it } from 'vitest';
import { DownTrack } from '../../../src/media/forwarding/down-track.js';
import { parseRtpHeader, buildRtpPacket, unwrapRtx } from '../../../src/media/rtp/index.js';
import { FakeClock, vp8Packet } from './helpers.js';
import { rewrittenCopy } from '../../../src/media/rtp/rewrite.js';

function setup(clock: FakeClock, rtx?: { ssrc: number; payloadType: number }) {
  const sent: Buffer[] = [];
  const keyframes: number[] = [];
  const estimates: number[] = [];
  const dt = new DownTrack({
    kind: 'video',
    codec: 'vp8',
    ssrc: 0xd0d0,
    payloadType: 100,
    clockRate: 90000,
    clock: clock.fn,
    ...(rtx !== undefined ? { rtx } : {}),
    sinks: {
      forwardRtp: (p, r) => sent.push(rewrittenCopy(p, r)!),
      sendRtp: (p) => sent.push(p),
      requestKeyframe: (l) => keyframes.push(l),
      onBandwidthEstimate: (b) => estimates.push(b),
    },
  });
  return { dt, sent, keyframes, estimates };
}

describe('DownTrack (apply step)', () => {
  it('sends rewritten copies and never touches the shared publisher packet', () => {
    const clock = new FakeClock();
    const { dt, sent, keyframes } = setup(clock);
    dt.start();
    expect(keyframes).toEqual([0]);
    const original = vp8Packet({ ssrc: 0x1111, seq: 5000, ts: 123, keyframe: true });
    const before = Buffer.from(original);
    dt.writeRtp(original, 0);
    dt.writeRtp(vp8Packet({ ssrc: 0x1111, seq: 5001, ts: 3123 }), 0);
    expect(original).toEqual(before);
    expect(sent.map((p) => parseRtpHeader(p))).toMatchObject([
      { ssrc: 0xd0d0, payloadType: 100, sequenceNumber: 5000 },
      { ssrc: 0xd0d0, payloadType: 100, sequenceNumber: 5001 },
    ]);
    expect(dt.stats.packetsSent).toBe(2);
  });

  it('answers NACK from its buffer (plain or RTX) and turns PLI into an upstream request', () => {
    const clock = new FakeClock();
    const { dt, sent, keyframes } = setup(clock, { ssrc: 0xe0e0, payloadType: 101 });
    dt.start();
    for (let i = 0; i < 5; i++) dt.writeRtp(vp8Packet({ ssrc: 1, seq: 65533 + i, ts: i * 3000, keyframe: i === 0 }), 0);
    const forwarded = new Map(sent.map((p) => [parseRtpHeader(p)?.sequenceNumber, p]));
    sent.length = 0;
    const lost = [...forwarded.keys()].filter((seq) => seq !== undefined).slice(1, 3);
    dt.handleRtcp({ type: 'nack', senderSsrc: 9, mediaSsrc: 0xd0d0, lost: [...lost, (lost[1]! + 100) & 0xffff] });
    expect(sent.map((p) => parseRtpHeader(p)?.ssrc)).toEqual([0xe0e0, 0xe0e0]);
    // rebuilt from the publisher's packet and the stored rewrite: byte for byte what was forwarded
    const unwrapped = sent.map((p) => unwrapRtx(p, 0xd0d0, 100)?.toString('hex'));
    expect(unwrapped).toEqual(lost.map((seq) => forwarded.get(seq)?.toString('hex')));
    expect(dt.stats).toMatchObject({ retransmitted: 2, nackMisses: 1 });
    dt.handleRtcp({ type: 'pli', senderSsrc: 9, mediaSsrc: 0xd0d0 });
    expect(keyframes).toEqual([0, 0]);
  });

  it('counts drops by reason and reports REMB', () => {
    const clock = new FakeClock();
    const { dt, sent, estimates } = setup(clock);
    dt.start();
    dt.writeRtp(Buffer.from([1, 2, 3]), 0);
    dt.writeRtp(vp8Packet({ ssrc: 1, seq: 1, ts: 0 }), 0);
    dt.writeRtp(vp8Packet({ ssrc: 2, seq: 1, ts: 0, keyframe: true }), 1);
    dt.handleRtcp({ type: 'remb', senderSsrc: 9, bitrate: 750_000, ssrcs: [0xd0d0] });
    expect(sent).toHaveLength(0);
    expect(dt.drops.snapshot()).toEqual({ malformed: 1, 'waiting-keyframe': 2 });
    expect(estimates).toEqual([750_000]);
  });

  it('audio passes without keyframes', () => {
    const clock = new FakeClock();
    const sent: Buffer[] = [];
    const dt = new DownTrack({ kind: 'audio', ssrc: 3, clockRate: 48000, clock: clock.fn, sinks: { forwardRtp: (p, r) => sent.push(rewrittenCopy(p, r)!), sendRtp: (p) => sent.push(p), requestKeyframe: () => undefined } });
    dt.start();
    dt.writeRtp(buildRtpPacket({ payloadType: 111, sequenceNumber: 9, timestamp: 960, ssrc: 4, payload: Buffer.from([1]) }), 0);
    expect(sent).toHaveLength(1);
  });
});

describe('DownTrack sender reports', () => {
  it('extrapolates the RTP timestamp of the last packet to now and counts what was sent', async () => {
    const { parseRtcp } = await import('../../../src/media/rtp/index.js');
    const clock = new FakeClock();
    const { dt } = setup(clock);
    expect(dt.senderReport(Date.UTC(2026, 0, 1))).toBeUndefined();
    dt.start();
    dt.writeRtp(vp8Packet({ ssrc: 1, seq: 10, ts: 90_000, keyframe: true }), 0);
    clock.advance(500);
    const [sr] = parseRtcp(dt.senderReport(Date.UTC(2026, 0, 1)) ?? Buffer.alloc(0)) ?? [];
    expect(sr).toMatchObject({ type: 'sr', ssrc: 0xd0d0, rtpTimestamp: 90_000 + 45_000, packetCount: 1 });
    expect(sr?.type === 'sr' && sr.ntpSec).toBe(Date.UTC(2026, 0, 1) / 1000 + 2_208_988_800);
  });
});

describe('TrackFanout packet ownership', () => {
  it('gives every subscriber its own rewritten Buffer and leaves the publisher packet intact', async () => {
    const { TrackFanout } = await import('../../../src/media/forwarding/track-fanout.js');
    const clock = new FakeClock();
    const fanout = new TrackFanout({ clock: clock.fn, codec: 'vp8', sendPli: () => undefined });
    const got: Buffer[][] = [[], []];
    [0, 1].forEach((i) => {
      const dt = new DownTrack({
        kind: 'video',
        ssrc: 500 + i,
        clockRate: 90000,
        clock: clock.fn,
        sinks: { forwardRtp: (p, r) => got[i]?.push(rewrittenCopy(p, r)!), sendRtp: (p) => got[i]?.push(p), requestKeyframe: (l) => fanout.requestKeyframe(l) },
      });
      fanout.add(dt);
      dt.start();
    });
    const original = vp8Packet({ ssrc: 7, seq: 1, ts: 0, keyframe: true });
    const before = Buffer.from(original);
    fanout.writeRtp(original, 0);
    fanout.writeRtp(Buffer.from([0]), 0);
    expect(original).toEqual(before);
    const [a, b] = [got[0]?.[0], got[1]?.[0]];
    expect(a).toBeDefined();
    expect(a === b || a?.buffer === b?.buffer && a?.byteOffset === b?.byteOffset).toBe(false);
    expect([a, b].map((p) => parseRtpHeader(p ?? Buffer.alloc(0))?.ssrc)).toEqual([500, 501]);
    expect(fanout.drops.get('malformed')).toBe(1);
  });
});

describe('DownTrack and an engine that forwards the steady state itself (ADR 0011)', () => {
  function steadySetup(clock: FakeClock) {
    const log: string[] = [];
    const dt = new DownTrack({
      kind: 'video',
      codec: 'vp8',
      ssrc: 0xd0d0,
      clockRate: 90000,
      clock: clock.fn,
      sinks: {
        forwardRtp: (p, _r, steady) => log.push(`${p.readUInt16BE(2)}:${steady ? 'steady' : 'not'}`),
        sendRtp: () => undefined,
        requestKeyframe: () => undefined,
        beforeChange: () => log.push('change'),
      },
    });
    return { dt, log };
  }

  it('says which packets are steady: in order, on the target layer, not the switch packet', () => {
    const clock = new FakeClock();
    const { dt, log } = steadySetup(clock);
    dt.start();
    dt.writeRtp(vp8Packet({ ssrc: 1, seq: 100, ts: 0, keyframe: true }), 0); // completes the switch to layer 0
    dt.writeRtp(vp8Packet({ ssrc: 1, seq: 101, ts: 3000 }), 0);
    dt.writeRtp(vp8Packet({ ssrc: 1, seq: 103, ts: 6000 }), 0); // a gap: still in order
    dt.writeRtp(vp8Packet({ ssrc: 1, seq: 102, ts: 6000 }), 0); // late: same offsets, but `last` does not move
    expect(log).toEqual(['100:not', '101:steady', '103:steady', '102:not']);
  });

  it('calls beforeChange before a target or mute change, and not when nothing changes', () => {
    const clock = new FakeClock();
    const { dt, log } = steadySetup(clock);
    dt.start();
    dt.writeRtp(vp8Packet({ ssrc: 1, seq: 100, ts: 0, keyframe: true }), 0);
    dt.setTargetLayer(0);
    dt.setMuted(false);
    expect(log).toEqual(['100:not']);
    dt.setMuted(true);
    expect(log).toEqual(['100:not', 'change']);
    dt.writeRtp(vp8Packet({ ssrc: 1, seq: 101, ts: 3000 }), 0); // muted: dropped, nothing forwarded
    dt.setMuted(false);
    dt.setTargetLayer(2);
    expect(log).toEqual(['100:not', 'change', 'change', 'change']);
    dt.chooseLayer([{ index: 0, bitrate: 100_000, active: true, width: 320, height: 180 }], { bandwidth: 10_000_000 });
    expect(log.filter((l) => l === 'change')).toHaveLength(4);
  });
});
