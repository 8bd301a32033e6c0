/**
 * Hands out windows of the RTC port range for werift's ICE sockets. werift's `findPort` probes
 * ports one by one from the low end of the range it is given, so with the whole range each new
 * connection would re-probe every port in use (O(n) binds per join), and two connections set up at
 * once could pick the same port. Instead each media thread owns a slice of the range and gives
 * each connection the next small window of it, round-robin: a probe usually succeeds at once, and
 * concurrent setups look at different ports. Ports still held when the cursor comes back around
 * are skipped by the probe.
 */
export const PORT_WINDOW = 16;

export class PortWindows {
  private readonly min: number;
  private readonly max: number;
  private cursor: number;

  /** The slice of [min, max] that media thread `index` of `count` owns. */
  constructor(range: readonly [number, number], slice: { readonly index: number; readonly count: number } = { index: 0, count: 1 }) {
    const [min, max] = range;
    const size = Math.floor((max - min + 1) / slice.count);
    if (size < 2) throw new RangeError(`the RTC port range ${min}-${max} is too small for ${slice.count} media threads (at least 2 ports each)`);
    this.min = min + slice.index * size;
    this.max = slice.index === slice.count - 1 ? max : this.min + size - 1;
    this.cursor = this.min;
  }

  /** The next window, at least two ports (werift refuses a range whose ends are equal). */
  next(): [number, number] {
    let lo = this.cursor;
    if (this.max - lo < 1) lo = this.min;
    const hi = Math.min(this.max, lo + PORT_WINDOW - 1);
    this.cursor = hi + 1 > this.max ? this.min : hi + 1;
    return [lo, hi];
  }
}
