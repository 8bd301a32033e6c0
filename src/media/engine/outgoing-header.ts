/**
 * The outgoing RTP header for one subscriber m-line, written straight into the Buffer that will be
 * encrypted and sent: the canonical packet's fixed header and CSRCs, then the subscriber's header
 * extensions (mid, abs-send-time, audio level under its negotiated ids, sorted by id, RFC 8285).
 *
 * Bytes are those werift's `RtpPacket.deSerialize` + `fromCanonical` + `RtpHeader.serialize` would
 * produce (the path this replaces): the extension profile of the canonical packet is kept (one-byte
 * unless it arrived two-byte), everything but the audio level is dropped. The stored packet is never
 * modified, so writing the extensions into the output costs the same for any negotiated ids: the
 * subscriber's ids do not need to equal the canonical ones.
 *
 * `layout` returns false for what this writer does not reproduce (RTP padding, an extension block
 * that werift would parse differently, an element that does not fit the profile); the caller then
 * takes the general werift path.
 */
import { EXT_URI } from '../rtp/extensions.js';
import { CANONICAL_EXT_IDS } from './transport.js';

const ONE_BYTE_PROFILE = 0xbede;
const TWO_BYTE_PROFILE = 0x1000;

const MID = 0;
const ABS_SEND_TIME = 1;
const AUDIO_LEVEL = 2;

export class OutgoingHeaderWriter {
  /** Negotiated ids in wire order: [id, kind] pairs sorted by id. */
  private readonly slots: ReadonlyArray<readonly [number, number]>;
  private midText: string | undefined;
  private midBytes: Buffer | undefined;

  // layout of the last packet given to `layout`
  /** Output header length (fixed header, CSRCs, extension block). */
  headerLength = 0;
  /** Where the payload starts in the canonical packet. */
  payloadStart = 0;
  private fixedLength = 0;
  private profile = ONE_BYTE_PROFILE;
  private levelStart = -1;
  private levelLength = 0;
  private extBodyLength = 0;
  private hasMid = false;

  constructor(uriToId: ReadonlyMap<string, number>) {
    const slots: Array<readonly [number, number]> = [];
    const mid = uriToId.get(EXT_URI.mid);
    const abs = uriToId.get(EXT_URI.absSendTime);
    const level = uriToId.get(EXT_URI.audioLevel);
    if (mid !== undefined) slots.push([mid, MID]);
    if (abs !== undefined) slots.push([abs, ABS_SEND_TIME]);
    if (level !== undefined) slots.push([level, AUDIO_LEVEL]);
    // werift's sort is stable: equal ids keep the order mid, abs-send-time, audio level
    this.slots = slots.sort((a, b) => a[0] - b[0]);
  }

  /** The negotiated ids in wire order as the media pump takes them: [id, 0 mid | 1 abs-send-time | 2 audio level]. */
  slotsForNative(): Array<[number, 0 | 1 | 2]> {
    return this.slots.map(([id, kind]) => [id, kind as 0 | 1 | 2]);
  }

