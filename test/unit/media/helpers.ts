import { buildRtpPacket } from '../../../src/media/rtp/header.js';

export class FakeClock {
  now = 1_000;
  readonly fn = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

/** VP8 payload: descriptor (S=1, PID=0 on the first packet of a frame) + frame header byte. */
export function vp8Payload(opts: { keyframe: boolean; start?: boolean; size?: number }): Buffer {
  const start = opts.start ?? true;
  const body = Buffer.alloc(opts.size ?? 20, 0xab);
  const descriptor = Buffer.from([start ? 0x10 : 0x00]);
  const frameHeader = Buffer.from([opts.keyframe ? 0x00 : 0x01]);
  return Buffer.concat([descriptor, frameHeader, body]);
}

export function vp8Packet(opts: {
  ssrc: number;
  seq: number;
  ts: number;
  keyframe?: boolean;
  start?: boolean;
  marker?: boolean;
  payloadType?: number;
  /** Bytes after the descriptor and frame header (default 20). */
  size?: number;
}): Buffer {
  return buildRtpPacket({
    payloadType: opts.payloadType ?? 96,
    sequenceNumber: opts.seq,
    timestamp: opts.ts,
    ssrc: opts.ssrc,
    marker: opts.marker ?? true,
    payload: vp8Payload({
      keyframe: opts.keyframe ?? false,
      ...(opts.start !== undefined ? { start: opts.start } : {}),
      ...(opts.size !== undefined ? { size: opts.size } : {}),
    }),
  });
}
