/** The browser SDK's pure parts: reconnect backoff, URL normalisation, the polite rule, quality, response parsing. */
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../src/client/backoff.js';
import { isPolite } from '../../../src/client/mesh.js';
import { estimateQuality, type PeerStatsSample } from '../../../src/client/quality.js';
import { parseJoinResult } from '../../../src/client/responses.js';
import { signalingUrl } from '../../../src/client/url.js';

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap, within the jitter', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 10].map((a) => backoffDelay(a, {}, mid))).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
    expect(backoffDelay(0, {}, () => 0)).toBe(200);
    expect(backoffDelay(0, {}, () => 0.999999)).toBe(300);
  });
});

describe('signalingUrl', () => {
  it('turns http(s) into ws(s) and adds /rtc when no path is given', () => {
    expect(signalingUrl('http://localhost:7880')).toBe('ws://localhost:7880/rtc');
    expect(signalingUrl('https://rtc.example.com/')).toBe('wss://rtc.example.com/rtc');
    expect(signalingUrl('wss://rtc.example.com/custom')).toBe('wss://rtc.example.com/custom');
    expect(signalingUrl('/rtc', 'https://app.example.com/room/x')).toBe('wss://app.example.com/rtc');
  });
});

describe('isPolite', () => {
  it('makes exactly one side of every pair polite', () => {
    for (const [a, b] of [['PA_a', 'PA_b'], ['PA_Z', 'PA_a'], ['PA_1', 'PA_10']] as const) {
      expect(isPolite(a, b)).not.toBe(isPolite(b, a));
    }
  });
});

describe('estimateQuality', () => {
  const sample = (t: number, received: number, lost: number, rttMs?: number): PeerStatsSample => ({
    timestamp: t, rttMs, packetsReceived: received, packetsLost: lost, jitterMs: undefined, video: undefined, audioLevel: undefined,
  });
  it('grades by loss between samples and by RTT, taking the worse', () => {
    expect(estimateQuality(sample(0, 0, 0, 20), sample(1000, 1000, 0, 20), true)).toBe('excellent');
    expect(estimateQuality(sample(0, 0, 0), sample(1000, 950, 50), true)).toBe('good');
    expect(estimateQuality(sample(0, 0, 0), sample(1000, 800, 200), true)).toBe('poor');
    expect(estimateQuality(sample(0, 0, 0, 500), sample(1000, 1000, 0, 500), true)).toBe('poor');
  });
  it('says lost when media is expected and nothing arrived for 2 s, unknown before a first RTT', () => {
    expect(estimateQuality(sample(0, 100, 0), sample(2500, 100, 0), true)).toBe('lost');
    expect(estimateQuality(sample(0, 100, 0, 30), sample(2500, 100, 0, 30), false)).toBe('excellent');
    expect(estimateQuality(undefined, sample(0, 0, 0), true)).toBe('unknown');
  });
});

describe('parseJoinResult', () => {
  it('refuses a response that is not a join result', () => {
    expect(() => parseJoinResult({})).toThrow();
    expect(() => parseJoinResult(null)).toThrow();
  });
});
