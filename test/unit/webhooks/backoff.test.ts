import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from '../../../src/webhooks/backoff.js';

const exact = { ...DEFAULT_BACKOFF, jitter: 0 };

describe('backoffDelay', () => {
  it('starts at 1 s and doubles per failure', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, exact))).toEqual([1000, 2000, 4000, 8000, 16000]);
  });

  it('is capped at 5 minutes, also for absurd attempt counts', () => {
    expect(backoffDelay(9, exact)).toBe(256_000);
    expect(backoffDelay(10, exact)).toBe(300_000);
    expect(backoffDelay(1000, exact)).toBe(300_000);
  });

  it('spreads by ±jitter and never exceeds the cap', () => {
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 0)).toBe(3200);
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 0.5)).toBe(4000);
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 0.999999)).toBe(4800);
    expect(backoffDelay(20, DEFAULT_BACKOFF, () => 0.999999)).toBe(300_000);
    expect(backoffDelay(20, DEFAULT_BACKOFF, () => 0)).toBe(240_000);
  });

  it('takes a shorter base for tests', () => {
    expect([1, 2, 3].map((n) => backoffDelay(n, { baseMs: 10, maxMs: 25, jitter: 0 }))).toEqual([10, 20, 25]);
  });
});
