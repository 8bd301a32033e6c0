/**
 * RTP header extensions (RFC 8285): one-byte (0xBEDE) and two-byte (0x100x) forms, found by the
 * ids negotiated in SDP and read or rewritten in place.
 */
import type { RtpHeader } from './header.js';

export const EXT_URI = {
  audioLevel: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  absSendTime: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  transportCc: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  mid: 'urn:ietf:params:rtp-hdrext:sdes:mid',
  rid: 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
  repairedRid: 'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id',
} as const;

/** Extension ids as negotiated for one m-line; absent means not negotiated. */
export interface ExtensionIds {
  readonly audioLevel?: number;
  readonly absSendTime?: number;
  readonly transportCc?: number;
  readonly mid?: number;
  readonly rid?: number;
  readonly repairedRid?: number;
}

export interface ExtensionSlot {
  /** Offset of the element's data. */
  readonly offset: number;
  readonly length: number;
}

/** Locates extension `id` in the packet, or undefined. */
export function findExtension(buf: Buffer, header: RtpHeader, id: number): ExtensionSlot | undefined {
  const start = header.extensionOffset;
  if (start === undefined) return undefined;
  return findExtensionIn(buf, start, header.payloadOffset, id);
}

/** Locates extension `id` in the extension block at `start` (its profile word) ending at `end`. */
export function findExtensionIn(buf: Buffer, start: number, end: number, id: number): ExtensionSlot | undefined {
  if (id <= 0) return undefined;
  const profile = buf.readUInt16BE(start);
  let pos = start + 4;
  if (profile === 0xbede) {
    while (pos < end) {
      const b = buf.readUInt8(pos);
      if (b === 0) {
        pos += 1; // padding
        continue;
      }
      const elemId = b >> 4;
      if (elemId === 15) return undefined; // RFC 8285 §4.2: stop processing
      const length = (b & 0x0f) + 1;
      if (pos + 1 + length > end) return undefined;
      if (elemId === id) return { offset: pos + 1, length };
      pos += 1 + length;
    }
    return undefined;
  }
  if ((profile & 0xfff0) === 0x1000) {
    while (pos + 1 < end) {
      const elemId = buf.readUInt8(pos);
      if (elemId === 0) {
        pos += 1;
        continue;
      }
      const length = buf.readUInt8(pos + 1);
      if (pos + 2 + length > end) return undefined;
      if (elemId === id) return { offset: pos + 2, length };
      pos += 2 + length;
    }
  }
  return undefined;
}

export interface AudioLevel {
  /** 0 (loudest, 0 dBov) .. 127 (silence, -127 dBov). */
  readonly level: number;
  readonly voiceActivity: boolean;
}

/** RFC 6464 §3: one byte, V flag then the level in -dBov. */
export function readAudioLevel(buf: Buffer, header: RtpHeader, id: number): AudioLevel | undefined {
  const slot = findExtension(buf, header, id);
  if (slot === undefined || slot.length < 1) return undefined;
  const b = buf.readUInt8(slot.offset);
  return { level: b & 0x7f, voiceActivity: (b & 0x80) !== 0 };
}

/** abs-send-time: 24-bit 6.18 fixed-point seconds. Returns false if the slot is absent. */
export function writeAbsSendTime(buf: Buffer, header: RtpHeader, id: number, nowMs: number): boolean {
  const slot = findExtension(buf, header, id);
  if (slot === undefined || slot.length !== 3) return false;
  const value = Math.floor((nowMs * 262144) / 1000) & 0xffffff;
  buf.writeUIntBE(value, slot.offset, 3);
  return true;
}

export function readAbsSendTime(buf: Buffer, header: RtpHeader, id: number): number | undefined {
  const slot = findExtension(buf, header, id);
  if (slot === undefined || slot.length !== 3) return undefined;
  return buf.readUIntBE(slot.offset, 3);
}

/** transport-wide-cc: a 16-bit transport sequence number, rewritten per outgoing transport. */
export function writeTransportSequence(buf: Buffer, header: RtpHeader, id: number, seq: number): boolean {
  const slot = findExtension(buf, header, id);
  if (slot === undefined || slot.length !== 2) return false;
  buf.writeUInt16BE(seq & 0xffff, slot.offset);
  return true;
}

export function readTransportSequence(buf: Buffer, header: RtpHeader, id: number): number | undefined {
  const slot = findExtension(buf, header, id);
  if (slot === undefined || slot.length !== 2) return undefined;
  return buf.readUInt16BE(slot.offset);
}

/** Reads a string-valued SDES extension (mid, rid). */
export function readStringExtension(buf: Buffer, header: RtpHeader, id: number): string | undefined {
  const slot = findExtension(buf, header, id);
  if (slot === undefined) return undefined;
  return buf.toString('ascii', slot.offset, slot.offset + slot.length);
}
