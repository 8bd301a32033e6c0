/**
 * Keeps a subscriber's VP8/VP9 PictureID and TL0PICIDX continuous across simulcast layer
 * switches (rtp/picture-id.ts says why). Within a layer the publisher's numbering is kept with an
 * offset; on the first packet after a switch the offset is chosen so the new layer's picture
 * follows the last one sent. Pure: the caller rewrites its own copy of the packet.
 */
import type { PictureIdFields } from '../rtp/picture-id.js';

export class PictureIdMunger {
  private started = false;
  private pictureOffset = 0;
  private tl0Offset = 0;
  private lastIn = -1;
  private lastOut = 0;
  private lastTl0Out = 0;

  /**
   * The PictureID and TL0PICIDX to write for one forwarded packet; `switched` is true on the
   * first packet of a new layer (or the first packet at all).
   */
  map(fields: PictureIdFields, switched: boolean): { pictureId: number; tl0PicIdx: number } {
    const modulus = fields.pictureIdBits === 7 ? 0x80 : 0x8000;
    if (!this.started || switched) {
      if (this.started) {
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
