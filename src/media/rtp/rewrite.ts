/**
 * What a down-track changes in a publisher's packet for one subscriber (munger + PictureID
 * decisions), applied to whichever Buffer goes out: the engine's SRTP output buffer on the fast
 * path (one copy of the packet per subscriber in all), or a plain copy for NACK answers and the
 * engine's general path. The publisher's packet itself is shared and never modified.
 */
import { applyRewrite, parseRtpHeader, type RtpRewrite } from './header.js';
import type { VideoCodec } from './keyframe.js';
import { pictureIdFields, writePictureId, writeTl0PicIdx } from './picture-id.js';

/**
 * One flat object per forwarded packet (it is kept for NACKs for about a second, so every object
 * less per packet is less old-generation garbage).
 */
export interface PacketRewrite extends RtpRewrite {
  /** VP8/VP9: the codec whose payload descriptor carries the PictureID and TL0PICIDX below. */
  readonly pictureCodec?: VideoCodec;
  readonly pictureId?: number;
  readonly tl0PicIdx?: number;
}

/**
 * Writes `rewrite` into `out`, a packet whose fixed header (first 12 bytes) and payload come from
 * the publisher's packet, the payload starting at `payloadOffset`.
 */
export function writeRewrite(out: Buffer, payloadOffset: number, rewrite: PacketRewrite): void {
  applyRewrite(out, rewrite);
  const codec = rewrite.pictureCodec;
  if (codec === undefined) return;
  const payload = out.subarray(payloadOffset);
  const fields = pictureIdFields(codec, payload);
  if (rewrite.pictureId !== undefined) writePictureId(payload, fields, rewrite.pictureId);
  if (rewrite.tl0PicIdx !== undefined) writeTl0PicIdx(payload, fields, rewrite.tl0PicIdx);
}

/** A rewritten copy of `packet`; `packet` unchanged. Undefined for a packet that does not parse. */
export function rewrittenCopy(packet: Buffer, rewrite: PacketRewrite): Buffer | undefined {
  const header = parseRtpHeader(packet);
  if (header === undefined) return undefined;
  const copy = Buffer.from(packet);
  writeRewrite(copy, header.payloadOffset, rewrite);
  return copy;
}
