/**
 * RTCP (RFC 3550 §6.4 SR/RR, RFC 4585 §6.2.1 generic NACK and §6.3.1 PLI, RFC 5104 §4.3.1 FIR,
 * draft-alvestrand-rmcat-remb REMB): parse compound packets into typed values, build the ones the
 * SFU sends. Unknown packets are returned as `other`, never thrown.
 */

export const RTCP_PT = { sr: 200, rr: 201, sdes: 202, bye: 203, rtpfb: 205, psfb: 206 } as const;

export interface ReceptionReport {
  readonly ssrc: number;
  /** Fraction lost since the last report, 0..255 (/256). */
  readonly fractionLost: number;
  readonly packetsLost: number;
  readonly highestSeq: number;
  readonly jitter: number;
  readonly lsr: number;
  readonly dlsr: number;
}

export type RtcpPacket =
  | (SenderInfo & { readonly type: 'sr'; readonly reports: readonly ReceptionReport[] })
  | { readonly type: 'rr'; readonly ssrc: number; readonly reports: readonly ReceptionReport[] }
  | { readonly type: 'nack'; readonly senderSsrc: number; readonly mediaSsrc: number; readonly lost: readonly number[] }
  | { readonly type: 'pli'; readonly senderSsrc: number; readonly mediaSsrc: number }
  | {
      readonly type: 'fir';
      readonly senderSsrc: number;
      readonly entries: ReadonlyArray<{ readonly ssrc: number; readonly seq: number }>;
    }
  | { readonly type: 'remb'; readonly senderSsrc: number; readonly bitrate: number; readonly ssrcs: readonly number[] }
  | { readonly type: 'twcc'; readonly senderSsrc: number; readonly mediaSsrc: number; readonly body: Buffer }
  | { readonly type: 'other'; readonly packetType: number; readonly fmt: number };

export type RtcpType = RtcpPacket['type'];

/** Parses a compound RTCP packet. Returns undefined if the framing itself is broken. */
export function parseRtcp(buf: Buffer): RtcpPacket[] | undefined {
  const out: RtcpPacket[] = [];
  let pos = 0;
  while (pos + 4 <= buf.length) {
    const b0 = buf.readUInt8(pos);
    if (b0 >> 6 !== 2) return undefined;
    const fmt = b0 & 0x1f;
    const packetType = buf.readUInt8(pos + 1);
    const length = (buf.readUInt16BE(pos + 2) + 1) * 4;
    if (pos + length > buf.length) return undefined;
    const body = buf.subarray(pos + 4, pos + length);
    out.push(parseOne(packetType, fmt, body));
    pos += length;
  }
  return pos === buf.length ? out : undefined;
}

function parseOne(packetType: number, fmt: number, body: Buffer): RtcpPacket {
  const other: RtcpPacket = { type: 'other', packetType, fmt };
  switch (packetType) {
    case RTCP_PT.sr: {
      if (body.length < 24) return other;
      return {
        type: 'sr',
        ssrc: body.readUInt32BE(0),
        ntpSec: body.readUInt32BE(4),
        ntpFrac: body.readUInt32BE(8),
        rtpTimestamp: body.readUInt32BE(12),
        packetCount: body.readUInt32BE(16),
        octetCount: body.readUInt32BE(20),
        reports: parseReports(body, 24, fmt),
      };
    }
    case RTCP_PT.rr:
      if (body.length < 4) return other;
      return { type: 'rr', ssrc: body.readUInt32BE(0), reports: parseReports(body, 4, fmt) };
    case RTCP_PT.rtpfb:
      if (body.length < 8) return other;
      if (fmt === 1) return parseNack(body);
      if (fmt === 15) {
        return { type: 'twcc', senderSsrc: body.readUInt32BE(0), mediaSsrc: body.readUInt32BE(4), body: body.subarray(8) };
      }
      return other;
    case RTCP_PT.psfb:
      if (body.length < 8) return other;
      if (fmt === 1) return { type: 'pli', senderSsrc: body.readUInt32BE(0), mediaSsrc: body.readUInt32BE(4) };
      if (fmt === 4) return parseFir(body);
      if (fmt === 15) return parseRemb(body) ?? other;
      return other;
    default:
      return other;
  }
}

