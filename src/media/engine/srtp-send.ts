/**
 * SRTP protection of outgoing RTP on raw Buffers (RFC 3711 AES-CM + HMAC-SHA1-80, RFC 7714
 * AEAD AES-128-GCM), with session keys already derived (werift derives them from the DTLS keying
 * material, see werift-srtp.ts). No sockets, no RTP objects: the caller hands the header bytes and
 * the payload bytes, `protect` returns the SRTP packet in one new Buffer.
 *
 * Node cannot re-key or re-IV a cipher context, so a cipher per packet remains (as in werift); what
 * goes away is everything around it: header parse and re-serialise, IV writers, BigInt counters,
 * per-packet HMAC key set-up (the HMAC inner and outer SHA-1 states are computed once and copied)
 * and the Buffer.concat of the result.
 */
import { createCipheriv, createHash, type Hash } from 'node:crypto';

export type SrtpSendProfile = 'aes128-gcm' | 'aes128-cm-hmac-sha1-80';

export interface SrtpSendKeys {
  readonly profile: SrtpSendProfile;
  /** SRTP session encryption key (16 bytes). */
  readonly sessionKey: Buffer;
  /** SRTP session salt: 12 bytes used for GCM, 14 for AES-CM (longer input is cut). */
  readonly sessionSalt: Buffer;
  /** SRTP session authentication key (20 bytes), AES-CM only. */
  readonly authKey?: Buffer;
}

const GCM_TAG = 16;
const HMAC_TAG = 10;
const SHA1_BLOCK = 64;

export class SrtpSender {
  readonly profile: SrtpSendProfile;
  /** Bytes the protection adds after the payload. */
  readonly tagLength: number;
  private readonly key: Buffer;
  private readonly salt: Buffer;
  /** Reused for every packet: createCipheriv copies the IV. */
  private readonly iv: Buffer;
  private readonly rocBytes = Buffer.alloc(4);
  private readonly hmacInner: Hash | undefined;
  private readonly hmacOuter: Hash | undefined;

  constructor(keys: SrtpSendKeys) {
    this.profile = keys.profile;
    this.key = Buffer.from(keys.sessionKey);
    if (this.key.length !== 16) throw new Error(`SRTP session key must be 16 bytes, got ${this.key.length}`);
    if (keys.profile === 'aes128-gcm') {
      this.tagLength = GCM_TAG;
      this.salt = Buffer.from(keys.sessionSalt.subarray(0, 12));
      this.iv = Buffer.alloc(12);
      if (this.salt.length !== 12) throw new Error('SRTP GCM session salt must be at least 12 bytes');
    } else {
      this.tagLength = HMAC_TAG;
      this.salt = Buffer.from(keys.sessionSalt.subarray(0, 14));
      this.iv = Buffer.alloc(16);
      if (this.salt.length !== 14) throw new Error('SRTP AES-CM session salt must be at least 14 bytes');
      if (keys.authKey === undefined) throw new Error('SRTP AES-CM needs an authentication key');
      // HMAC (RFC 2104) with the key's padded inner and outer blocks hashed once.
      const k = keys.authKey.length > SHA1_BLOCK ? createHash('sha1').update(keys.authKey).digest() : keys.authKey;
      const ipad = Buffer.alloc(SHA1_BLOCK, 0x36);
      const opad = Buffer.alloc(SHA1_BLOCK, 0x5c);
      for (let i = 0; i < k.length; i++) {
        ipad[i]! ^= k[i]!;
        opad[i]! ^= k[i]!;
      }
      this.hmacInner = createHash('sha1').update(ipad);
      this.hmacOuter = createHash('sha1').update(opad);
    }
  }

  /**
   * Protects one RTP packet whose header is `header[0, headerLength)` and whose payload is
   * `payload[payloadStart, payloadEnd)` (padding included, it is part of the encrypted portion).
   * SSRC and sequence number are read from the header; `roc` is the stream's rollover counter.
   */
  protect(header: Buffer, headerLength: number, payload: Buffer, payloadStart: number, payloadEnd: number, roc: number): Buffer {
    const payloadLength = payloadEnd - payloadStart;
    const out = Buffer.allocUnsafe(headerLength + payloadLength + this.tagLength);
    header.copy(out, 0, 0, headerLength);
    this.protectInPlace(out, headerLength, payload.subarray(payloadStart, payloadEnd), roc);
    return out;
  }

  /**
   * Same as `protect` when the caller has already written the header into `out[0, headerLength)`;
   * `out` must be exactly headerLength + plaintext.length + tagLength long.
   */
  protectInPlace(out: Buffer, headerLength: number, plaintext: Buffer, roc: number): void {
    const ssrc = out.readUInt32BE(8);
    const seq = out.readUInt16BE(2);
    const iv = this.iv;
    const salt = this.salt;
    if (this.profile === 'aes128-gcm') {
      // RFC 7714 8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt
      iv.writeUInt16BE(0, 0);
      iv.writeUInt32BE(ssrc, 2);
      iv.writeUInt32BE(roc >>> 0, 6);
      iv.writeUInt16BE(seq, 10);
      for (let i = 0; i < 12; i++) iv[i]! ^= salt[i]!;
      const cipher = createCipheriv('aes-128-gcm', this.key, iv);
      cipher.setAAD(out.subarray(0, headerLength));
      const enc = cipher.update(plaintext);
      cipher.final();
      enc.copy(out, headerLength);
      cipher.getAuthTag().copy(out, headerLength + enc.length);
      return;
    }
    // RFC 3711 4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i = ROC * 2^16 + SEQ
    iv.writeUInt32BE(0, 0);
    iv.writeUInt32BE(ssrc, 4);
    iv.writeUInt32BE(roc >>> 0, 8);
    iv.writeUInt16BE(seq, 12);
    iv.writeUInt16BE(0, 14);
    for (let i = 0; i < 14; i++) iv[i]! ^= salt[i]!;
    const cipher = createCipheriv('aes-128-ctr', this.key, iv);
    const enc = cipher.update(plaintext);
    enc.copy(out, headerLength);
    const authEnd = headerLength + enc.length;
    // RFC 3711 4.2: tag = HMAC-SHA1(auth key, header || encrypted payload || ROC), first 80 bits
    this.rocBytes.writeUInt32BE(roc >>> 0, 0);
    const inner = this.hmacInner!.copy().update(out.subarray(0, authEnd)).update(this.rocBytes).digest();
    const tag = this.hmacOuter!.copy().update(inner).digest();
    tag.copy(out, authEnd, 0, HMAC_TAG);
  }
}
