/** CRC-32 (ISO-HDLC, the one STUN FINGERPRINT uses): zlib's where Node has it (20.15+), else table driven. */
import zlib from 'node:zlib';

const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

const TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32 of buf[start, end), continuing from `previous` (the CRC of the bytes before, default none). */
export function crc32(buf: Uint8Array, start = 0, end = buf.length, previous = 0): number {
  if (zlibCrc32) return zlibCrc32(start === 0 && end === buf.length ? buf : buf.subarray(start, end), previous) >>> 0;
  let c = ~previous;
  for (let i = start; i < end; i++) c = (TABLE[(c ^ (buf[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
