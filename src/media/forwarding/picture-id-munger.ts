/**
 * Keeps a subscriber's VP8/VP9 PictureID and TL0PICIDX continuous across simulcast layer
 * switches (rtp/picture-id.ts says why). Within a layer the publisher's numbering is kept with an
 * offset; on the first packet after a switch the offset is chosen so the new layer's picture
 * follows the last one sent. Pure: the caller rewrites its own copy of the packet.
 */
import type { PictureIdFields } from '../rtp/picture-id.js';

export interface PictureIdContinuation {
  readonly pictureId: number;
  readonly tl0PicIdx: number;
}

export class PictureIdMunger {
  private started = false;
  private pictureOffset = 0;
  private tl0Offset = 0;
  private lastIn = -1;
  private lastOut = 0;
  private lastTl0Out = 0;

  /** `next`: the numbers the first picture gets (a stream continued on a reused m-line). */
  constructor(private readonly next?: PictureIdContinuation) {}

  /** What a munger continuing this stream should start from. */
  continuation(): PictureIdContinuation | undefined {
    return this.started ? { pictureId: (this.lastOut + 1) & 0x7fff, tl0PicIdx: (this.lastTl0Out + 1) & 0xff } : this.next;
  }

  /**
   * The PictureID and TL0PICIDX to write for one forwarded packet; `switched` is true on the
   * first packet of a new layer (or the first packet at all).
   */
  map(fields: PictureIdFields, switched: boolean): { pictureId: number; tl0PicIdx: number } {
    const modulus = fields.pictureIdBits === 7 ? 0x80 : 0x8000;
    if (!this.started || switched) {
      if (!this.started && this.next !== undefined) {
        this.pictureOffset = this.next.pictureId - fields.pictureId;
        this.tl0Offset = this.next.tl0PicIdx - fields.tl0PicIdx;
      } else if (this.started) {
        // the first picture of the new layer follows the last picture sent
        this.pictureOffset = this.lastOut + 1 - fields.pictureId;
        this.tl0Offset = this.lastTl0Out + 1 - fields.tl0PicIdx;
      }
      this.started = true;
      this.lastIn = -1;
    }
    const pictureId = (((fields.pictureId + this.pictureOffset) % modulus) + modulus) % modulus;
    const tl0PicIdx = (((fields.tl0PicIdx + this.tl0Offset) % 256) + 256) % 256;
    if (fields.pictureIdBits !== 0 && fields.pictureId !== this.lastIn) {
      this.lastIn = fields.pictureId;
      this.lastOut = pictureId;
    }
    if (fields.tl0Offset >= 0) this.lastTl0Out = tl0PicIdx;
    return { pictureId, tl0PicIdx };
  }
}
