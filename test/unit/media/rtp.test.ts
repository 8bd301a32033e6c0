import { describe, expect, it } from 'vitest';
import {
  applyRewrite,
  buildFir,
  buildNack,
  buildPli,
  buildRemb,
  buildRr,
  buildRtpPacket,
  buildSr,
  extendSeq,
  isH264Keyframe,
  isRtp,
  isVp8Keyframe,
  isVp9Keyframe,
  parseRtcp,
  parseRtpHeader,
  readAbsSendTime,
  readAudioLevel,
  readTransportSequence,
  rtpPayload,
  seqDiff,
  seqNewer,
  tsAdd,
  tsDiff,
  unwrapRtx,
  wrapRtx,
  writeAbsSendTime,
  writeMarker,
  writeTransportSequence,
} from '../../../src/media/rtp/index.js';
import { vp8Payload } from './helpers.js';

describe('sequence arithmetic', () => {
  it('compares across the 16-bit wrap', () => {
    expect(seqDiff(2, 65534)).toBe(4);
    expect(seqDiff(65534, 2)).toBe(-4);
    expect(seqNewer(0, 65535)).toBe(true);
    expect(extendSeq(0x1fffe, 1)).toBe(0x20001);
    expect(extendSeq(0x20001, 65535)).toBe(0x1ffff);
  });

  it('wraps 32-bit timestamps', () => {
    expect(tsAdd(0xffffff00, 0x200)).toBe(0x100);
    expect(tsDiff(0x100, 0xffffff00)).toBe(0x200);
  });
});

