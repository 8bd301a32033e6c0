import { describe, expect, it } from 'vitest';
import { RetransmissionBuffer } from '../../../src/media/forwarding/retransmission-buffer.js';
import { buildRtpPacket, parseRtpHeader, rtpPayload } from '../../../src/media/rtp/index.js';
import { FakeClock } from './helpers.js';

function packet(seq: number): Buffer {
  return buildRtpPacket({ payloadType: 96, sequenceNumber: seq, timestamp: seq * 3000, ssrc: 42, payload: Buffer.from([seq & 0xff, 1, 2]) });
}

describe('RetransmissionBuffer', () => {
  it('answers a NACK with the stored packets, as copies', () => {
    const clock = new FakeClock();
    const buf = new RetransmissionBuffer({ clock: clock.fn });
    for (let s = 65530; s < 65530 + 10; s++) buf.store(s & 0xffff, packet(s & 0xffff));
    const answer = buf.answerNack([65534, 2]);
    expect(answer.packets.map((p) => parseRtpHeader(p)?.sequenceNumber)).toEqual([65534, 2]);
    expect(answer.misses).toEqual({ missing: 0, expired: 0, 'resent-recently': 0 });
    answer.packets[0]?.writeUInt32BE(0, 8);
    clock.advance(100);
    expect(parseRtpHeader(buf.answerNack([65534]).packets[0] ?? Buffer.alloc(0))?.ssrc).toBe(42);
  });

  it('counts misses: never stored, overwritten by the ring, expired, resent too recently', () => {
    const clock = new FakeClock();
    const buf = new RetransmissionBuffer({ clock: clock.fn, capacity: 8, maxAgeMs: 1000, minResendIntervalMs: 50 });
    for (let s = 0; s < 12; s++) buf.store(s, packet(s));
    expect(buf.answerNack([100]).misses.missing).toBe(1);
    expect(buf.answerNack([1]).misses.missing).toBe(1); // slot reused by 9
    expect(buf.answerNack([10]).packets).toHaveLength(1);
    expect(buf.answerNack([10]).misses['resent-recently']).toBe(1);
    clock.advance(60);
    expect(buf.answerNack([10]).packets).toHaveLength(1);
    clock.advance(1000);
    expect(buf.answerNack([11]).misses.expired).toBe(1);
  });

  it('wraps answers in RTX with the OSN, its own SSRC and a continuous RTX sequence', () => {
    const clock = new FakeClock();
    const buf = new RetransmissionBuffer({ clock: clock.fn, rtx: { ssrc: 0x5555, payloadType: 97, initialSequenceNumber: 65535 } });
    buf.store(300, packet(300));
    buf.store(301, packet(301));
    const answer = buf.answerNack([300, 301]);
    const headers = answer.packets.map((p) => parseRtpHeader(p));
    expect(headers.map((h) => h?.ssrc)).toEqual([0x5555, 0x5555]);
    expect(headers.map((h) => h?.payloadType)).toEqual([97, 97]);
    expect(headers.map((h) => h?.sequenceNumber)).toEqual([65535, 0]);
    const first = answer.packets[0];
    const h0 = headers[0];
    if (first === undefined || h0 === undefined) throw new Error('no answer');
    expect(rtpPayload(first, h0).readUInt16BE(0)).toBe(300);
  });

  it('frees packets past maxAge as it goes, so it holds about maxAge of packets, not a full ring', () => {
    const clock = new FakeClock();
    const buf = new RetransmissionBuffer({ clock: clock.fn, capacity: 512, maxAgeMs: 1000 });
    // 150 packets a second for 5 s: a full ring would hold 512
    for (let i = 0; i < 750; i++) {
      buf.store(i, Buffer.alloc(10));
      clock.advance(1000 / 150);
    }
    expect(buf.held).toBeLessThanOrEqual(256);
    expect(buf.held).toBeGreaterThanOrEqual(150);
    expect(buf.lookup(749).ok).toBe(true);
  });
});
