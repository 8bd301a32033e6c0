/** Milliseconds on a monotonic clock. Injected into every decision class so tests control time. */
export type Clock = () => number;

export const monotonicClock: Clock = () => performance.now();
