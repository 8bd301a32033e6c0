import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { RTCRtpCodecParameters, RTCRtpReceiver, RtpHeader, RtpPacket, type RTCDtlsTransport } from 'werift';
import { addToStatistics, FastReceive, type StreamStatistics } from '../../../src/media/engine/werift-fast-receive.js';

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

type Codec = { payloadType: number; rtcpFeedback: { type: string }[] };

/**
 * werift's receiver as the fast path reads it, with werift's own rules: `nackEnabled` (codecs
 * sorted, the first one's feedback), `prepareReceive` (adds the negotiated codecs by payload type)
 * and `resyncCodecs` (a renegotiation: deletes every entry, then `prepareReceive`).
 */
function receiver() {
  const nacked: number[] = [];
  const stats: StreamStatistics = {
    base_seq: undefined,
    max_seq: undefined,
    cycles: 0,
    packets_received: 0,
    bytesReceived: 0,
    headerBytesReceived: 0,
    lastPacketReceivedTimestamp: undefined,
    clockRate: 90000,
    jitter_q4: 0,
    last_arrival: undefined,
    last_timestamp: undefined,
  };
  const r = {
    codecs: {} as Record<number, Codec>,
    nackReads: 0,
    get nackEnabled() {
      this.nackReads++;
      const first = Object.values(this.codecs).sort((a, b) => a.payloadType - b.payloadType)[0];
      return first?.rtcpFeedback.find((f) => f.type === 'nack');
    },
    prepareReceive(params: { codecs: Codec[] }) {
      for (const c of params.codecs) this.codecs[c.payloadType] = c;
    },
    resyncCodecs(params: { codecs: Codec[] }) {
      for (const pt of Object.keys(this.codecs)) delete this.codecs[Number(pt)];
      this.prepareReceive(params);
    },
    remoteStreams: { [0x1234]: stats },
    nack: { addPacket: (p: { header: { sequenceNumber: number } }) => nacked.push(p.header.sequenceNumber) },
    stopped: false,
  };
  return { r, nacked, stats };
}

/**
 * A DTLS transport whose ICE connection has one STUN protocol on a UDP transport, its socket with
 * werift's one listener (sets `rinfo`, passes the datagram and an address array on); SRTP
 * "decrypts" by returning the packet.
 */
function transport() {
  const passedOn: Buffer[] = [];
  const socket = new EventEmitter();
  const udp = { socket, rinfo: undefined as unknown, listenerCalls: 0 };
  const protocol = { transport: udp, datagramReceived: (data: Buffer, _addr?: unknown): void => void passedOn.push(data) };
  socket.on('message', (data: Buffer, info: { address: string; port: number }) => {
    udp.listenerCalls++;
    udp.rinfo = info;
    protocol.datagramReceived(data, [info.address, info.port]);
  });
  const dtls = {
    srtp: { decrypt: (b: Buffer) => b },
    bytesReceived: 0,
    packetsReceived: 0,
    iceTransport: { connection: { protocols: [protocol], onData: { execute: (d: Buffer) => void passedOn.push(d) } } },
  };
  return { dtls: dtls as unknown as RTCDtlsTransport, protocol, socket, udp, passedOn };
}

/** A FastReceive with SSRC 0x1234 of `receiver` registered and hooked to `dtls`; the sequence numbers it delivers. */
function hooked(dtls: RTCDtlsTransport, receiver: object, payloadType: number, video: boolean, fail = false) {
  const fast = new FastReceive();
  const delivered: number[] = [];
  fast.add({
    ssrc: 0x1234,
    payloadType,
    video,
    audioLevelId: undefined,
    receiver: receiver as RTCRtpReceiver,
    stopped: () => false,
    deliver: (p) => {
      if (fail) throw new Error('handler failed');
      delivered.push(p.readUInt16BE(2));
    },
  });
  fast.hook(dtls);
  return { fast, delivered };
}

