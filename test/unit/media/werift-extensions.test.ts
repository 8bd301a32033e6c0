import { describe, expect, it } from 'vitest';
import { RtpHeader, RtpPacket } from 'werift';
import { absSendTimePayload, canonicalInPlace, fromCanonical, toCanonical, uriToId } from '../../../src/media/engine/werift-extensions.js';
import { CANONICAL_EXT_IDS } from '../../../src/media/engine/transport.js';
import { EXT_URI } from '../../../src/media/rtp/extensions.js';
import { rtpHeaderLength } from '../../../src/media/rtp/header.js';

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

describe('canonical form on the bytes (the fast receive path)', () => {
  const ids = { 1: EXT_URI.mid, 3: EXT_URI.rid, 4: EXT_URI.audioLevel, 5: EXT_URI.transportCc };

  /** What the werift path delivers: parse, toCanonical, serialise. */
  function viaWerift(raw: Buffer): Buffer {
    const packet = RtpPacket.deSerialize(raw);
    packet.header.extensions = toCanonical(packet.header.extensions, ids);
    packet.header.extension = packet.header.extensions.length > 0;
    return packet.serialize();
  }

  function packet(opts: { extensions?: Array<{ id: number; payload: Buffer }>; twoByte?: boolean; csrc?: number[]; padding?: number }): Buffer {
    const header = new RtpHeader({
      payloadType: 111,
      sequenceNumber: 65530,
      timestamp: 0xdeadbeef,
      ssrc: 0x01020304,
      marker: true,
      csrc: opts.csrc ?? [],
      extensions: opts.extensions ?? [],
      extensionProfile: opts.twoByte === true ? 0x1000 : 0xbede,
      padding: opts.padding !== undefined,
      paddingSize: opts.padding ?? 0,
    });
    return new RtpPacket(header, Buffer.from('payload bytes that stay put')).serialize();
  }

  const cases: Array<[string, Buffer]> = [
    ['no extension block', packet({})],
    ['audio level among others', packet({ extensions: [{ id: 1, payload: Buffer.from('0') }, { id: 4, payload: Buffer.from([0x85]) }, { id: 5, payload: Buffer.from([0, 7]) }] })],
    ['audio level first', packet({ extensions: [{ id: 4, payload: Buffer.from([0x7f]) }, { id: 3, payload: Buffer.from('high') }] })],
    ['no audio level: the block goes', packet({ extensions: [{ id: 1, payload: Buffer.from('12') }, { id: 5, payload: Buffer.from([1, 2]) }] })],
    ['two-byte elements', packet({ twoByte: true, extensions: [{ id: 1, payload: Buffer.from('0') }, { id: 4, payload: Buffer.from([0x10]) }] })],
    ['CSRCs kept', packet({ csrc: [7, 8], extensions: [{ id: 3, payload: Buffer.from('l') }, { id: 4, payload: Buffer.from([0x01]) }] })],
    ['padding kept', packet({ padding: 4, extensions: [{ id: 4, payload: Buffer.from([0x22]) }] })],
  ];

  it.each(cases)('%s: the bytes werift would deliver', (_name, raw) => {
    const expected = viaWerift(Buffer.from(raw));
    const out = canonicalInPlace(Buffer.from(raw), 4);
    expect(out?.toString('hex')).toBe(expected.toString('hex'));
  });

  it('never throws on mangled packets, and what it returns is an RTP packet no longer than the input', () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 0x1000000;
    const base = cases.map(([, raw]) => raw);
    for (let i = 0; i < 20_000; i++) {
      const from = base[i % base.length]!;
      const raw = Buffer.from(i % 4 === 0 ? Buffer.alloc(Math.floor(random() * 40)).map(() => Math.floor(random() * 256)) : from);
      for (let flips = 0; flips < 3; flips++) if (raw.length > 0) raw[Math.floor(random() * raw.length)] = Math.floor(random() * 256);
      raw[0] = (raw[0] ?? 0) | 0x80; // keep it looking like RTP most of the time
      const length = raw.length;
      const out = canonicalInPlace(raw, 1 + (i % 14));
      if (out === undefined) continue;
      expect(out.length).toBeLessThanOrEqual(length);
      expect(rtpHeaderLength(out)).toBeGreaterThanOrEqual(12);
    }
  });

  it('drops the block when audio level is not negotiated, and refuses a malformed header', () => {
    const raw = packet({ extensions: [{ id: 4, payload: Buffer.from([0x85]) }] });
    const out = canonicalInPlace(Buffer.from(raw), undefined);
    expect(out !== undefined && (out[0]! & 0x10)).toBe(0);
    expect(out?.subarray(12).toString()).toBe('payload bytes that stay put');
    const truncated = Buffer.from(raw.subarray(0, 14));
    expect(canonicalInPlace(truncated, 4)).toBeUndefined();
  });
});
