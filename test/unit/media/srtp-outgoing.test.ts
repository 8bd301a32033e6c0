import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RtpHeader, RtpPacket, SrtpSession } from 'werift';
import { OutgoingHeaderWriter } from '../../../src/media/engine/outgoing-header.js';
import { fromCanonical } from '../../../src/media/engine/werift-extensions.js';
import { WeriftSrtpSender } from '../../../src/media/engine/werift-srtp.js';
import { requireNative } from '../native/require-native.js';
import { EXT_URI } from '../../../src/media/rtp/extensions.js';
import { rewrittenCopy, writeRewrite, type PacketRewrite } from '../../../src/media/rtp/rewrite.js';

/** Subscriber id maps: Parley's own offer, canonical-equal ids, ids only two-byte headers carry, none. */
const SUBSCRIBERS: ReadonlyArray<{ name: string; ids: Map<string, number> }> = [
  { name: 'werift offer (mid 1, level 2, abs 3)', ids: new Map([[EXT_URI.mid, 1], [EXT_URI.audioLevel, 2], [EXT_URI.absSendTime, 3]]) },
  { name: 'canonical ids (level 1, abs 2, mid 3)', ids: new Map([[EXT_URI.audioLevel, 1], [EXT_URI.absSendTime, 2], [EXT_URI.mid, 3]]) },
  { name: 'video (mid 4, abs 14)', ids: new Map([[EXT_URI.mid, 4], [EXT_URI.rid, 5], [EXT_URI.absSendTime, 14]]) },
  { name: 'abs-send-time only', ids: new Map([[EXT_URI.absSendTime, 9]]) },
  { name: 'no extensions', ids: new Map() },
];

const LEVEL = { id: 1, payload: Buffer.from([0x85]) };

/** Canonical packets as WeriftIncomingTrack produces them (werift serialise), plus two-byte ones. */
function canonical(seq: number, opts: { level?: boolean; twoByte?: boolean; csrc?: number[]; size?: number } = {}): Buffer {
  const extensions = opts.level === true ? [LEVEL] : [];
  const header = new RtpHeader({
    payloadType: 111,
    marker: seq % 2 === 0,
    sequenceNumber: seq,
    timestamp: seq * 960,
    ssrc: 0xcafe0001,
    csrc: opts.csrc ?? [],
    extensions,
    extension: extensions.length > 0,
    extensionProfile: opts.twoByte === true ? 0x1000 : 0xbede,
  });
  return new RtpPacket(header, randomBytes(opts.size ?? 160)).serialize();
}

function pair(profile: number): { reference: SrtpSession; sender: WeriftSrtpSender } {
  const keys = { localMasterKey: randomBytes(16), localMasterSalt: randomBytes(14), remoteMasterKey: randomBytes(16), remoteMasterSalt: randomBytes(14) };
  return { reference: new SrtpSession({ keys, profile }), sender: new WeriftSrtpSender(new SrtpSession({ keys, profile }).localContext, requireNative()) };
}

/** The general path of WeriftOutgoingTrack.sendRtp: werift parse, fromCanonical, werift encrypt. */
function general(session: SrtpSession, packet: Buffer, ids: Map<string, number>, mid: string | undefined, now: number): Buffer {
  const rtp = RtpPacket.deSerialize(packet);
  rtp.header.extensions = fromCanonical(rtp.header.extensions, ids, mid, now);
  rtp.header.extension = rtp.header.extensions.length > 0;
  return session.encrypt(rtp.payload, rtp.header);
}

/** The fast path, as WeriftOutgoingTrack.sendRtp runs it. */
function fast(
  writer: OutgoingHeaderWriter,
  sender: WeriftSrtpSender,
  packet: Buffer,
  mid: string | undefined,
  now: number,
  rewrite?: PacketRewrite,
): Buffer | undefined {
  if (!writer.layout(packet, mid)) return undefined;
  const plaintext = packet.subarray(writer.payloadStart);
  const out = Buffer.alloc(writer.headerLength + plaintext.length + sender.tagLength);
  writer.write(packet, out, now);
  plaintext.copy(out, writer.headerLength);
  if (rewrite !== undefined) writeRewrite(out, writer.headerLength, rewrite);
  sender.seal(out, writer.headerLength);
  return out;
}

