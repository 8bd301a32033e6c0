import { describe, expect, it } from 'vitest';
import { absSendTimePayload, fromCanonical, toCanonical, uriToId } from '../../../src/media/engine/werift-extensions.js';
import { CANONICAL_EXT_IDS } from '../../../src/media/engine/transport.js';
import { EXT_URI } from '../../../src/media/rtp/extensions.js';

describe('extension id mapping at the engine boundary', () => {
  const publisherIds = { 1: EXT_URI.mid, 3: EXT_URI.rid, 4: EXT_URI.audioLevel, 5: EXT_URI.transportCc };
  const subscriberIds = { 2: EXT_URI.mid, 6: EXT_URI.audioLevel, 9: EXT_URI.absSendTime };

  it('keeps only the audio level on the way in, under its canonical id', () => {
    const level = Buffer.from([0x85]);
    const inbound = toCanonical(
      [
        { id: 1, payload: Buffer.from('0') },
        { id: 3, payload: Buffer.from('h') },
        { id: 4, payload: level },
        { id: 5, payload: Buffer.from([0, 1]) },
      ],
      publisherIds,
    );
    expect(inbound).toEqual([{ id: CANONICAL_EXT_IDS.audioLevel, payload: level }]);
  });

  it("writes the subscriber's mid, abs-send-time and audio level under its own ids", () => {
    const out = fromCanonical([{ id: CANONICAL_EXT_IDS.audioLevel, payload: Buffer.from([0x85]) }], uriToId(subscriberIds), '3', 1500);
    expect(out).toEqual([
      { id: 2, payload: Buffer.from('3') },
      { id: 6, payload: Buffer.from([0x85]) },
      { id: 9, payload: absSendTimePayload(1500) },
    ]);
    expect(absSendTimePayload(1500).readUIntBE(0, 3)).toBe(Math.floor(1.5 * 262144));
  });
});
