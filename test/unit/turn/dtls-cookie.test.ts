/** The stateless DTLS cookie exchange in front of werift (RFC 6347 §4.2.1): pure byte work. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CookieJar, helloVerifyRequest, parseClientHello, withoutCookie } from '../../../src/turn/runner/dtls-cookie.js';

/** A DTLS 1.2 ClientHello record: random, empty session id, `cookie`, two suites, no compression, no extensions. */
function clientHello(random: Buffer, cookie: Buffer, messageSeq: number, recordSeq: number): Buffer {
  const body = Buffer.concat([Buffer.from([0xfe, 0xfd]), random, Buffer.from([0, cookie.length]), cookie, Buffer.from([0, 4, 0xc0, 0x2b, 0xc0, 0x2f, 1, 0])]);
  const hs = Buffer.alloc(12);
  hs[0] = 1;
  hs.writeUIntBE(body.length, 1, 3);
  hs.writeUInt16BE(messageSeq, 4);
  hs.writeUIntBE(body.length, 9, 3);
  const rec = Buffer.alloc(13);
  rec[0] = 22;
  rec.writeUInt16BE(0xfeff, 1);
  rec.writeUIntBE(recordSeq, 5, 6);
  rec.writeUInt16BE(12 + body.length, 11);
  return Buffer.concat([rec, hs, body]);
}

describe('DTLS cookie exchange', () => {
  const random = randomBytes(32);

  it('parses a ClientHello and answers with a HelloVerifyRequest echoing its record sequence number', () => {
    const ch = parseClientHello(clientHello(random, Buffer.alloc(0), 0, 5));
    expect(ch && { random: ch.random, cookie: ch.cookie.length, seq: ch.recordSeq.readUIntBE(0, 6) }).toEqual({ random, cookie: 0, seq: 5 });
    if (!ch) return;
    const cookie = Buffer.alloc(20, 7);
    const hvr = helloVerifyRequest(ch, cookie);
    expect(hvr[0]).toBe(22);
    expect(hvr.readUIntBE(5, 6)).toBe(5);
    expect(hvr[13]).toBe(3);
    expect(hvr.subarray(28)).toEqual(cookie);
    expect(hvr.readUInt16BE(11)).toBe(hvr.length - 13);
  });

  it('turns the second ClientHello back into the first (no cookie, message_seq 0)', () => {
    const cookie = randomBytes(20);
    const second = clientHello(random, cookie, 1, 1);
    const ch = parseClientHello(second);
    expect(ch?.cookie).toEqual(cookie);
    if (!ch) return;
    expect(withoutCookie(second, ch)).toEqual(clientHello(random, Buffer.alloc(0), 0, 1));
  });

  it('accepts a cookie only from the address and ClientHello it was made for', () => {
    const jar = new CookieJar();
    const cookie = jar.make('192.0.2.1', 5000, random);
    const ch = parseClientHello(clientHello(random, cookie, 1, 1));
    if (!ch) throw new Error('no ClientHello');
    expect(jar.verify('192.0.2.1', 5000, ch)).toBe(true);
    expect(jar.verify('192.0.2.1', 5001, ch)).toBe(false);
    expect(jar.verify('192.0.2.2', 5000, ch)).toBe(false);
    expect(new CookieJar().verify('192.0.2.1', 5000, ch)).toBe(false);
  });

  it('rejects what is not one whole epoch-0 ClientHello', () => {
    const good = clientHello(random, Buffer.alloc(0), 0, 0);
    expect(parseClientHello(good.subarray(0, 40))).toBeUndefined();
    const epoch1 = Buffer.from(good);
    epoch1.writeUInt16BE(1, 3);
    expect(parseClientHello(epoch1)).toBeUndefined();
    const fragment = Buffer.from(good);
    fragment.writeUIntBE(10, 22, 3);
    expect(parseClientHello(fragment)).toBeUndefined();
    for (let i = 0; i < 2000; i++) expect(() => parseClientHello(randomBytes(i % 200))).not.toThrow();
  });
});
