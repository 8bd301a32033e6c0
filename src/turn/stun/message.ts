/**
 * STUN message codec (RFC 8489 §5-§6, §14.5 MESSAGE-INTEGRITY, §14.7 FINGERPRINT).
 * parse() validates the framing and the FINGERPRINT and returns a typed message or a reason;
 * it never throws. encode() builds a message, optionally with MESSAGE-INTEGRITY and FINGERPRINT.
 */
import { Attr, FINGERPRINT_XOR, HEADER_LENGTH, MAGIC_COOKIE, type StunClass } from './constants.js';
import { crc32 } from './crc32.js';
import { integrity } from './integrity.js';

export interface StunAttr {
  readonly type: number;
  readonly value: Buffer;
  /** Offset of the attribute header inside `raw`. */
  readonly start: number;
}

export interface StunMessage {
  readonly method: number;
  readonly cls: StunClass;
  readonly tid: Buffer;
  /** Attributes up to MESSAGE-INTEGRITY (inclusive); later ones (except FINGERPRINT) are ignored per §14.5. */
  readonly attrs: readonly StunAttr[];
  readonly raw: Buffer;
  /** Offset of MESSAGE-INTEGRITY, or -1. */
  readonly integrityAt: number;
  readonly hasFingerprint: boolean;
}

export type ParseResult = { ok: true; msg: StunMessage } | { ok: false; reason: string };

export const pad4 = (n: number): number => (n + 3) & ~3;

/** First-byte demultiplexing (RFC 7983): STUN has the two top bits clear and the magic cookie. */
export function looksLikeStun(buf: Uint8Array): boolean {
  return (
    buf.length >= HEADER_LENGTH &&
    ((buf[0] as number) & 0xc0) === 0 &&
    buf[4] === 0x21 && buf[5] === 0x12 && buf[6] === 0xa4 && buf[7] === 0x42
  );
}

export function parse(raw: Buffer): ParseResult {
  if (raw.length < HEADER_LENGTH) return { ok: false, reason: 'short' };
  const type = raw.readUInt16BE(0);
  if (type & 0xc000) return { ok: false, reason: 'not_stun' };
  const length = raw.readUInt16BE(2);
  if (raw.readUInt32BE(4) !== MAGIC_COOKIE) return { ok: false, reason: 'bad_cookie' };
  if (length % 4 !== 0 || HEADER_LENGTH + length !== raw.length) return { ok: false, reason: 'bad_length' };
  const method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
  const cls = (((type & 0x0010) >> 4) | ((type & 0x0100) >> 7)) as StunClass;
  const attrs: StunAttr[] = [];
  let integrityAt = -1;
  let hasFingerprint = false;
  let off = HEADER_LENGTH;
  while (off < raw.length) {
    if (off + 4 > raw.length) return { ok: false, reason: 'truncated_attr' };
    const at = raw.readUInt16BE(off);
    const al = raw.readUInt16BE(off + 2);
    const end = off + 4 + al;
    if (end > raw.length) return { ok: false, reason: 'truncated_attr' };
    if (hasFingerprint) return { ok: false, reason: 'attr_after_fingerprint' };
    if (at === Attr.Fingerprint) {
      if (al !== 4 || end !== raw.length) return { ok: false, reason: 'bad_fingerprint' };
      const want = (crc32(raw, 4, off, headerCrc(raw, off + 8 - HEADER_LENGTH)) ^ FINGERPRINT_XOR) >>> 0;
      if (raw.readUInt32BE(off + 4) !== want) return { ok: false, reason: 'bad_fingerprint' };
      hasFingerprint = true;
    } else if (integrityAt < 0) {
      if (at === Attr.MessageIntegrity) {
        if (al !== 20) return { ok: false, reason: 'bad_integrity_length' };
        integrityAt = off;
      }
      attrs.push({ type: at, value: raw.subarray(off + 4, end), start: off });
    }
    off += 4 + pad4(al);
  }
  if (off !== raw.length) return { ok: false, reason: 'bad_padding' };
  return { ok: true, msg: { method, cls, tid: raw.subarray(8, 20), attrs, raw, integrityAt, hasFingerprint } };
}

