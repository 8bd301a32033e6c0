/**
 * VP8 (RFC 7741 §4.2) and VP9 (RFC 9628 §4.2) payload descriptors: where the PictureID and
 * TL0PICIDX fields are, read and rewritten in place. Each simulcast layer numbers its pictures
 * independently; a receiver that sees PictureIDs jump backwards after a layer switch takes the new
 * frames for stale ones and drops them (seen here: a switch down to the low layer decoded 2 frames
 * a second), so an SFU must keep them continuous per subscriber, as it does sequence numbers.
 */
import type { VideoCodec } from './keyframe.js';

export interface PictureIdFields {
  /** Offset in the payload of the PictureID, or -1 when absent. */
  readonly pictureIdOffset: number;
  /** 7 or 15 (0 when absent). */
  readonly pictureIdBits: 0 | 7 | 15;
  readonly pictureId: number;
  /** Offset of TL0PICIDX, or -1. */
  readonly tl0Offset: number;
  readonly tl0PicIdx: number;
}

const NONE: PictureIdFields = { pictureIdOffset: -1, pictureIdBits: 0, pictureId: 0, tl0Offset: -1, tl0PicIdx: 0 };

function readPictureId(payload: Buffer, pos: number): { bits: 7 | 15; value: number; next: number } | undefined {
  if (payload.length <= pos) return undefined;
  const b = payload[pos] as number;
  if ((b & 0x80) === 0) return { bits: 7, value: b & 0x7f, next: pos + 1 };
  if (payload.length <= pos + 1) return undefined;
  return { bits: 15, value: ((b & 0x7f) << 8) | (payload[pos + 1] as number), next: pos + 2 };
}

/** The descriptor fields of a VP8 or VP9 payload; NONE for H.264 or a truncated descriptor. */
export function pictureIdFields(codec: VideoCodec, payload: Buffer): PictureIdFields {
  if (payload.length < 1) return NONE;
  const b0 = payload[0] as number;
  if (codec === 'vp8') {
    if ((b0 & 0x80) === 0 || payload.length < 2) return NONE; // no X: no extension byte
    const b1 = payload[1] as number;
    let pos = 2;
    let pid: ReturnType<typeof readPictureId>;
    if (b1 & 0x80) {
      pid = readPictureId(payload, pos);
      if (pid === undefined) return NONE;
      pos = pid.next;
    }
    let tl0Offset = -1;
    if (b1 & 0x40) {
      if (payload.length <= pos) return NONE;
      tl0Offset = pos;
    }
    return found(payload, pid === undefined ? -1 : 2, pid, tl0Offset);
  }
  if (codec === 'vp9') {
    const i = (b0 & 0x80) !== 0;
    const l = (b0 & 0x20) !== 0;
    const f = (b0 & 0x10) !== 0;
    let pos = 1;
    let pid: ReturnType<typeof readPictureId>;
    if (i) {
      pid = readPictureId(payload, pos);
      if (pid === undefined) return NONE;
      pos = pid.next;
    }
    let tl0Offset = -1;
    if (l && !f) {
      // layer indices byte, then TL0PICIDX in non-flexible mode
      if (payload.length <= pos + 1) return NONE;
      tl0Offset = pos + 1;
    }
    return found(payload, pid === undefined ? -1 : 1, pid, tl0Offset);
  }
  return NONE;
}

function found(payload: Buffer, pictureIdOffset: number, pid: { bits: 7 | 15; value: number } | undefined, tl0Offset: number): PictureIdFields {
  return {
    pictureIdOffset,
    pictureIdBits: pid?.bits ?? 0,
    pictureId: pid?.value ?? 0,
    tl0Offset,
    tl0PicIdx: tl0Offset >= 0 ? (payload[tl0Offset] as number) : 0,
  };
}

/** Writes a PictureID of the same width as the field (mod 2^bits). */
export function writePictureId(payload: Buffer, fields: PictureIdFields, value: number): void {
  if (fields.pictureIdOffset < 0) return;
  if (fields.pictureIdBits === 15) {
    const v = value & 0x7fff;
    payload[fields.pictureIdOffset] = 0x80 | (v >> 8);
    payload[fields.pictureIdOffset + 1] = v & 0xff;
  } else {
    payload[fields.pictureIdOffset] = value & 0x7f;
  }
}

export function writeTl0PicIdx(payload: Buffer, fields: PictureIdFields, value: number): void {
  if (fields.tl0Offset >= 0) payload[fields.tl0Offset] = value & 0xff;
}
