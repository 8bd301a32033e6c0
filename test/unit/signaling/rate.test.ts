import { expect, it } from 'vitest';
import { TokenBucket } from '../../../src/signaling/rate.js';

it('allows a burst, then the rate, refilling with time', () => {
  const b = new TokenBucket(10, 20);
  const taken = Array.from({ length: 25 }, () => b.take(0)).filter(Boolean).length;
  expect(taken).toBe(20);
  expect(b.take(50)).toBe(false); // half a token
  expect(b.take(100)).toBe(true); // one token after 100 ms at 10/s
  expect(Array.from({ length: 30 }, () => b.take(10_000)).filter(Boolean).length).toBe(20); // capped at the burst
});
