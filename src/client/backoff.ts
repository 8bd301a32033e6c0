/** Reconnect timing: pure, so it can be unit-tested without timers. */
export interface BackoffOptions {
  /** First delay in ms. Default 250. */
  initialMs?: number;
  /** Largest delay in ms. Default 5000. */
  maxMs?: number;
  /** Jitter as a fraction of the delay (0..1). Default 0.2. */
  jitter?: number;
}

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, with jitter. */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = opts.initialMs ?? 250;
  const max = opts.maxMs ?? 5000;
  const jitter = opts.jitter ?? 0.2;
  const base = Math.min(max, initial * 2 ** Math.max(0, attempt));
  return Math.round(base * (1 - jitter + 2 * jitter * random()));
}
