/**
 * RTX (RFC 4588 §4): the retransmission carries the original sequence number (OSN) in the first
 * two payload bytes, under its own SSRC, sequence space and payload type.
 */
import { parseRtpHeader, RTP_FIXED_HEADER } from './header.js';

export interface RtxParams {
  readonly ssrc: number;
  readonly sequenceNumber: number;
  readonly payloadType: number;
}

/** Builds a new RTX packet from an (already munged) original; the original is not modified. */
export function wrapRtx(original: Buffer, rtx: RtxParams): Buffer | undefined {
  const header = parseRtpHeader(original);
  if (header === undefined) return undefined;
  const headerBytes = original.subarray(0, header.payloadOffset);
  const osn = Buffer.alloc(2);
  osn.writeUInt16BE(header.sequenceNumber, 0);
  const payload = original.subarray(header.payloadOffset, header.payloadOffset + header.payloadLength);
  const out = Buffer.concat([headerBytes, osn, payload]);
  out.writeUInt8(out.readUInt8(0) & ~0x20, 0); // padding is not carried over
  out.writeUInt8((out.readUInt8(1) & 0x80) | (rtx.payloadType & 0x7f), 1);
  out.writeUInt16BE(rtx.sequenceNumber & 0xffff, 2);
  out.writeUInt32BE(rtx.ssrc >>> 0, 8);
  return out;
}

/** Restores the original packet from an RTX packet given the original SSRC and payload type. */
export function unwrapRtx(rtxPacket: Buffer, ssrc: number, payloadType: number): Buffer | undefined {
  const header = parseRtpHeader(rtxPacket);
  if (header === undefined || header.payloadLength < 2 || header.payloadOffset < RTP_FIXED_HEADER) return undefined;
  const osn = rtxPacket.readUInt16BE(header.payloadOffset);
  const out = Buffer.concat([
    rtxPacket.subarray(0, header.payloadOffset),
    rtxPacket.subarray(header.payloadOffset + 2, header.payloadOffset + header.payloadLength),
  ]);
  out.writeUInt8(out.readUInt8(0) & ~0x20, 0);
  out.writeUInt8((out.readUInt8(1) & 0x80) | (payloadType & 0x7f), 1);
  out.writeUInt16BE(osn, 2);
  out.writeUInt32BE(ssrc >>> 0, 8);
  return out;
}