function parseReports(body: Buffer, start: number, count: number): ReceptionReport[] {
  const reports: ReceptionReport[] = [];
  for (let i = 0; i < count; i++) {
    const o = start + i * 24;
    if (o + 24 > body.length) break;
    const lostRaw = body.readUIntBE(o + 5, 3);
    reports.push({
      ssrc: body.readUInt32BE(o),
      fractionLost: body.readUInt8(o + 4),
      packetsLost: lostRaw & 0x800000 ? lostRaw - 0x1000000 : lostRaw,
      highestSeq: body.readUInt32BE(o + 8),
      jitter: body.readUInt32BE(o + 12),
      lsr: body.readUInt32BE(o + 16),
      dlsr: body.readUInt32BE(o + 20),
    });
  }
  return reports;
}

function parseNack(body: Buffer): RtcpPacket {
  const lost: number[] = [];
  for (let o = 8; o + 4 <= body.length; o += 4) {
    const pid = body.readUInt16BE(o);
    const blp = body.readUInt16BE(o + 2);
    lost.push(pid);
    for (let bit = 0; bit < 16; bit++) {
      if (blp & (1 << bit)) lost.push((pid + bit + 1) & 0xffff);
    }
  }
  return { type: 'nack', senderSsrc: body.readUInt32BE(0), mediaSsrc: body.readUInt32BE(4), lost };
}

function parseFir(body: Buffer): RtcpPacket {
  const entries: Array<{ ssrc: number; seq: number }> = [];
  for (let o = 8; o + 8 <= body.length; o += 8) {
    entries.push({ ssrc: body.readUInt32BE(o), seq: body.readUInt8(o + 4) });
  }
  return { type: 'fir', senderSsrc: body.readUInt32BE(0), entries };
}

function parseRemb(body: Buffer): RtcpPacket | undefined {
  if (body.length < 16 || body.toString('ascii', 8, 12) !== 'REMB') return undefined;
  const num = body.readUInt8(12);
  const exp = body.readUInt8(13) >> 2;
  const mantissa = ((body.readUInt8(13) & 0x03) << 16) | body.readUInt16BE(14);
  const ssrcs: number[] = [];
  for (let i = 0; i < num && 16 + i * 4 + 4 <= body.length; i++) ssrcs.push(body.readUInt32BE(16 + i * 4));
  return { type: 'remb', senderSsrc: body.readUInt32BE(0), bitrate: mantissa * 2 ** exp, ssrcs };
}

function frame(fmt: number, packetType: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt8(0x80 | (fmt & 0x1f), 0);
  head.writeUInt8(packetType, 1);
  head.writeUInt16BE(body.length / 4, 2);
  return Buffer.concat([head, body]);
}

function ssrcPair(sender: number, media: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(sender >>> 0, 0);
  b.writeUInt32BE(media >>> 0, 4);
  return b;
}

/** Generic NACK: sequence numbers grouped into PID + 16-bit BLP items. */
export function buildNack(senderSsrc: number, mediaSsrc: number, lost: readonly number[]): Buffer {
  const sorted = [...new Set(lost.map((s) => s & 0xffff))].sort((a, b) => a - b);
  const items: Buffer[] = [];
  let i = 0;
  while (i < sorted.length) {
    const pid = sorted[i] ?? 0;
    let blp = 0;
    i++;
    while (i < sorted.length) {
      const d = ((sorted[i] ?? 0) - pid) & 0xffff;
      if (d < 1 || d > 16) break;
      blp |= 1 << (d - 1);
      i++;
    }
    const item = Buffer.alloc(4);
    item.writeUInt16BE(pid, 0);
    item.writeUInt16BE(blp, 2);
    items.push(item);
  }
  return frame(1, RTCP_PT.rtpfb, Buffer.concat([ssrcPair(senderSsrc, mediaSsrc), ...items]));
}