describe('RTP header', () => {
  const packet = buildRtpPacket({
    payloadType: 111,
    sequenceNumber: 4660,
    timestamp: 0xdeadbeef,
    ssrc: 0x11223344,
    marker: true,
    payload: Buffer.from('hello'),
    extensions: [
      { id: 1, data: Buffer.from([0x80 | 42]) },
      { id: 3, data: Buffer.from([0, 0, 0]) },
      { id: 5, data: Buffer.from([0, 0]) },
    ],
  });

  it('parses fields, extension block and payload', () => {
    const h = parseRtpHeader(packet);
    expect(h).toMatchObject({ marker: true, payloadType: 111, sequenceNumber: 4660, timestamp: 0xdeadbeef, ssrc: 0x11223344 });
    expect(isRtp(packet)).toBe(true);
    expect(h && rtpPayload(packet, h).toString()).toBe('hello');
  });

  it('rewrites seq, ts, ssrc, payload type and marker in place', () => {
    const copy = Buffer.from(packet);
    applyRewrite(copy, { sequenceNumber: 70000, timestamp: 2 ** 32 + 5, ssrc: 7, payloadType: 100 });
    writeMarker(copy, false);
    expect(parseRtpHeader(copy)).toMatchObject({ sequenceNumber: 70000 - 65536, timestamp: 5, ssrc: 7, payloadType: 100, marker: false });
    expect(parseRtpHeader(packet)?.ssrc).toBe(0x11223344);
  });

  it('reads the RFC 6464 audio level and rewrites abs-send-time and transport-cc', () => {
    const copy = Buffer.from(packet);
    const h = parseRtpHeader(copy);
    if (h === undefined) throw new Error('parse');
    expect(readAudioLevel(copy, h, 1)).toEqual({ level: 42, voiceActivity: true });
    expect(readAudioLevel(copy, h, 2)).toBeUndefined();
    expect(writeAbsSendTime(copy, h, 3, 1500)).toBe(true);
    expect(readAbsSendTime(copy, h, 3)).toBe(Math.floor(1.5 * 262144));
    expect(writeTransportSequence(copy, h, 5, 65537)).toBe(true);
    expect(readTransportSequence(copy, h, 5)).toBe(1);
    expect(rtpPayload(copy, h).toString()).toBe('hello');
  });

  it('reads two-byte header extensions', () => {
    const p = Buffer.from([
      0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, // header with X
      0x10, 0x00, 0, 1, // two-byte profile, 1 word
      7, 1, 0x85, 0, // id 7, len 1, level 5 with V
      0xaa,
    ]);
    const h = parseRtpHeader(p);
    if (h === undefined) throw new Error('parse');
    expect(readAudioLevel(p, h, 7)).toEqual({ level: 5, voiceActivity: true });
    expect(rtpPayload(p, h)).toEqual(Buffer.from([0xaa]));
  });

  it('rejects malformed packets instead of throwing', () => {
    expect(parseRtpHeader(Buffer.alloc(5))).toBeUndefined();
    expect(parseRtpHeader(Buffer.from([0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toBeUndefined();
    const badExt = Buffer.from([0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0xbe, 0xde, 0, 9]);
    expect(parseRtpHeader(badExt)).toBeUndefined();
  });

  it('strips padding from the payload', () => {
    const p = Buffer.concat([buildRtpPacket({ payloadType: 96, sequenceNumber: 1, timestamp: 1, ssrc: 1, payload: Buffer.from('ab') }), Buffer.from([0, 0, 3])]);
    p.writeUInt8(p.readUInt8(0) | 0x20, 0);
    const h = parseRtpHeader(p);
    expect(h?.payloadLength).toBe(2);
  });
});

describe('RTCP', () => {
  it('round-trips generic NACK with PID + BLP, across the wrap', () => {
    const lost = [65534, 65535, 0, 3, 100];
    const [p] = parseRtcp(buildNack(1, 2, lost)) ?? [];
    expect(p).toEqual({ type: 'nack', senderSsrc: 1, mediaSsrc: 2, lost: [0, 3, 100, 65534, 65535] });
    const [q] = parseRtcp(buildNack(1, 2, [65534, 0, 5])) ?? [];
    expect(q?.type === 'nack' && [...q.lost].sort((a, b) => a - b)).toEqual([0, 5, 65534]);
  });

  it('parses a compound of PLI, FIR, REMB', () => {
    const compound = Buffer.concat([buildPli(1, 0xabc), buildFir(1, [{ ssrc: 0xabc, seq: 3 }]), buildRemb(1, 1_500_000, [0xabc, 0xdef])]);
    const packets = parseRtcp(compound);
    expect(packets?.[0]).toEqual({ type: 'pli', senderSsrc: 1, mediaSsrc: 0xabc });
    expect(packets?.[1]).toEqual({ type: 'fir', senderSsrc: 1, entries: [{ ssrc: 0xabc, seq: 3 }] });
    const remb = packets?.[2];
    expect(remb?.type).toBe('remb');
    if (remb?.type === 'remb') {
      expect(remb.ssrcs).toEqual([0xabc, 0xdef]);
      expect(Math.abs(remb.bitrate - 1_500_000) / 1_500_000).toBeLessThan(0.001);
    }
  });

  it('round-trips SR and RR with report blocks', () => {
    const report = { ssrc: 9, fractionLost: 25, packetsLost: -2, highestSeq: 70000, jitter: 12, lsr: 0x12345678, dlsr: 65536 };
    const sr = parseRtcp(Buffer.concat([
      buildSr({ ssrc: 5, ntpSec: 1, ntpFrac: 2, rtpTimestamp: 3, packetCount: 4, octetCount: 5 }, [report]),
      buildRr(6, [report]),
    ]));
    expect(sr?.[0]).toEqual({ type: 'sr', ssrc: 5, ntpSec: 1, ntpFrac: 2, rtpTimestamp: 3, packetCount: 4, octetCount: 5, reports: [report] });
    expect(sr?.[1]).toEqual({ type: 'rr', ssrc: 6, reports: [report] });
  });

  it('returns undefined for broken framing and other for unknown types', () => {
    expect(parseRtcp(Buffer.from([0x80, 200, 0, 9, 0, 0]))).toBeUndefined();
    expect(parseRtcp(Buffer.from([0x81, 204, 0, 0]))).toEqual([{ type: 'other', packetType: 204, fmt: 1 }]);
  });
});

describe('RTX (RFC 4588)', () => {
  it('wraps with the OSN in the payload and unwraps back', () => {
    const original = buildRtpPacket({ payloadType: 96, sequenceNumber: 777, timestamp: 5, ssrc: 10, marker: true, payload: Buffer.from('xyz') });
    const rtx = wrapRtx(original, { ssrc: 20, sequenceNumber: 3, payloadType: 97 });
    if (rtx === undefined) throw new Error('wrap');
    const h = parseRtpHeader(rtx);
    expect(h).toMatchObject({ ssrc: 20, sequenceNumber: 3, payloadType: 97, marker: true, timestamp: 5 });
    expect(h && rtpPayload(rtx, h)).toEqual(Buffer.concat([Buffer.from([0x03, 0x09]), Buffer.from('xyz')]));
    expect(unwrapRtx(rtx, 10, 96)).toEqual(original);
  });
});

describe('keyframe detection', () => {
  it('VP8: start of a key frame, with and without extended descriptor', () => {
    expect(isVp8Keyframe(vp8Payload({ keyframe: true }))).toBe(true);
    expect(isVp8Keyframe(vp8Payload({ keyframe: false }))).toBe(false);
    expect(isVp8Keyframe(vp8Payload({ keyframe: true, start: false }))).toBe(false);
    // X=1, I=1 (15-bit picture id), L=1, T=1
    expect(isVp8Keyframe(Buffer.from([0x90, 0xe0, 0x81, 0x02, 0x05, 0x20, 0x00, 0x9d]))).toBe(true);
    expect(isVp8Keyframe(Buffer.from([0x90, 0xe0, 0x81, 0x02, 0x05, 0x20, 0x01, 0x9d]))).toBe(false);
  });

  it('H.264: IDR, SPS, STAP-A with SPS, FU-A start of IDR', () => {
    expect(isH264Keyframe(Buffer.from([0x65, 0]))).toBe(true);
    expect(isH264Keyframe(Buffer.from([0x67, 0]))).toBe(true);
    expect(isH264Keyframe(Buffer.from([0x41, 0]))).toBe(false);
    expect(isH264Keyframe(Buffer.from([0x78, 0, 2, 0x67, 0, 0, 2, 0x68, 0]))).toBe(true);
    expect(isH264Keyframe(Buffer.from([0x7c, 0x85, 0]))).toBe(true);
    expect(isH264Keyframe(Buffer.from([0x7c, 0x05, 0]))).toBe(false);
  });

  it('VP9: start of a non-inter-predicted frame', () => {
    expect(isVp9Keyframe(Buffer.from([0x08]))).toBe(true);
    expect(isVp9Keyframe(Buffer.from([0x48]))).toBe(false);
    expect(isVp9Keyframe(Buffer.from([0x00]))).toBe(false);
    expect(isVp9Keyframe(Buffer.from([0xa8, 0x05, 0x00]))).toBe(true);
    expect(isVp9Keyframe(Buffer.from([0xa8, 0x05, 0x02]))).toBe(false);
  });
});
