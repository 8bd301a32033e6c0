/**
 * The retry schedule of webhook deliveries. Pure: the random source is passed in.
 *
 * After the n-th failed attempt (n >= 1) the next one waits base * 2^(n-1), capped at max, then
 * spread by ±jitter (a fraction) so that many events failing together do not retry in lockstep;
 * the result never exceeds max. With the defaults: ~1 s, 2 s, 4 s, ... 256 s, then 5 min.
 */
export interface BackoffOptions {
  /** Delay after the first failure, ms. Default 1000. */
  baseMs: number;
  /** Longest delay, ms. Default 300000 (5 min). */
  maxMs: number;
  /** Spread as a fraction of the delay (0.2 = ±20%). Default 0.2; 0 makes the schedule exact. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 300_000, jitter: 0.2 };

/** Milliseconds to wait after `failures` failed attempts; `random` returns [0, 1). */
export function backoffDelay(failures: number, opts: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 40); // 2^40 ms is far past any sane cap
  const exact = Math.min(opts.baseMs * 2 ** exponent, opts.maxMs);
  const spread = exact * opts.jitter * (2 * random() - 1);
  return Math.max(0, Math.min(Math.round(exact + spread), opts.maxMs));
}
