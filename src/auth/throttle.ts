/**
 * Slows down repeated authentication failures from one address. Pure, with an injected clock:
 * callers report each failure with `fail(addr, now)` and wait the returned delay before answering
 * (or refuse outright past twice the allowed rate), so a brute force costs time while honest users are unaffected.
 */
export class AuthThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    /** Failures per minute allowed before slowing down. */
    private readonly perMinute: number,
    private readonly windowMs = 60_000,
  ) {}

  /** Records a failure; returns how many ms to wait before answering, or -1 to refuse at once. */
  fail(addr: string, now: number): number {
    const list = this.recent(addr, now);
    list.push(now);
    this.failures.set(addr, list);
    const over = list.length - this.perMinute;
    if (over <= 0) return 0;
    if (over > this.perMinute) return -1;
    return Math.min(2000, 250 * 2 ** Math.min(over - 1, 3));
  }

  /** Drops bookkeeping older than the window (call periodically). */
  sweep(now: number): void {
    for (const [addr, list] of this.failures) {
      const kept = list.filter((t) => now - t < this.windowMs);
      if (kept.length === 0) this.failures.delete(addr);
      else this.failures.set(addr, kept);
    }
  }

  private recent(addr: string, now: number): number[] {
    return (this.failures.get(addr) ?? []).filter((t) => now - t < this.windowMs);
  }
}