describe('FastReceive', () => {
  it("feeds werift's NACK generator as werift's nackEnabled says, read again only when werift's codecs change", () => {
    const { r, nacked, stats } = receiver();
    r.prepareReceive({ codecs: [{ payloadType: 96, rtcpFeedback: [{ type: 'nack' }] }, { payloadType: 111, rtcpFeedback: [] }] });
    const { dtls, protocol, passedOn } = transport();
    const { fast, delivered } = hooked(dtls, r, 96, true);
    for (const seq of [1, 2, 3]) protocol.datagramReceived(rtp(seq), undefined);
    expect(delivered).toEqual([1, 2, 3]);
    expect([stats.packets_received, stats.base_seq, stats.max_seq]).toEqual([3, 1, 3]);
    expect(nacked).toEqual([1, 2, 3]);
    expect(r.nackReads).toBe(1);

    // a renegotiation without NACK
    r.resyncCodecs({ codecs: [{ payloadType: 96, rtcpFeedback: [{ type: 'goog-remb' }] }] });
    for (const seq of [4, 5]) protocol.datagramReceived(rtp(seq), undefined);
    expect(delivered).toEqual([1, 2, 3, 4, 5]);
    expect(nacked).toEqual([1, 2, 3]);
    expect(r.nackReads).toBe(2);

    // a codec added without a resync: the flag follows the lowest payload type, as werift's sorted codecArray[0] does
    r.prepareReceive({ codecs: [{ payloadType: 35, rtcpFeedback: [{ type: 'nack' }] }] });
    protocol.datagramReceived(rtp(6), undefined);
    expect(nacked).toEqual([1, 2, 3, 6]);
    expect(r.nackReads).toBe(3);

    // what is not a registered stream's RTP goes on to werift: another SSRC, another payload type, RTCP, STUN
    const others = [rtp(7, 0x9999), rtp(8, 0x1234, 97), Buffer.from([0x80, 200, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]), Buffer.alloc(20)];
    for (const d of others) protocol.datagramReceived(d, undefined);
    expect(passedOn).toEqual(others);
    expect(fast.taken).toBe(6);
  });

  it("takes a stream's packets at the socket before werift's listener, which still gets everything else and sees each sender's address", () => {
    const { r, stats } = receiver();
    r.prepareReceive({ codecs: [{ payloadType: 111, rtcpFeedback: [] }] });
    const { dtls, socket, udp, passedOn } = transport();
    const { fast, delivered } = hooked(dtls, r, 111, false);
    expect(socket.listenerCount('message')).toBe(1);
    const from = { address: 'fd00::2', port: 40000, family: 'IPv6', size: 32 };
    socket.emit('message', rtp(1, 0x1234, 111), from);
    socket.emit('message', rtp(2, 0x1234, 111), from);
    expect(delivered).toEqual([1, 2]);
    expect([stats.packets_received, stats.base_seq, stats.max_seq]).toEqual([2, 1, 2]);
    expect(fast.takenAtSocket).toBe(2);
    expect(udp.rinfo).toBe(from);
    expect(udp.listenerCalls).toBe(0);
    expect(passedOn).toEqual([]);

    const stun = Buffer.alloc(20);
    const other = { ...from, port: 40001 };
    socket.emit('message', stun, other);
    expect(passedOn).toEqual([stun]);
    expect(udp.listenerCalls).toBe(1);
    expect(udp.rinfo).toBe(other);

    // hooking again (an ICE restart hooks what it finds) adds no second listener
    fast.hook(dtls);
    expect(socket.listenerCount('message')).toBe(1);
  });

  it("loses a datagram whose handler throws, as under werift's listener, and keeps the socket's listener", () => {
    const { r } = receiver();
    r.prepareReceive({ codecs: [{ payloadType: 111, rtcpFeedback: [] }] });
    const { dtls, socket, udp, passedOn } = transport();
    const { fast } = hooked(dtls, r, 111, false, true);
    const from = { address: '10.0.0.2', port: 40000, family: 'IPv4', size: 32 };
    expect(() => socket.emit('message', rtp(1, 0x1234, 111), from)).not.toThrow();
    expect(fast.failed).toBe(1);
    expect([udp.listenerCalls, passedOn.length]).toEqual([0, 0]);
    const stun = Buffer.alloc(20);
    socket.emit('message', stun, from);
    expect(passedOn).toEqual([stun]);
  });
});

describe('addToStatistics', () => {
  it("leaves werift's receive statistics exactly as werift's own add does, across reordering, loss, jitter and wrap-around", () => {
    // werift's StreamStatistics is not exported: a real receiver creates one for its first packet
    const receiver = new RTCRtpReceiver({} as never, 'video', 1);
    receiver.prepareReceive({ codecs: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 96 })], encodings: [] } as never);
    const first = new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber: 65530, timestamp: 4_294_960_000, ssrc: 7 }), Buffer.alloc(100));
    (receiver as unknown as { handleRTP(p: RtpPacket, extensions: object, track: undefined): void }).handleRTP(first, {}, undefined);
    const internals = receiver as unknown as { remoteStreams: Record<number, StreamStatistics & { add(p: RtpPacket, now: number): void }> };
    const werift = internals.remoteStreams[7]!;
    const ours = Object.assign(Object.create(Object.getPrototypeOf(werift) as object) as typeof werift, structuredClone({ ...werift }));

    let now = 1_796_000_000.123457; // fractions of a clock unit: truncated, not rounded
    // sequence numbers: in order, a gap (loss), a reordered one, a duplicate, across 65535 -> 0
    const steps: [number, number, number][] = [
      [65531, 4_294_963_000, 0.033337],
      [65533, 4_294_966_000, 0.040119],
      [65532, 4_294_963_000, 0.001],
      [65533, 4_294_966_000, 0.002],
      [65535, 1_000, 0.050007],
      [0, 4_000, 0.029806],
      [3, 10_000, 0.09],
      [1, 4_000, 0.004],
      [40000, 90_000_000, 1.5],
    ];
    for (const [sequenceNumber, timestamp, dt] of steps) {
      now += dt;
      const payload = Buffer.alloc(50 + sequenceNumber % 900);
      werift.add(new RtpPacket(new RtpHeader({ payloadType: 96, sequenceNumber, timestamp, ssrc: 7 }), payload), now);
      addToStatistics(ours, { sequenceNumber, timestamp, ssrc: 7, serializeSize: 12 }, payload.length, now);
      const { lastPacketReceivedTimestamp: a, ...weriftFields } = werift;
      const { lastPacketReceivedTimestamp: b, ...ourFields } = ours;
      expect(ourFields).toEqual(weriftFields);
      expect(Math.abs(a! - b!)).toBeLessThan(1000);
    }
    expect(werift.jitter_q4).toBeGreaterThan(0);
    expect(werift.cycles).toBe(1 << 16);
    receiver.stop();
  });
});
