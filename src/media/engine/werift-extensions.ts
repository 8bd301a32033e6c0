/**
 * Maps RTP header extensions between one werift peer connection's negotiated ids and Parley's
 * canonical ids (transport.ts). Only what the SFU needs survives: audio level in, audio level +
 * mid + abs-send-time out. rid, repaired-rid and transport-cc stay on their own hop.
 */
import type { Extension } from 'werift';
import { EXT_URI, findExtensionIn } from '../rtp/extensions.js';
import { RTP_FIXED_HEADER, rtpHeaderLength } from '../rtp/header.js';
import { CANONICAL_EXT_IDS } from './transport.js';

export type IdToUri = Readonly<Record<number, string>>;

export function uriToId(map: IdToUri): Map<string, number> {
  const out = new Map<string, number>();
  for (const [id, uri] of Object.entries(map)) out.set(uri, Number(id));
  return out;
}

/** Incoming: negotiated ids to canonical ones, dropping what the SFU does not carry across. */
export function toCanonical(extensions: readonly Extension[], idToUri: IdToUri): Extension[] {
  const out: Extension[] = [];
  for (const ext of extensions) {
    const uri = idToUri[ext.id];
    if (uri === EXT_URI.audioLevel) out.push({ id: CANONICAL_EXT_IDS.audioLevel, payload: ext.payload });
  }
  return out;
}

/**
 * `toCanonical` on a packet's bytes, in place, for incoming RTP that skips werift's parser
 * (werift-fast-receive.ts), giving the bytes werift's parse, `toCanonical` and serialise give: the
 * extension block keeps only the audio level, under its canonical id and in the block's own form
 * (one- or two-byte elements), and the fixed header moves up against the payload. Returns the
 * packet at its new first byte (a view of `packet`), undefined when the header is malformed.
 */
export function canonicalInPlace(packet: Buffer, audioLevelId: number | undefined): Buffer | undefined {
  const headerLength = rtpHeaderLength(packet);
  if (headerLength < 0) return undefined;
  const b0 = packet[0]!;
  if ((b0 & 0x10) === 0) return packet;
  const fixed = RTP_FIXED_HEADER + (b0 & 0x0f) * 4;
  const profile = packet.readUInt16BE(fixed);
  const slot = audioLevelId !== undefined ? findExtensionIn(packet, fixed, headerLength, audioLevelId) : undefined;
  if (slot === undefined) {
    const start = headerLength - fixed;
    packet.copyWithin(start, 0, fixed);
    packet[start] = b0 & 0xef;
    return packet.subarray(start);
  }
  // the new block fits inside the old one (which held at least this element), ending at the payload
  const twoByte = profile !== 0xbede;
  const elementHeader = twoByte ? 2 : 1;
  const blockLength = 4 + ((elementHeader + slot.length + 3) & ~3);
  const blockStart = headerLength - blockLength;
  const dataAt = blockStart + 4 + elementHeader;
  packet.copyWithin(dataAt, slot.offset, slot.offset + slot.length);
  packet.writeUInt16BE(profile, blockStart);
  packet.writeUInt16BE((blockLength - 4) >> 2, blockStart + 2);
  if (twoByte) {
    packet[blockStart + 4] = CANONICAL_EXT_IDS.audioLevel;
    packet[blockStart + 5] = slot.length;
  } else {
    packet[blockStart + 4] = (CANONICAL_EXT_IDS.audioLevel << 4) | (slot.length - 1);
  }
  packet.fill(0, dataAt + slot.length, headerLength);
  const start = blockStart - fixed;
  packet.copyWithin(start, 0, fixed);
  return packet.subarray(start);
}

/** abs-send-time payload for now (24-bit 6.18 fixed-point seconds). */
export function absSendTimePayload(nowMs: number): Buffer {
  const b = Buffer.alloc(3);
  b.writeUIntBE(Math.floor((nowMs * 262144) / 1000) & 0xffffff, 0, 3);
  return b;
}

/** Outgoing: canonical ids to the subscriber's negotiated ones, plus mid and abs-send-time. */
export function fromCanonical(
  extensions: readonly Extension[],
  uriToIdMap: ReadonlyMap<string, number>,
  mid: string | undefined,
  nowMs: number,
): Extension[] {
  const out: Extension[] = [];
  const midId = uriToIdMap.get(EXT_URI.mid);
  if (midId !== undefined && mid !== undefined) out.push({ id: midId, payload: Buffer.from(mid, 'ascii') });
  const absId = uriToIdMap.get(EXT_URI.absSendTime);
  if (absId !== undefined) out.push({ id: absId, payload: absSendTimePayload(nowMs) });
  const levelId = uriToIdMap.get(EXT_URI.audioLevel);
  if (levelId !== undefined) {
    const level = extensions.find((e) => e.id === CANONICAL_EXT_IDS.audioLevel);
    if (level !== undefined) out.push({ id: levelId, payload: level.payload });
  }
  return out.sort((a, b) => a.id - b.id);
}
