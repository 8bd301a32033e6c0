/**
 * Modular arithmetic for RTP sequence numbers (16 bit) and timestamps (32 bit), RFC 3550 §A.1.
 * Everything here is allocation-free and pure.
 */

/** a + b modulo 2^16. */
export function seqAdd(a: number, b: number): number {
  return (a + b) & 0xffff;
}

/** Signed distance from `b` to `a` in 16-bit space: positive when `a` is newer. */
export function seqDiff(a: number, b: number): number {
  return (((a - b) & 0xffff) << 16) >> 16;
}

/** True when `a` comes after `b` (RFC 1982 serial number comparison). */
export function seqNewer(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}

/** a + b modulo 2^32. */
export function tsAdd(a: number, b: number): number {
  return (a + b) >>> 0;
}

/** Signed distance from `b` to `a` in 32-bit space: positive when `a` is later. */
export function tsDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * Extends 16-bit sequence numbers to a monotonic number line around the highest seen value, so
 * that out-of-order packets and wrap-around compare correctly. Pure: the caller keeps `highest`.
 */
export function extendSeq(highest: number, seq: number): number {
  return highest + seqDiff(seq, highest & 0xffff);
}
