import { describe, expect, it } from 'vitest';
import { layerFromRid } from '../../../src/media/forwarding/simulcast.js';

describe('layerFromRid', () => {
  it('maps common rid conventions lowest first, preferring the SDP order', () => {
    expect(layerFromRid(undefined)).toBe(0);
    expect(['q', 'h', 'f'].map((r) => layerFromRid(r))).toEqual([0, 1, 2]);
    expect(['l', 'm'].map((r) => layerFromRid(r))).toEqual([0, 1]);
    expect(layerFromRid('2')).toBe(2);
    expect(layerFromRid('h', ['l', 'm', 'h'])).toBe(2);
    expect(layerFromRid('hi', ['lo', 'hi'])).toBe(1);
    expect(layerFromRid('weird')).toBe(0);
  });
});
