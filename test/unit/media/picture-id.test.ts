import { describe, expect, it } from 'vitest';
import { DownTrack } from '../../../src/media/forwarding/down-track.js';
import { PictureIdMunger } from '../../../src/media/forwarding/picture-id-munger.js';
import { buildRtpPacket, parseRtpHeader, rtpPayload } from '../../../src/media/rtp/index.js';
import { pictureIdFields, writePictureId, writeTl0PicIdx } from '../../../src/media/rtp/picture-id.js';
import { FakeClock } from './helpers.js';
import { rewrittenCopy } from '../../../src/media/rtp/rewrite.js';

/** VP8 payload with X, I (15-bit PictureID), L (TL0PICIDX) and T; keyframe sets P=0. */
function vp8(pictureId: number, tl0: number, keyframe: boolean): Buffer {
  return Buffer.from([0x90, 0xe0, 0x80 | (pictureId >> 8), pictureId & 0xff, tl0, 0x20, keyframe ? 0x00 : 0x01, 0x42, 0x42]);
}

describe('VP8/VP9 PictureID fields', () => {
  it('finds 15-bit and 7-bit PictureIDs and TL0PICIDX in VP8, and nothing without X', () => {
    expect(pictureIdFields('vp8', vp8(0x1234, 77, true))).toEqual({ pictureIdOffset: 2, pictureIdBits: 15, pictureId: 0x1234, tl0Offset: 4, tl0PicIdx: 77 });
    expect(pictureIdFields('vp8', Buffer.from([0x90, 0x80, 0x45, 0x00]))).toMatchObject({ pictureIdBits: 7, pictureId: 0x45, tl0Offset: -1 });
    expect(pictureIdFields('vp8', Buffer.from([0x10, 0x00]))).toMatchObject({ pictureIdOffset: -1, tl0Offset: -1 });
    expect(pictureIdFields('vp8', Buffer.from([0x90, 0x80]))).toMatchObject({ pictureIdOffset: -1 }); // truncated
    expect(pictureIdFields('h264', Buffer.from([0x65, 0x00]))).toMatchObject({ pictureIdOffset: -1 });
  });

  it('finds the VP9 PictureID and, in non-flexible mode, TL0PICIDX after the layer byte', () => {
    // I=1 L=1 F=0 B=1: PictureID 15-bit, layer indices, TL0PICIDX
    const p = Buffer.from([0xa8, 0x81, 0x02, 0x00, 0x09, 0xaa]);
    expect(pictureIdFields('vp9', p)).toEqual({ pictureIdOffset: 1, pictureIdBits: 15, pictureId: 0x102, tl0Offset: 4, tl0PicIdx: 9 });
    const flexible = Buffer.from([0xb8, 0x05, 0x00, 0xaa]); // F=1: no TL0PICIDX
    expect(pictureIdFields('vp9', flexible)).toMatchObject({ pictureIdBits: 7, pictureId: 5, tl0Offset: -1 });
  });

  it('rewrites in place with the field width', () => {
    const p = vp8(0x1234, 77, true);
    const f = pictureIdFields('vp8', p);
    writePictureId(p, f, 0x8001); // wraps to 15 bits
    writeTl0PicIdx(p, f, 300);
    expect(pictureIdFields('vp8', p)).toMatchObject({ pictureId: 1, tl0PicIdx: 44 });
  });
});

describe('PictureIdMunger', () => {
  it('keeps numbering within a layer and continues it after a switch, across wrap-around', () => {
    const m = new PictureIdMunger();
    const f = (pictureId: number, tl0: number) => pictureIdFields('vp8', vp8(pictureId, tl0, false));
    expect(m.map(f(32766, 10), false)).toEqual({ pictureId: 32766, tl0PicIdx: 10 });
    expect(m.map(f(32766, 10), false)).toEqual({ pictureId: 32766, tl0PicIdx: 10 }); // second packet of the frame
    expect(m.map(f(32767, 11), false)).toEqual({ pictureId: 32767, tl0PicIdx: 11 });
    // switch to a layer numbered far behind: the next picture follows the last one sent
    expect(m.map(f(100, 200), true)).toEqual({ pictureId: 0, tl0PicIdx: 12 });
    expect(m.map(f(100, 200), false)).toEqual({ pictureId: 0, tl0PicIdx: 12 });
    expect(m.map(f(101, 201), false)).toEqual({ pictureId: 1, tl0PicIdx: 13 });
  });
});

describe('DownTrack with simulcast VP8', () => {
  it('sends continuous PictureIDs across a layer switch (no backwards jump)', () => {
    const clock = new FakeClock();
    const sent: Buffer[] = [];
    const dt = new DownTrack({
      kind: 'video', codec: 'vp8', ssrc: 0xd0d0, clockRate: 90000, clock: clock.fn, targetLayer: 1,
      sinks: { forwardRtp: (p, r) => sent.push(rewrittenCopy(p, r)!), sendRtp: (p) => sent.push(p), requestKeyframe: () => undefined },
    });
    dt.start();
    const packet = (layer: number, i: number, keyframe: boolean) =>
      buildRtpPacket({ payloadType: 96, sequenceNumber: 1000 * layer + i, timestamp: 3000 * i, ssrc: 0x100 + layer, marker: true, payload: vp8((layer === 1 ? 20000 : 500) + i, (layer === 1 ? 90 : 3) + i, keyframe) });
    for (let i = 0; i < 5; i++) {
      clock.advance(33);
      dt.writeRtp(packet(1, i, i === 0), 1);
      dt.writeRtp(packet(0, i, i === 0), 0);
    }
    dt.setTargetLayer(0);
    for (let i = 5; i < 10; i++) {
      clock.advance(33);
      dt.writeRtp(packet(1, i, false), 1);
      dt.writeRtp(packet(0, i, i === 6), 0); // the low layer's keyframe completes the switch
    }
    const ids = sent.map((p) => {
      const h = parseRtpHeader(p);
      return h === undefined ? -1 : pictureIdFields('vp8', rtpPayload(p, h)).pictureId;
    });
    expect(ids.length).toBeGreaterThan(8);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(((ids[i - 1] ?? 0) + 1) & 0x7fff);

    // a NACK answer is rebuilt from the publisher's packet: same PictureID, TL0PICIDX, header
    const forwarded = sent.slice();
    const seqs = [forwarded[1]!, forwarded.at(-2)!].map((p) => parseRtpHeader(p)!.sequenceNumber);
    sent.length = 0;
    dt.handleRtcp({ type: 'nack', senderSsrc: 9, mediaSsrc: 0xd0d0, lost: seqs });
    expect(sent.map((p) => p.toString('hex'))).toEqual([forwarded[1]!, forwarded.at(-2)!].map((p) => p.toString('hex')));
  });
});
