import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RtpHeader, RtpPacket, SrtpAuthenticationError, SrtpSession } from 'werift';
import { openSrtpNatively } from '../../../src/media/engine/native-srtp-receive.js';
import { rtpHeaderLength } from '../../../src/media/rtp/header.js';
import { requireNative } from '../native/require-native.js';

const native = requireNative();

/** A sender session, werift's own receiver, and a receiver whose decrypt the addon does. */
function sessions(profile: number, saltLength: number): { sender: SrtpSession; werift: SrtpSession; ours: SrtpSession } {
  const a = { key: randomBytes(16), salt: randomBytes(saltLength) };
  const b = { key: randomBytes(16), salt: randomBytes(saltLength) };
  const local = { localMasterKey: a.key, localMasterSalt: a.salt, remoteMasterKey: b.key, remoteMasterSalt: b.salt };
  const remote = { localMasterKey: b.key, localMasterSalt: b.salt, remoteMasterKey: a.key, remoteMasterSalt: a.salt };
  const ours = new SrtpSession({ keys: remote, profile });
  expect(openSrtpNatively(ours, native)).toBe(true);
  return { sender: new SrtpSession({ keys: local, profile }), werift: new SrtpSession({ keys: remote, profile }), ours };
}

function rtp(seq: number, opts: { ssrc?: number; size?: number; extension?: boolean; csrc?: number[] } = {}): RtpPacket {
  const extensions = opts.extension === true ? [{ id: 1, payload: Buffer.from([0x90]) }, { id: 4, payload: Buffer.from([1, 2, 3]) }] : [];
  const header = new RtpHeader({
    payloadType: 96,
    sequenceNumber: seq,
    timestamp: seq * 3000,
    ssrc: opts.ssrc ?? 0x1234,
    csrc: opts.csrc ?? [],
    extensions,
    extension: extensions.length > 0,
  });
  return new RtpPacket(header, randomBytes(opts.size ?? 500));
}

describe.each([
  { name: 'SRTP_AEAD_AES_128_GCM', id: 0x0007, saltLength: 12 },
  { name: 'SRTP_AES128_CM_HMAC_SHA1_80', id: 0x0001, saltLength: 14 },
])('native SRTP receive, $name', ({ id, saltLength }) => {
  it("opens what werift opens, across a sequence wrap, keeping werift's rollover state", () => {
    const { sender, werift, ours } = sessions(id, saltLength);
    for (const [i, seq] of [65_530, 65_531, 65_535, 0, 1, 65_534, 2, 3, 4].entries()) {
      const packet = rtp(seq, { extension: i % 2 === 0, ...(i % 3 === 0 ? { csrc: [7, 8] } : {}), size: i === 4 ? 0 : 500 });
      const encrypted = sender.encrypt(packet.payload, packet.header);
      const expected = werift.decrypt(Buffer.from(encrypted));
      const actual = ours.decrypt(Buffer.from(encrypted));
      expect(actual.equals(expected), `seq ${seq}`).toBe(true);
      expect(actual.equals(packet.serialize())).toBe(true);
    }
    expect(ours.remoteContext.srtpSSRCStates[0x1234]?.rolloverCounter).toBe(1);
    expect(ours.remoteContext.srtpSSRCStates[0x1234]?.rolloverCounter).toBe(werift.remoteContext.srtpSSRCStates[0x1234]?.rolloverCounter);
    // every field werift's rule keeps (rollover counter, last sequence number, its first-packet flag)
    expect({ ...ours.remoteContext.srtpSSRCStates[0x1234] }).toEqual({ ...werift.remoteContext.srtpSSRCStates[0x1234] });
  });

  it('refuses a tampered packet or a wrong ROC with the error werift drops on, and keeps the state', () => {
    const { sender, ours } = sessions(id, saltLength);
    const good = rtp(100);
    ours.decrypt(sender.encrypt(good.payload, good.header));
    const state = { ...ours.remoteContext.srtpSSRCStates[0x1234] };
    const next = rtp(101);
    const encrypted = sender.encrypt(next.payload, next.header);
    for (const at of [3, 20, encrypted.length - 1]) {
      const tampered = Buffer.from(encrypted);
      tampered[at]! ^= 0x01;
      expect(() => ours.decrypt(tampered)).toThrow(SrtpAuthenticationError);
    }
    expect(() => ours.decrypt(encrypted.subarray(0, 20))).toThrow(SrtpAuthenticationError);
    expect(() => ours.decrypt(Buffer.from([0x80, 0x60]))).toThrow(SrtpAuthenticationError);
    expect(ours.remoteContext.srtpSSRCStates[0x1234]).toEqual(state);
    expect(ours.decrypt(Buffer.from(encrypted)).equals(next.serialize())).toBe(true);
  });
});

describe('rtpHeaderLength', () => {
  it('counts CSRCs and the extension block, and refuses what cannot be RTP', () => {
    expect(rtpHeaderLength(rtp(1).serialize())).toBe(12);
    expect(rtpHeaderLength(rtp(1, { csrc: [1, 2] }).serialize())).toBe(20);
    expect(rtpHeaderLength(rtp(1, { extension: true }).serialize())).toBe(24);
    expect(rtpHeaderLength(Buffer.alloc(11, 0x80))).toBe(-1);
    expect(rtpHeaderLength(Buffer.alloc(40, 0x40))).toBe(-1); // version 1
    const overrun = Buffer.from(rtp(1, { extension: true, size: 0 }).serialize());
    overrun.writeUInt16BE(50, 14);
    expect(rtpHeaderLength(overrun)).toBe(-1);
  });
});
