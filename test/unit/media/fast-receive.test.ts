import { describe, expect, it } from 'vitest';
import type { RTCDtlsTransport, RTCRtpReceiver } from 'werift';
import { FastReceive } from '../../../src/media/engine/werift-fast-receive.js';

/** An RTP packet without extensions: version 2, the payload type, seq, ts, SSRC, 20 bytes of payload. */
function rtp(seq: number, ssrc = 0x1234, payloadType = 96): Buffer {
  const b = Buffer.alloc(32);
  b[0] = 0x80;
  b[1] = payloadType;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(seq * 3000, 4);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

/** werift's receiver as the fast path reads it, with werift's own `nackEnabled` rule (codecs sorted, the first one's feedback). */
function receiver() {
  const nacked: number[] = [];
  const stats: number[] = [];
  const r = {
    codecs: {} as Record<number, { payloadType: number; rtcpFeedback: { type: string }[] }>,
    nackReads: 0,
    get nackEnabled() {
      this.nackReads++;
      const first = Object.values(this.codecs).sort((a, b) => a.payloadType - b.payloadType)[0];
      return first?.rtcpFeedback.find((f) => f.type === 'nack');
    },
    remoteStreams: { [0x1234]: { add: (p: { header: { sequenceNumber: number } }) => stats.push(p.header.sequenceNumber) } },
    nack: { addPacket: (p: { header: { sequenceNumber: number } }) => nacked.push(p.header.sequenceNumber) },
    stopped: false,
  };
  return { r, nacked, stats };
}

/** A DTLS transport whose ICE connection has one STUN protocol; SRTP "decrypts" by returning the packet. */
function transport() {
  const passedOn: Buffer[] = [];
  const protocol = { datagramReceived: (data: Buffer, _addr?: unknown): void => void passedOn.push(data) };
  const dtls = {
    srtp: { decrypt: (b: Buffer) => b },
    bytesReceived: 0,
    packetsReceived: 0,
    iceTransport: { connection: { protocols: [protocol], onData: { execute: (d: Buffer) => void passedOn.push(d) } } },
  };
  return { dtls: dtls as unknown as RTCDtlsTransport, protocol, passedOn };
}

describe('FastReceive', () => {
  it("feeds werift's NACK generator as werift's nackEnabled says, read again only when the codecs are renegotiated", () => {
    const { r, nacked, stats } = receiver();
    r.codecs[96] = { payloadType: 96, rtcpFeedback: [{ type: 'nack' }] };
    r.codecs[111] = { payloadType: 111, rtcpFeedback: [] };
    const { dtls, protocol, passedOn } = transport();
    const fast = new FastReceive();
    const delivered: number[] = [];
    fast.add({
      ssrc: 0x1234,
      payloadType: 96,
      video: true,
      audioLevelId: undefined,
      receiver: r as unknown as RTCRtpReceiver,
      stopped: () => false,
      deliver: (p) => delivered.push(p.readUInt16BE(2)),
    });
    fast.hook(dtls);
    for (const seq of [1, 2, 3]) protocol.datagramReceived(rtp(seq), undefined);
    expect(delivered).toEqual([1, 2, 3]);
    expect(stats).toEqual([1, 2, 3]);
    expect(nacked).toEqual([1, 2, 3]);
    expect(r.nackReads).toBe(1);

    // a renegotiation without NACK: werift deletes and re-adds its codec entries (new objects)
    for (const pt of Object.keys(r.codecs)) delete r.codecs[Number(pt)];
    r.codecs[96] = { payloadType: 96, rtcpFeedback: [{ type: 'goog-remb' }] };
    for (const seq of [4, 5]) protocol.datagramReceived(rtp(seq), undefined);
    expect(delivered).toEqual([1, 2, 3, 4, 5]);
    expect(nacked).toEqual([1, 2, 3]);
    expect(r.nackReads).toBe(2);

    // the flag follows the lowest payload type, as werift's sorted codecArray[0] does
    r.codecs[35] = { payloadType: 35, rtcpFeedback: [{ type: 'nack' }] };
    protocol.datagramReceived(rtp(6), undefined);
    expect(nacked).toEqual([1, 2, 3, 6]);
    expect(r.nackReads).toBe(3);

    // what is not a registered stream's RTP goes on to werift: another SSRC, another payload type, RTCP, STUN
    const others = [rtp(7, 0x9999), rtp(8, 0x1234, 97), Buffer.from([0x80, 200, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]), Buffer.alloc(20)];
    for (const d of others) protocol.datagramReceived(d, undefined);
    expect(passedOn).toEqual(others);
    expect(fast.taken).toBe(6);
  });
});
