/**
 * Stateless DTLS cookie exchange (RFC 6347 §4.2.1) in front of werift: a ClientHello without a
 * cookie gets a HelloVerifyRequest computed from the client's address and random, with no state
 * kept; only a ClientHello that returns a valid cookie (so its source address is real) opens a
 * werift session. Pure byte work, no sockets.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const RECORD_HEADER = 13;
const HANDSHAKE_HEADER = 12;
const COOKIE_LENGTH = 20;

/** An unfragmented ClientHello alone in its datagram, with where its cookie sits. */
export interface ClientHello {
  readonly recordSeq: Buffer;
  readonly random: Buffer;
  readonly cookie: Buffer;
  /** Offset of the cookie length byte in the datagram. */
  readonly cookieAt: number;
}

/** Parse a datagram holding exactly one epoch-0 handshake record with one whole ClientHello; else undefined. */
export function parseClientHello(d: Buffer): ClientHello | undefined {
  if (d.length < RECORD_HEADER + HANDSHAKE_HEADER + 2 + 32 + 2 || d[0] !== 22 || d.readUInt16BE(3) !== 0) return undefined;
  const recordLength = d.readUInt16BE(11);
  if (RECORD_HEADER + recordLength !== d.length) return undefined;
  const h = RECORD_HEADER;
  const length = d.readUIntBE(h + 1, 3);
  if (d[h] !== 1 || d.readUIntBE(h + 6, 3) !== 0 || d.readUIntBE(h + 9, 3) !== length || HANDSHAKE_HEADER + length !== recordLength) return undefined;
  const body = h + HANDSHAKE_HEADER;
  const random = d.subarray(body + 2, body + 34);
  const sidLength = d[body + 34] as number;
  const cookieAt = body + 35 + sidLength;
  if (cookieAt >= d.length) return undefined;
  const cookieLength = d[cookieAt] as number;
  if (cookieAt + 1 + cookieLength > d.length) return undefined;
  return { recordSeq: d.subarray(5, 11), random, cookie: d.subarray(cookieAt + 1, cookieAt + 1 + cookieLength), cookieAt };
}

/** The HelloVerifyRequest answering `ch` (record sequence number echoed, DTLS 1.0 versions as RFC 6347 asks). */
export function helloVerifyRequest(ch: ClientHello, cookie: Buffer): Buffer {
  const bodyLength = 2 + 1 + cookie.length;
  const out = Buffer.alloc(RECORD_HEADER + HANDSHAKE_HEADER + bodyLength);
  out[0] = 22;
  out.writeUInt16BE(0xfeff, 1);
  ch.recordSeq.copy(out, 5);
  out.writeUInt16BE(HANDSHAKE_HEADER + bodyLength, 11);
  out[13] = 3; // hello_verify_request
  out.writeUIntBE(bodyLength, 14, 3);
  out.writeUIntBE(bodyLength, 22, 3); // message_seq 0, fragment_offset 0, fragment_length = length
  out.writeUInt16BE(0xfeff, 25);
  out[27] = cookie.length;
  cookie.copy(out, 28);
  return out;
}

/** `d` (a ClientHello with a cookie) as the client's first ClientHello: no cookie, message_seq 0. */
export function withoutCookie(d: Buffer, ch: ClientHello): Buffer {
  const cut = ch.cookie.length;
  const out = Buffer.concat([d.subarray(0, ch.cookieAt), Buffer.from([0]), d.subarray(ch.cookieAt + 1 + cut)]);
  out.writeUInt16BE(d.readUInt16BE(11) - cut, 11);
  const length = d.readUIntBE(14, 3) - cut;
  out.writeUIntBE(length, 14, 3);
  out.writeUInt16BE(0, 17);
  out.writeUIntBE(length, 22, 3);
  return out;
}

/** Cookies bound to the client's address and ClientHello random, under a key that lives as long as the listener. */
export class CookieJar {
  private readonly key = randomBytes(32);

  make(ip: string, port: number, random: Buffer): Buffer {
    return createHmac('sha256', this.key).update(`${ip}|${port}|`).update(random).digest().subarray(0, COOKIE_LENGTH);
  }

  verify(ip: string, port: number, ch: ClientHello): boolean {
    return ch.cookie.length === COOKIE_LENGTH && timingSafeEqual(ch.cookie, this.make(ip, port, ch.random));
  }
}
