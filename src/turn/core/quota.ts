/**
 * Allocation quotas. LocalQuota counts in a Map; SharedQuota counts in a SharedArrayBuffer so that
 * relay workers share one budget (per-user counts live in hashed buckets: a collision can only make
 * the per-user limit stricter for the two users sharing a bucket, never looser).
 */
import type { Quota } from './types.js';

export class LocalQuota implements Quota {
  private total = 0;
  private readonly perUser = new Map<string, number>();

  constructor(private readonly maxPerUser: number, private readonly maxTotal: number) {}

  tryAcquire(user: string): boolean {
    const n = this.perUser.get(user) ?? 0;
    if (n >= this.maxPerUser || this.total >= this.maxTotal) return false;
    this.perUser.set(user, n + 1);
    this.total++;
    return true;
  }

  release(user: string): void {
    const n = this.perUser.get(user) ?? 0;
    if (n <= 1) this.perUser.delete(user);
    else this.perUser.set(user, n - 1);
    if (this.total > 0) this.total--;
  }
}

export const SHARED_QUOTA_BUCKETS = 65536;

export class SharedQuota implements Quota {
  private readonly counts: Int32Array;

  /** `buffer` must hold (1 + SHARED_QUOTA_BUCKETS) int32s; create it with SharedQuota.buffer(). */
  constructor(buffer: SharedArrayBuffer, private readonly maxPerUser: number, private readonly maxTotal: number) {
    this.counts = new Int32Array(buffer);
  }

  static buffer(): SharedArrayBuffer {
    return new SharedArrayBuffer(4 * (1 + SHARED_QUOTA_BUCKETS));
  }

  tryAcquire(user: string): boolean {
    const b = 1 + bucket(user);
    if (Atomics.add(this.counts, 0, 1) >= this.maxTotal) {
      Atomics.sub(this.counts, 0, 1);
      return false;
    }
    if (Atomics.add(this.counts, b, 1) >= this.maxPerUser) {
      Atomics.sub(this.counts, b, 1);
      Atomics.sub(this.counts, 0, 1);
      return false;
    }
    return true;
  }

  release(user: string): void {
    Atomics.sub(this.counts, 1 + bucket(user), 1);
    Atomics.sub(this.counts, 0, 1);
  }
}

function bucket(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) % SHARED_QUOTA_BUCKETS;
}