const head = new Uint8Array(4);

/** CRC-32 of the first 4 header bytes with the length field set to `length` (what FINGERPRINT covers). */
function headerCrc(raw: Buffer, length: number): number {
  head[0] = raw[0] as number;
  head[1] = raw[1] as number;
  head[2] = length >> 8;
  head[3] = length & 0xff;
  return crc32(head);
}

/**
 * The first attribute `type` before MESSAGE-INTEGRITY of a message not parsed yet, found by walking
 * the attribute headers (bounds checked, nothing validated, nothing allocated but the view): for
 * routing a datagram before the core parses it.
 */
export function peekAttr(raw: Buffer, type: number): Buffer | undefined {
  let off = HEADER_LENGTH;
  while (off + 4 <= raw.length) {
    const at = raw.readUInt16BE(off);
    const end = off + 4 + raw.readUInt16BE(off + 2);
    if (end > raw.length || at === Attr.MessageIntegrity) return undefined;
    if (at === type) return raw.subarray(off + 4, end);
    off = off + 4 + pad4(end - off - 4);
  }
  return undefined;
}

export function getAttr(msg: StunMessage, type: number): Buffer | undefined {
  for (const a of msg.attrs) if (a.type === type) return a.value;
  return undefined;
}

export function messageType(method: number, cls: number): number {
  return (
    (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | ((cls & 1) << 4) | ((cls & 2) << 7)
  );
}

/** RFC 8489 §14.5: HMAC-SHA1 over the message up to MESSAGE-INTEGRITY, length field covering it. */
export function checkIntegrity(msg: StunMessage, key: Buffer): boolean {
  return msg.integrityAt >= 0 && integrity(key, msg.raw, msg.integrityAt, true);
}

export interface OutAttr {
  readonly type: number;
  readonly value: Uint8Array;
}

export interface EncodeOptions {
  /** Long-term or short-term key: adds MESSAGE-INTEGRITY. */
  key?: Buffer | undefined;
  fingerprint?: boolean | undefined;
}

export function encode(
  method: number,
  cls: StunClass,
  tid: Uint8Array,
  attrs: readonly OutAttr[],
  opts: EncodeOptions = {},
): Buffer {
  let body = 0;
  for (const a of attrs) body += 4 + pad4(a.value.length);
  const total = HEADER_LENGTH + body + (opts.key ? 24 : 0) + (opts.fingerprint ? 8 : 0);
  const buf = Buffer.alloc(total);
  buf.writeUInt16BE(messageType(method, cls), 0);
  buf.writeUInt32BE(MAGIC_COOKIE, 4);
  buf.set(tid.subarray(0, 12), 8);
  let off = HEADER_LENGTH;
  for (const a of attrs) {
    buf.writeUInt16BE(a.type, off);
    buf.writeUInt16BE(a.value.length, off + 2);
    buf.set(a.value, off + 4);
    off += 4 + pad4(a.value.length);
  }
  if (opts.key) {
    buf.writeUInt16BE(Attr.MessageIntegrity, off);
    buf.writeUInt16BE(20, off + 2);
    integrity(opts.key, buf, off, false);
    off += 24;
  }
  if (opts.fingerprint) {
    buf.writeUInt16BE(off + 8 - HEADER_LENGTH, 2);
    const fp = (crc32(buf, 0, off) ^ FINGERPRINT_XOR) >>> 0;
    buf.writeUInt16BE(Attr.Fingerprint, off);
    buf.writeUInt16BE(4, off + 2);
    buf.writeUInt32BE(fp, off + 4);
    off += 8;
  }
  buf.writeUInt16BE(off - HEADER_LENGTH, 2);
  return buf;
}
