import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RtpHeader, RtpPacket, SrtpSession } from 'werift';
import { SrtpSender } from '../../../src/media/engine/srtp-send.js';
import { WeriftSrtpSender } from '../../../src/media/engine/werift-srtp.js';
import { requireNative } from '../native/require-native.js';

const PROFILES = [
  { name: 'SRTP_AEAD_AES_128_GCM', id: 0x0007, saltLength: 12 },
  { name: 'SRTP_AES128_CM_HMAC_SHA1_80', id: 0x0001, saltLength: 14 },
] as const;

/** Each test runs with the TypeScript sealer and with the native addon's (built by npm install). */
const SEALERS = [
  { sealer: 'TypeScript', native: undefined },
  { sealer: 'native', native: requireNative() },
];

/** Two werift sessions with the same keys: one is the reference, one feeds Parley's sender. */
function sessions(profile: number, saltLength: number): { reference: SrtpSession; ours: SrtpSession; receiver: SrtpSession } {
  const keys = {
    localMasterKey: randomBytes(16),
    localMasterSalt: randomBytes(saltLength),
    remoteMasterKey: randomBytes(16),
    remoteMasterSalt: randomBytes(saltLength),
  };
  const swapped = {
    localMasterKey: keys.remoteMasterKey,
    localMasterSalt: keys.remoteMasterSalt,
    remoteMasterKey: keys.localMasterKey,
    remoteMasterSalt: keys.localMasterSalt,
  };
  return {
    reference: new SrtpSession({ keys, profile }),
    ours: new SrtpSession({ keys, profile }),
    receiver: new SrtpSession({ keys: swapped, profile }),
  };
}

function rtp(opts: { ssrc: number; seq: number; csrc?: number[]; extensions?: Array<{ id: number; payload: Buffer }>; size?: number }): Buffer {
  const header = new RtpHeader({
    payloadType: 96,
    marker: opts.seq % 3 === 0,
    sequenceNumber: opts.seq,
    timestamp: (opts.seq * 3000) >>> 0,
    ssrc: opts.ssrc,
    csrc: opts.csrc ?? [],
    extensions: opts.extensions ?? [],
    extension: (opts.extensions ?? []).length > 0,
  });
  return new RtpPacket(header, randomBytes(opts.size ?? 1100)).serialize();
}

/** werift's path: parse, serialise the header again, encrypt. */
function weriftEncrypt(session: SrtpSession, packet: Buffer): Buffer {
  const parsed = RtpPacket.deSerialize(packet);
  return session.encrypt(parsed.payload, parsed.header);
}

/** Parley's path on raw bytes: header copied once, payload sealed after it. */
function parleyEncrypt(sender: WeriftSrtpSender, packet: Buffer): Buffer {
  const headerLength = RtpHeader.deSerialize(packet).payloadOffset;
  const plaintext = packet.subarray(headerLength);
  const out = Buffer.alloc(headerLength + plaintext.length + sender.tagLength);
  packet.copy(out, 0, 0, headerLength);
  plaintext.copy(out, headerLength);
  sender.seal(out, headerLength);
  return out;
}

describe.each(PROFILES.flatMap((p) => SEALERS.map((s) => ({ ...p, ...s }))))('SRTP send, $name, $sealer', ({ id, saltLength, native }) => {
  it('produces the bytes werift produces, for several SSRCs across a sequence wrap-around', () => {
    const { reference, ours, receiver } = sessions(id, saltLength);
    const sender = new WeriftSrtpSender(ours.localContext, native);
    const streams = [
      { ssrc: 0x11111111, seq: 65_530 },
      { ssrc: 0xdeadbeef, seq: 65_500 },
      { ssrc: 7, seq: 100 },
    ];
    for (let n = 0; n < 80; n++) {
      for (const s of streams) {
        const packet = rtp({
          ssrc: s.ssrc,
          seq: s.seq,
          size: 50 + ((n * 37) % 1150),
          ...(n % 2 === 0 ? { extensions: [{ id: 1, payload: Buffer.from([0x85]) }, { id: 3, payload: Buffer.from([1, 2, 3]) }] } : {}),
          ...(n % 5 === 0 ? { csrc: [0x01020304, 0x0a0b0c0d] } : {}),
        });
        const expected = weriftEncrypt(reference, packet);
        const actual = parleyEncrypt(sender, packet);
        expect(actual.equals(expected), `ssrc ${s.ssrc} seq ${s.seq}`).toBe(true);
        expect(receiver.decrypt(actual).equals(packet)).toBe(true);
        s.seq = (s.seq + 1) & 0xffff;
      }
    }
    // the first two streams wrapped: werift's state and ours are the same objects
    expect(ours.localContext.srtpSSRCStates[0x11111111]?.rolloverCounter).toBe(1);
    expect(ours.localContext.srtpSSRCStates[0xdeadbeef]?.rolloverCounter).toBe(1);
    expect(ours.localContext.srtpSSRCStates[7]?.rolloverCounter).toBe(0);
  });

  it('follows werift on a late packet from before the wrap and keeps state shared with werift', () => {
    const { reference, ours } = sessions(id, saltLength);
    const sender = new WeriftSrtpSender(ours.localContext, native);
    const ssrc = 0x42424242;
    // mostly in order, one retransmission of 65534 after 0 and 1, then werift itself sends on the SSRC
    const seqs = [65_533, 65_534, 65_535, 0, 1, 65_534, 2, 3];
    for (const seq of seqs) {
      const packet = rtp({ ssrc, seq, size: 300 });
      expect(parleyEncrypt(sender, packet).equals(weriftEncrypt(reference, packet)), `seq ${seq}`).toBe(true);
    }
    const next = rtp({ ssrc, seq: 4, size: 300 });
    expect(weriftEncrypt(ours, next).equals(weriftEncrypt(reference, next))).toBe(true);
    const after = rtp({ ssrc, seq: 5, size: 300 });
    expect(parleyEncrypt(sender, after).equals(weriftEncrypt(reference, after))).toBe(true);
  });

  it('encrypts an empty payload', () => {
    const { reference, ours } = sessions(id, saltLength);
    const sender = new WeriftSrtpSender(ours.localContext, native);
    const packet = rtp({ ssrc: 9, seq: 1, size: 0 });
    expect(parleyEncrypt(sender, packet).equals(weriftEncrypt(reference, packet))).toBe(true);
  });
});

describe('SrtpSender keys', () => {
  it('protects a header and payload held in separate Buffers', () => {
    const { reference, ours } = sessions(0x0007, 12);
    const ctx = ours.localContext;
    const sender = new SrtpSender({ profile: 'aes128-gcm', sessionKey: ctx.srtpSessionKey, sessionSalt: ctx.srtpSessionSalt });
    const packet = rtp({ ssrc: 5, seq: 10, size: 200 });
    const framed = Buffer.concat([Buffer.alloc(7), packet.subarray(12), Buffer.alloc(3)]);
    const out = sender.protect(packet, 12, framed, 7, framed.length - 3, 0);
    expect(out.equals(weriftEncrypt(reference, packet))).toBe(true);
  });

  it('refuses keys of the wrong size and AES-CM without an authentication key', () => {
    expect(() => new SrtpSender({ profile: 'aes128-gcm', sessionKey: Buffer.alloc(8), sessionSalt: Buffer.alloc(12) })).toThrow();
    expect(() => new SrtpSender({ profile: 'aes128-cm-hmac-sha1-80', sessionKey: Buffer.alloc(16), sessionSalt: Buffer.alloc(14) })).toThrow();
  });
});
