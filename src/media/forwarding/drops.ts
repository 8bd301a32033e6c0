/**
 * Why a packet was not forwarded. On the packet path problems are counted, never thrown.
 */
export const DROP_REASONS = [
  'malformed',
  'muted',
  'paused',
  'no-layer',
  'other-layer',
  'waiting-keyframe',
  'before-switch',
  'padding',
  'unknown-ssrc',
] as const;

export type DropReason = (typeof DROP_REASONS)[number];

export class DropCounters {
  private readonly counts = new Map<DropReason, number>();

  count(reason: DropReason): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  get(reason: DropReason): number {
    return this.counts.get(reason) ?? 0;
  }

  total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }

  snapshot(): Readonly<Partial<Record<DropReason, number>>> {
    return Object.fromEntries(this.counts);
  }
}
