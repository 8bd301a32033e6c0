/** Typed encoders/decoders of the attribute values this server reads or writes. */
import { Family, MAGIC_COOKIE } from './constants.js';
import { bytesToIp, ipToBytes, type TransportAddress } from './address.js';

/** XOR-MAPPED-ADDRESS / XOR-PEER-ADDRESS / XOR-RELAYED-ADDRESS (RFC 8489 §14.2). */
export function decodeXorAddress(v: Buffer, tid: Buffer): TransportAddress | undefined {
  if (v.length < 4) return undefined;
  const fam = v[1];
  const port = v.readUInt16BE(2) ^ (MAGIC_COOKIE >>> 16);
  if (fam === Family.IPv4 && v.length === 8) {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE((v.readUInt32BE(4) ^ MAGIC_COOKIE) >>> 0);
    return { family: 4, ip: bytesToIp(b), port };
  }
  if (fam === Family.IPv6 && v.length === 20) {
    const b = Buffer.allocUnsafe(16);
    const mask = xorMask(tid);
    for (let i = 0; i < 16; i++) b[i] = (v[4 + i] as number) ^ (mask[i] as number);
    return { family: 6, ip: bytesToIp(b), port };
  }
  return undefined;
}

export function encodeXorAddress(a: TransportAddress, tid: Buffer): Buffer {
  const ip = ipToBytes(a.ip) ?? Buffer.alloc(a.family === 6 ? 16 : 4);
  const out = Buffer.alloc(4 + ip.length);
  out[1] = ip.length === 4 ? Family.IPv4 : Family.IPv6;
  out.writeUInt16BE(a.port ^ (MAGIC_COOKIE >>> 16), 2);
  const mask = xorMask(tid);
  for (let i = 0; i < ip.length; i++) out[4 + i] = (ip[i] as number) ^ (mask[i] as number);
  return out;
}

function xorMask(tid: Buffer): Buffer {
  const m = Buffer.allocUnsafe(16);
  m.writeUInt32BE(MAGIC_COOKIE, 0);
  tid.copy(m, 4, 0, 12);
  return m;
}

/** MAPPED-ADDRESS (plain) decoder, for RFC 3489 style messages in tests. */
export function decodeAddress(v: Buffer): TransportAddress | undefined {
  if (v.length === 8 && v[1] === Family.IPv4) return { family: 4, ip: bytesToIp(v.subarray(4, 8)), port: v.readUInt16BE(2) };
  if (v.length === 20 && v[1] === Family.IPv6) return { family: 6, ip: bytesToIp(v.subarray(4, 20)), port: v.readUInt16BE(2) };
  return undefined;
}

export function encodeErrorCode(code: number, reason: string): Buffer {
  const text = Buffer.from(reason, 'utf8');
  const out = Buffer.alloc(4 + text.length);
  out[2] = Math.floor(code / 100);
  out[3] = code % 100;
  text.copy(out, 4);
  return out;
}

/** ADDRESS-ERROR-CODE (RFC 8656 §18.13): the family the error is about, then an ERROR-CODE body. */
export function encodeAddressErrorCode(family: 4 | 6, code: number, reason: string): Buffer {
  const out = encodeErrorCode(code, reason);
  out[0] = family === 6 ? Family.IPv6 : Family.IPv4;
  return out;
}

/** REQUESTED-ADDRESS-FAMILY / ADDITIONAL-ADDRESS-FAMILY (RFC 8656 §18.10-11): 4, 6, 'unknown' family or 'malformed'. */
export function decodeFamily(v: Buffer): 4 | 6 | 'unknown' | 'malformed' {
  if (v.length !== 4) return 'malformed';
  return v[0] === Family.IPv4 ? 4 : v[0] === Family.IPv6 ? 6 : 'unknown';
}

export function decodeErrorCode(v: Buffer): { code: number; reason: string } | undefined {
  if (v.length < 4) return undefined;
  return { code: ((v[2] as number) & 0x7) * 100 + (v[3] as number), reason: v.subarray(4).toString('utf8') };
}

export const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

export const readU32 = (v: Buffer | undefined): number | undefined => (v && v.length === 4 ? v.readUInt32BE(0) : undefined);

/** CHANNEL-NUMBER: 16-bit number + RFFU. */
export function encodeChannel(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(n);
  return b;
}

export const decodeChannel = (v: Buffer | undefined): number | undefined =>
  v && v.length === 4 ? v.readUInt16BE(0) : undefined;

/** UNKNOWN-ATTRIBUTES list. */
export function encodeUnknown(types: readonly number[]): Buffer {
  const b = Buffer.alloc(types.length * 2);
  types.forEach((t, i) => b.writeUInt16BE(t, i * 2));
  return b;
}

export const text = (s: string): Buffer => Buffer.from(s, 'utf8');
