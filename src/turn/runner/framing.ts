/**
 * Stream framing of STUN and ChannelData over TCP/TLS (RFC 8656 §12.5, RFC 4571-style: the STUN
 * header and the ChannelData header carry the length; ChannelData is padded to 4 bytes).
 */
export type FrameResult = { ok: true } | { ok: false; reason: string };

export class Framer {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (frame: Buffer) => void, private readonly maxBuffered = 256 * 1024) {}

  push(chunk: Buffer): FrameResult {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 4) {
      const b0 = this.buf[0] as number;
      const len = this.buf.readUInt16BE(2);
      let size: number;
      if (b0 < 0x40) size = 20 + len;
      else if (b0 < 0x80) size = 4 + ((len + 3) & ~3);
      else return { ok: false, reason: 'bad_frame' };
      if (this.buf.length < size) break;
      const frame = this.buf.subarray(0, size);
      this.buf = this.buf.subarray(size);
      this.onFrame(frame);
    }
    if (this.buf.length > this.maxBuffered) return { ok: false, reason: 'frame_too_large' };
    return { ok: true };
  }

  /** Bytes received after the last complete frame (handed to the peer when a data connection is bound). */
  takeRest(): Buffer {
    const r = this.buf;
    this.buf = Buffer.alloc(0);
    return r;
  }
}