export function buildPli(senderSsrc: number, mediaSsrc: number): Buffer {
  return frame(1, RTCP_PT.psfb, ssrcPair(senderSsrc, mediaSsrc));
}

/** FIR (RFC 5104 §4.3.1): media source SSRC is 0, the target goes in the FCI with a seq nr. */
export function buildFir(senderSsrc: number, entries: ReadonlyArray<{ ssrc: number; seq: number }>): Buffer {
  const fci = Buffer.alloc(entries.length * 8);
  entries.forEach((e, i) => {
    fci.writeUInt32BE(e.ssrc >>> 0, i * 8);
    fci.writeUInt8(e.seq & 0xff, i * 8 + 4);
  });
  return frame(4, RTCP_PT.psfb, Buffer.concat([ssrcPair(senderSsrc, 0), fci]));
}

export function buildRemb(senderSsrc: number, bitrate: number, ssrcs: readonly number[]): Buffer {
  let exp = 0;
  let mantissa = Math.max(0, Math.floor(bitrate));
  while (mantissa > 0x3ffff) {
    mantissa = Math.floor(mantissa / 2);
    exp++;
  }
  const body = Buffer.alloc(16 + ssrcs.length * 4);
  body.writeUInt32BE(senderSsrc >>> 0, 0);
  body.writeUInt32BE(0, 4);
  body.write('REMB', 8, 'ascii');
  body.writeUInt8(ssrcs.length, 12);
  body.writeUInt8((exp << 2) | (mantissa >> 16), 13);
  body.writeUInt16BE(mantissa & 0xffff, 14);
  ssrcs.forEach((s, i) => body.writeUInt32BE(s >>> 0, 16 + i * 4));
  return frame(15, RTCP_PT.psfb, body);
}

function reportBlocks(reports: readonly ReceptionReport[]): Buffer {
  const b = Buffer.alloc(reports.length * 24);
  reports.forEach((r, i) => {
    const o = i * 24;
    b.writeUInt32BE(r.ssrc >>> 0, o);
    b.writeUInt8(r.fractionLost & 0xff, o + 4);
    b.writeUIntBE(r.packetsLost & 0xffffff, o + 5, 3);
    b.writeUInt32BE(r.highestSeq >>> 0, o + 8);
    b.writeUInt32BE(r.jitter >>> 0, o + 12);
    b.writeUInt32BE(r.lsr >>> 0, o + 16);
    b.writeUInt32BE(r.dlsr >>> 0, o + 20);
  });
  return b;
}

export interface SenderInfo {
  readonly ssrc: number;
  readonly ntpSec: number;
  readonly ntpFrac: number;
  readonly rtpTimestamp: number;
  readonly packetCount: number;
  readonly octetCount: number;
}

export function buildSr(info: SenderInfo, reports: readonly ReceptionReport[] = []): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32BE(info.ssrc >>> 0, 0);
  head.writeUInt32BE(info.ntpSec >>> 0, 4);
  head.writeUInt32BE(info.ntpFrac >>> 0, 8);
  head.writeUInt32BE(info.rtpTimestamp >>> 0, 12);
  head.writeUInt32BE(info.packetCount >>> 0, 16);
  head.writeUInt32BE(info.octetCount >>> 0, 20);
  return frame(reports.length, RTCP_PT.sr, Buffer.concat([head, reportBlocks(reports)]));
}

export function buildRr(ssrc: number, reports: readonly ReceptionReport[]): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(ssrc >>> 0, 0);
  return frame(reports.length, RTCP_PT.rr, Buffer.concat([head, reportBlocks(reports)]));
}

/** Unix milliseconds to the 64-bit NTP format used in SR (RFC 3550 §4). */
export function ntpFromUnixMs(ms: number): { ntpSec: number; ntpFrac: number } {
  const sec = Math.floor(ms / 1000);
  return { ntpSec: (sec + 2_208_988_800) >>> 0, ntpFrac: Math.floor(((ms - sec * 1000) / 1000) * 2 ** 32) >>> 0 };
}