describe.each([
  { profile: 'SRTP_AEAD_AES_128_GCM', id: 0x0007 },
  { profile: 'SRTP_AES128_CM_HMAC_SHA1_80', id: 0x0001 },
])('outgoing header + SRTP, $profile', ({ id }) => {
  it.each(SUBSCRIBERS)('matches the general path byte for byte: $name', ({ ids }) => {
    const { reference, sender } = pair(id);
    const writer = new OutgoingHeaderWriter(ids);
    let now = 1_700_000_000_123;
    let seq = 65_520;
    const cases = [
      { level: true },
      { level: false },
      { level: true, twoByte: true },
      { level: false, twoByte: true },
      { level: true, csrc: [1, 2, 3] },
      { level: true, size: 0 },
    ];
    for (let n = 0; n < 40; n++) {
      for (const c of cases) {
        for (const mid of ['0', '12', undefined]) {
          const packet = canonical(seq, c);
          const expected = general(reference, packet, ids, mid, now);
          const actual = fast(writer, sender, packet, mid, now);
          expect(actual?.toString('hex'), `seq ${seq} mid ${mid} ${JSON.stringify(c)}`).toBe(expected.toString('hex'));
          seq = (seq + 1) & 0xffff;
          now += 7.3;
        }
      }
    }
  });

  it("writes a subscriber's rewrite (SSRC, seq, ts, payload type, VP8 PictureID) as the general path does on a rewritten copy", () => {
    const { reference, sender } = pair(id);
    const writer = new OutgoingHeaderWriter(SUBSCRIBERS[0]!.ids);
    for (const level of [true, false]) {
      const packet = canonical(70, { level, size: 300 });
      const payloadOffset = packet.length - 300;
      packet.set([0x80, 0xc0, 0x80 | 0x12, 0x34, 0x56], payloadOffset); // X, I + L: 15-bit PictureID, TL0PICIDX
      const before = Buffer.from(packet);
      const rewrite: PacketRewrite = {
        sequenceNumber: 4242,
        timestamp: 0xfedcba98,
        ssrc: 0x0badf00d,
        payloadType: 100,
        pictureCodec: 'vp8',
        pictureId: 0x7001,
        tl0PicIdx: 9,
      };
      const copy = rewrittenCopy(packet, rewrite)!;
      expect(copy.readUInt16BE(payloadOffset + 2)).toBe(0x8000 | 0x7001);
      expect(copy[payloadOffset + 4]).toBe(9);
      const actual = fast(writer, sender, packet, '1', 5000, rewrite);
      expect(actual?.toString('hex')).toBe(general(reference, copy, SUBSCRIBERS[0]!.ids, '1', 5000).toString('hex'));
      expect(packet.equals(before)).toBe(true);
    }
  });

  it('leaves the canonical packet untouched (it is kept for NACKs)', () => {
    const { sender } = pair(id);
    const writer = new OutgoingHeaderWriter(SUBSCRIBERS[0]!.ids);
    const packet = canonical(5, { level: true });
    const before = Buffer.from(packet);
    fast(writer, sender, packet, '3', 1000);
    expect(packet.equals(before)).toBe(true);
  });
});

describe('OutgoingHeaderWriter hands the general path what it does not reproduce', () => {
  const writer = new OutgoingHeaderWriter(SUBSCRIBERS[0]!.ids);

  it('RTP padding', () => {
    const header = new RtpHeader({ payloadType: 96, sequenceNumber: 1, ssrc: 1, padding: true, paddingSize: 4 });
    expect(writer.layout(new RtpPacket(header, Buffer.alloc(20, 1)).serialize(), '0')).toBe(false);
  });

  it('an unknown extension profile, a truncated block, an element that does not fit one byte', () => {
    const base = canonical(1, { level: true });
    const unknownProfile = Buffer.from(base);
    unknownProfile.writeUInt16BE(0x1234, 12);
    expect(writer.layout(unknownProfile, '0')).toBe(false);
    const truncated = base.subarray(0, 14);
    expect(writer.layout(truncated, '0')).toBe(false);
    expect(writer.layout(canonical(1, { level: true }), 'a-mid-longer-than-16-bytes')).toBe(false);
    expect(new OutgoingHeaderWriter(new Map([[EXT_URI.absSendTime, 15]])).layout(canonical(1), '0')).toBe(false);
  });

  it('a one-byte block that ends early (id 15) or whose element runs past the block', () => {
    const packet = canonical(1, { level: true });
    const early = Buffer.from(packet);
    early[16] = 0xf0;
    expect(writer.layout(early, '0')).toBe(false);
    const overrun = Buffer.from(packet);
    overrun[16] = 0x13; // id 1, 4 bytes in a 4-byte block
    expect(writer.layout(overrun, '0')).toBe(false);
  });
});