  /**
   * Reads the canonical packet and sizes the output header for `mid`. False when the packet must
   * take the general path.
   */
  layout(packet: Buffer, mid: string | undefined): boolean {
    const len = packet.length;
    if (len < 12) return false;
    const b0 = packet[0]!;
    if ((b0 & 0x20) !== 0) return false; // RTP padding: general path
    const fixed = 12 + (b0 & 0x0f) * 4;
    if (len < fixed) return false;
    let profile = ONE_BYTE_PROFILE;
    let payloadStart = fixed;
    let levelStart = -1;
    let levelLength = 0;
    if ((b0 & 0x10) !== 0) {
      if (len < fixed + 4) return false;
      profile = packet.readUInt16BE(fixed);
      const end = fixed + 4 + packet.readUInt16BE(fixed + 2) * 4;
      if (end > len) return false;
      let i = fixed + 4;
      if (profile === ONE_BYTE_PROFILE) {
        while (i < end) {
          const b = packet[i]!;
          if (b === 0) {
            i++;
            continue;
          }
          const id = b >> 4;
          if (id === 0xf) return false;
          const elen = (b & 0x0f) + 1;
          i++;
          if (id === CANONICAL_EXT_IDS.audioLevel && levelStart < 0) {
            levelStart = i;
            levelLength = elen;
          }
          i += elen;
        }
      } else if (profile === TWO_BYTE_PROFILE) {
        while (i < end) {
          const b = packet[i]!;
          if (b === 0) {
            i++;
            continue;
          }
          if (i + 1 >= end) return false;
          const elen = packet[i + 1]!;
          i += 2;
          if (b === CANONICAL_EXT_IDS.audioLevel && levelStart < 0) {
            levelStart = i;
            levelLength = elen;
          }
          i += elen;
        }
      } else {
        return false;
      }
      if (i !== end) return false;
      payloadStart = end;
    }

    if (mid !== this.midText) {
      this.midText = mid;
      this.midBytes = mid === undefined ? undefined : Buffer.from(mid, 'ascii');
    }
    const oneByte = profile === ONE_BYTE_PROFILE;
    const perElement = oneByte ? 1 : 2;
    let body = 0;
    let hasMid = false;
    for (const [id, kind] of this.slots) {
      let elen: number;
      if (kind === MID) {
        if (this.midBytes === undefined) continue;
        elen = this.midBytes.length;
        hasMid = true;
      } else if (kind === ABS_SEND_TIME) {
        elen = 3;
      } else {
        if (levelStart < 0) continue;
        elen = levelLength;
      }
      if (oneByte ? id < 1 || id > 14 || elen < 1 || elen > 16 : id < 1 || id > 255 || elen > 255) return false;
      body += perElement + elen;
    }
    this.fixedLength = fixed;
    this.profile = profile;
    this.levelStart = levelStart;
    this.levelLength = levelLength;
    this.hasMid = hasMid;
    this.extBodyLength = body;
    this.payloadStart = payloadStart;
    this.headerLength = body === 0 ? fixed : fixed + 4 + Math.ceil(body / 4) * 4;
    return true;
  }

  /** Writes the header laid out by the last `layout` call into `out[0, headerLength)`. */
  write(packet: Buffer, out: Buffer, nowMs: number): void {
    const fixed = this.fixedLength;
    packet.copy(out, 0, 0, fixed);
    const body = this.extBodyLength;
    if (body === 0) {
      out[0] = packet[0]! & 0xef;
      return;
    }
    out[0] = packet[0]! | 0x10;
    const oneByte = this.profile === ONE_BYTE_PROFILE;
    out.writeUInt16BE(this.profile, fixed);
    out.writeUInt16BE((this.headerLength - fixed - 4) / 4, fixed + 2);
    let o = fixed + 4;
    for (const [id, kind] of this.slots) {
      if (kind === MID) {
        const bytes = this.midBytes;
        if (!this.hasMid || bytes === undefined) continue;
        o = writeElementHeader(out, o, oneByte, id, bytes.length);
        o += bytes.copy(out, o);
      } else if (kind === ABS_SEND_TIME) {
        o = writeElementHeader(out, o, oneByte, id, 3);
        // 24-bit 6.18 fixed-point seconds, as werift-extensions.ts absSendTimePayload
        const v = Math.floor((nowMs * 262144) / 1000) & 0xffffff;
        out[o] = v >>> 16;
        out[o + 1] = (v >>> 8) & 0xff;
        out[o + 2] = v & 0xff;
        o += 3;
      } else {
        if (this.levelStart < 0) continue;
        o = writeElementHeader(out, o, oneByte, id, this.levelLength);
        o += packet.copy(out, o, this.levelStart, this.levelStart + this.levelLength);
      }
    }
    out.fill(0, o, this.headerLength);
  }
}

function writeElementHeader(out: Buffer, o: number, oneByte: boolean, id: number, length: number): number {
  if (oneByte) {
    out[o] = (id << 4) | (length - 1);
    return o + 1;
  }
  out[o] = id;
  out[o + 1] = length;
  return o + 2;
}
