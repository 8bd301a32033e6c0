/**
 * Keyframe detection from the RTP payload descriptor, without decoding.
 * VP8: RFC 7741 §4.2-4.3. VP9: draft-ietf-payload-vp9 §4.2. H.264: RFC 6184 §5.
 */

export type VideoCodec = 'vp8' | 'vp9' | 'h264';

export function codecFromMime(mimeType: string): VideoCodec | undefined {
  switch (mimeType.toLowerCase()) {
    case 'video/vp8':
      return 'vp8';
    case 'video/vp9':
      return 'vp9';
    case 'video/h264':
      return 'h264';
    default:
      return undefined;
  }
}

export function isKeyframe(codec: VideoCodec, payload: Buffer): boolean {
  switch (codec) {
    case 'vp8':
      return isVp8Keyframe(payload);
    case 'vp9':
      return isVp9Keyframe(payload);
    case 'h264':
      return isH264Keyframe(payload);
  }
}

/** True on the first packet of a VP8 key frame (S=1, PID=0, P bit of the frame header 0). */
export function isVp8Keyframe(payload: Buffer): boolean {
  if (payload.length < 1) return false;
  const b0 = payload.readUInt8(0);
  const x = (b0 & 0x80) !== 0;
  const s = (b0 & 0x10) !== 0;
  const pid = b0 & 0x07;
  if (!s || pid !== 0) return false;
  let pos = 1;
  if (x) {
    if (payload.length < 2) return false;
    const b1 = payload.readUInt8(1);
    pos = 2;
    if (b1 & 0x80) {
      // I: PictureID, 7 or 15 bits
      if (payload.length <= pos) return false;
      pos += (payload.readUInt8(pos) & 0x80) !== 0 ? 2 : 1;
    }
    if (b1 & 0x40) pos += 1; // L: TL0PICIDX
    if (b1 & 0x30) pos += 1; // T or K: TID/Y/KEYIDX
  }
  if (payload.length <= pos) return false;
  return (payload.readUInt8(pos) & 0x01) === 0;
}

/** True on a VP9 packet that starts a frame which is not inter-predicted, in spatial layer 0. */
export function isVp9Keyframe(payload: Buffer): boolean {
  if (payload.length < 1) return false;
  const b0 = payload.readUInt8(0);
  const i = (b0 & 0x80) !== 0;
  const p = (b0 & 0x40) !== 0;
  const l = (b0 & 0x20) !== 0;
  const b = (b0 & 0x08) !== 0;
  if (p || !b) return false;
  if (!l) return true;
  let pos = 1;
  if (i) {
    if (payload.length <= pos) return false;
    pos += (payload.readUInt8(pos) & 0x80) !== 0 ? 2 : 1;
  }
  if (payload.length <= pos) return false;
  const sid = (payload.readUInt8(pos) >> 1) & 0x07;
  return sid === 0;
}

/** True when the packet carries an IDR slice or an SPS (single NAL, STAP-A or FU-A start). */
export function isH264Keyframe(payload: Buffer): boolean {
  if (payload.length < 1) return false;
  const nalType = payload.readUInt8(0) & 0x1f;
  if (nalType === 5 || nalType === 7) return true;
  if (nalType === 24) {
    // STAP-A: [size(2) NAL]...
    let pos = 1;
    while (pos + 2 < payload.length) {
      const size = payload.readUInt16BE(pos);
      const inner = payload.readUInt8(pos + 2) & 0x1f;
      if (inner === 5 || inner === 7) return true;
      pos += 2 + size;
    }
    return false;
  }
  if (nalType === 28) {
    // FU-A: start bit and the original NAL type
    if (payload.length < 2) return false;
    const fuHeader = payload.readUInt8(1);
    const start = (fuHeader & 0x80) !== 0;
    const inner = fuHeader & 0x1f;
    return start && (inner === 5 || inner === 7);
  }
  return false;
}
