/**
 * RTP fixed header (RFC 3550 §5.1) read and rewritten in place. Callers rewrite a copy of the
 * publisher's packet per subscriber (`Buffer.from(packet)`), never the shared original.
 */

export const RTP_FIXED_HEADER = 12;

export interface RtpHeader {
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly padding: boolean;
  readonly csrcCount: number;
  /** Offset of the header-extension block (its 4-byte profile/length word), if any. */
  readonly extensionOffset: number | undefined;
  /** Offset of the first payload byte. */
  readonly payloadOffset: number;
  /** Payload length without RTP padding. */
  readonly payloadLength: number;
}

/** First byte 0b10xxxxxx and payload type outside the RTCP range 72..76 (RFC 5761 §4). */
export function isRtp(buf: Buffer): boolean {
  if (buf.length < RTP_FIXED_HEADER) return false;
  const b0 = buf[0] ?? 0;
  const pt = (buf[1] ?? 0) & 0x7f;
  return b0 >> 6 === 2 && !(pt >= 64 && pt <= 95);
}

/**
 * Fixed header, CSRCs and extension block: where the payload starts, or -1 when `buf` cannot be
 * RTP. Reads nothing past the header, so it also serves SRTP, whose tail is the auth tag.
 */
export function rtpHeaderLength(buf: Buffer): number {
  if (buf.length < RTP_FIXED_HEADER || buf[0]! >> 6 !== 2) return -1;
  let length = RTP_FIXED_HEADER + (buf[0]! & 0x0f) * 4;
  if ((buf[0]! & 0x10) !== 0) {
    if (buf.length < length + 4) return -1;
    length += 4 + buf.readUInt16BE(length + 2) * 4;
  }
  return length <= buf.length ? length : -1;
}

/** Parses the header; returns undefined for anything malformed (the caller counts a drop). */
export function parseRtpHeader(buf: Buffer): RtpHeader | undefined {
  const offset = rtpHeaderLength(buf);
  if (offset < 0) return undefined;
  const b0 = buf.readUInt8(0);
  const padding = (b0 & 0x20) !== 0;
  const csrcCount = b0 & 0x0f;
  const b1 = buf.readUInt8(1);
  const extensionOffset = (b0 & 0x10) !== 0 ? RTP_FIXED_HEADER + csrcCount * 4 : undefined;
  let end = buf.length;
  if (padding) {
    const padLength = buf.readUInt8(buf.length - 1);
    if (padLength === 0 || end - padLength < offset) return undefined;
    end -= padLength;
  }
  return {
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequenceNumber: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    padding,
    csrcCount,
    extensionOffset,
    payloadOffset: offset,
    payloadLength: end - offset,
  };
}

export function writeSequenceNumber(buf: Buffer, seq: number): void {
  buf.writeUInt16BE(seq & 0xffff, 2);
}

export function writeTimestamp(buf: Buffer, ts: number): void {
  buf.writeUInt32BE(ts >>> 0, 4);
}

export function writeSsrc(buf: Buffer, ssrc: number): void {
  buf.writeUInt32BE(ssrc >>> 0, 8);
}

export function writeMarker(buf: Buffer, marker: boolean): void {
  const b1 = buf.readUInt8(1);
  buf.writeUInt8(marker ? b1 | 0x80 : b1 & 0x7f, 1);
}

export function writePayloadType(buf: Buffer, payloadType: number): void {
  const b1 = buf.readUInt8(1);
  buf.writeUInt8((b1 & 0x80) | (payloadType & 0x7f), 1);
}

export interface RtpRewrite {
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly payloadType?: number;
}

/** Applies a munger decision to a packet the caller owns. */
export function applyRewrite(buf: Buffer, rewrite: RtpRewrite): void {
  writeSequenceNumber(buf, rewrite.sequenceNumber);
  writeTimestamp(buf, rewrite.timestamp);
  writeSsrc(buf, rewrite.ssrc);
  if (rewrite.payloadType !== undefined) writePayloadType(buf, rewrite.payloadType);
}

export interface RtpPacketInit {
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly marker?: boolean;
  readonly payload: Buffer;
  /** One-byte header extensions (RFC 8285 §4.2), ids 1..14, data 1..16 bytes. */
  readonly extensions?: ReadonlyArray<{ readonly id: number; readonly data: Buffer }>;
}

/** Serialises a packet; used by tests, RTX and synthetic sources (not on the forward path). */
export function buildRtpPacket(init: RtpPacketInit): Buffer {
  const exts = init.extensions ?? [];
  let extBody = Buffer.alloc(0);
  if (exts.length > 0) {
    const parts: Buffer[] = [];
    for (const ext of exts) {
      parts.push(Buffer.from([((ext.id & 0x0f) << 4) | ((ext.data.length - 1) & 0x0f)]), ext.data);
    }
    const raw = Buffer.concat(parts);
    extBody = Buffer.alloc(Math.ceil(raw.length / 4) * 4);
    raw.copy(extBody);
  }
  const header = Buffer.alloc(RTP_FIXED_HEADER + (exts.length > 0 ? 4 : 0));
  header.writeUInt8(0x80 | (exts.length > 0 ? 0x10 : 0), 0);
  header.writeUInt8(((init.marker ?? false) ? 0x80 : 0) | (init.payloadType & 0x7f), 1);
  header.writeUInt16BE(init.sequenceNumber & 0xffff, 2);
  header.writeUInt32BE(init.timestamp >>> 0, 4);
  header.writeUInt32BE(init.ssrc >>> 0, 8);
  if (exts.length > 0) {
    header.writeUInt16BE(0xbede, 12);
    header.writeUInt16BE(extBody.length / 4, 14);
  }
  return Buffer.concat([header, extBody, init.payload]);
}

export function rtpPayload(buf: Buffer, header: RtpHeader): Buffer {
  return buf.subarray(header.payloadOffset, header.payloadOffset + header.payloadLength);
}
