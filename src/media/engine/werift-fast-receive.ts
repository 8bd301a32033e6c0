/**
 * Incoming RTP of established streams taken before werift's receive chain.
 *
 * werift hands every decrypted datagram through its DTLS transport, an RTP parse, its router
 * (header extensions parsed for rid and mid), its receiver (statistics, NACK bookkeeping, a
 * receiver-report loop started per packet) and two clones to the track, where the adapter
 * serialised it again with canonical extension ids; each of those `Event`s also starts an async
 * function per packet. In a small room that chain is most of the CPU spent per incoming packet.
 *
 * Once werift has delivered a stream's first packet (its SSRC is then known: rid-based simulcast
 * layers included), the stream is registered here and its packets are taken where datagrams
 * enter werift's ICE (each STUN protocol's `datagramReceived`, and the ICE connection's data event
 * for what arrives another way) instead: decrypted by the same SRTP session werift uses (natively when
 * the addon is loaded), turned into the canonical form in place (werift-extensions.ts:
 * `canonicalInPlace`) and handed to the track's handlers. What werift's receiver does that the
 * publisher depends on is kept by calling it with the few header fields it reads: the stream
 * statistics its receiver reports carry, and the NACK generator (video). Everything else keeps
 * werift's path: STUN, DTLS, SRTCP, RTX and RED (their SSRC or payload type is not registered),
 * packets of a stream not seen yet, and any packet while the track is stopped. ADR 0010.
 */
import { SrtpAuthenticationError, type RTCDtlsTransport, type RTCRtpReceiver } from 'werift';
import { rtpHeaderLength } from '../rtp/header.js';
import { canonicalInPlace } from './werift-extensions.js';

/** What one stream needs on the fast path. */
export interface FastStream {
  readonly ssrc: number;
  readonly payloadType: number;
  readonly video: boolean;
  /** Negotiated id of the audio-level extension on this connection, if any. */
  readonly audioLevelId: number | undefined;
  readonly receiver: RTCRtpReceiver;
  readonly stopped: () => boolean;
  readonly deliver: (packet: Buffer) => void;
}

/** werift's receiver internals the fast path keeps fed (fields of RTCRtpReceiver in werift 0.25). */
interface ReceiverInternals {
  remoteStreams: Record<number, { add(packet: PacketFields): void } | undefined>;
  nack: { addPacket(packet: PacketFields): void };
  /** werift's getter: sorts the codecs into a new array and searches the first one's feedback, per read. */
  readonly nackEnabled: unknown;
  /** By payload type; a negotiation deletes and re-adds the entries (new objects). */
  readonly codecs: Readonly<Record<number, object>>;
  readonly stopped: boolean;
}

/** A registered stream, with werift's NACK flag and the codec object it was read for. */
interface Registered extends FastStream {
  nackFor: object | undefined;
  nack: boolean;
}

/** The fields of werift's RtpPacket that its statistics and NACK generator read. */
interface PacketFields {
  readonly header: { sequenceNumber: number; ssrc: number; timestamp: number; serializeSize: number };
  readonly payload: { length: number };
}

/** Reused for every packet: neither reader keeps it. */
const FIELDS: PacketFields = { header: { sequenceNumber: 0, ssrc: 0, timestamp: 0, serializeSize: 0 }, payload: { length: 0 } };

/** The parts of werift's ICE Connection, CandidatePair and StunProtocol used here (not exported by werift). */
interface ProtocolLike {
  datagramReceived?: (data: Buffer, addr: unknown) => void;
}
interface ConnectionLike {
  readonly onData?: { execute: (data: Buffer) => void };
  readonly protocols?: readonly ProtocolLike[];
  readonly nominated?: { packetsReceived: number; bytesReceived: number; readonly protocol?: ProtocolLike };
}

export class FastReceive {
  private readonly streams = new Map<number, Registered>();
  private readonly hooked = new WeakSet<object>();
  /** Incoming RTP packets taken here instead of werift's receive chain. */
  taken = 0;
  /** Of those, the ones taken where they enter werift's ICE (before its STUN parse). */
  takenAtSocket = 0;

  add(stream: FastStream): void {
    this.streams.set(stream.ssrc, { ...stream, nackFor: undefined, nack: false });
  }

  remove(ssrc: number, deliver: FastStream['deliver']): void {
    if (this.streams.get(ssrc)?.deliver === deliver) this.streams.delete(ssrc);
  }

  /**
   * Puts the fast path in front of the transport's ICE connection (again after an ICE restart),
   * and in front of each of its STUN protocols (one per local socket), where a datagram enters
   * werift before its STUN parse and two events. A packet that still comes the longer way (a
   * protocol gathered later, a relayed pair) hooks the protocols there are by then.
   */
  hook(dtls: RTCDtlsTransport): void {
    const connection = (dtls.iceTransport as unknown as { connection?: ConnectionLike }).connection;
    if (connection === undefined) return;
    this.hookProtocols(dtls, connection);
    const event = connection.onData;
    if (event === undefined || this.hooked.has(event)) return;
    this.hooked.add(event);
    const werift = event.execute;
    event.execute = (data: Buffer): void => {
      if (!this.take(dtls, data)) werift(data);
      else this.hookProtocols(dtls, connection);
    };
  }

  private hookProtocols(dtls: RTCDtlsTransport, connection: ConnectionLike): void {
    for (const protocol of connection.protocols ?? []) {
      if (typeof protocol.datagramReceived !== 'function' || this.hooked.has(protocol)) continue;
      this.hooked.add(protocol);
      const werift = protocol.datagramReceived.bind(protocol);
      protocol.datagramReceived = (data: Buffer, addr: unknown): void => {
        if (!this.take(dtls, data)) {
          werift(data, addr);
          return;
        }
        this.takenAtSocket++;
        // the pair statistics werift's connection keeps for what it passes on
        const pair = connection.nominated;
        if (pair?.protocol === protocol) {
          pair.packetsReceived++;
          pair.bytesReceived += data.length;
        }
      };
    }
  }

  /** True when the datagram was an RTP packet of a registered stream (delivered or dropped). */
  private take(dtls: RTCDtlsTransport, data: Buffer): boolean {
    if (data.length < 12 || data[0]! >> 6 !== 2) return false;
    const b1 = data[1]!;
    if (b1 >= 192 && b1 <= 208) return false; // RTCP (werift's isRtcp)
    const stream = this.streams.get(data.readUInt32BE(8));
    if (stream === undefined || (b1 & 0x7f) !== stream.payloadType || stream.stopped()) return false;
    const srtp = dtls.srtp as { decrypt(packet: Buffer): Buffer } | undefined;
    const receiver = stream.receiver as unknown as ReceiverInternals;
    if (srtp === undefined || receiver.stopped) return false;
    dtls.bytesReceived += data.length;
    dtls.packetsReceived++;
    let plain: Buffer;
    try {
      plain = srtp.decrypt(data);
    } catch (error) {
      if (error instanceof SrtpAuthenticationError) return true; // werift drops it the same way
      throw error;
    }
    // what werift's statistics read, taken before the header is rewritten in place
    const headerSize = rtpHeaderLength(plain);
    if (headerSize < 0) return true; // malformed: werift drops it too
    const padding = (plain[0]! & 0x20) !== 0 ? plain[plain.length - 1]! : 0;
    const fields = FIELDS.header;
    fields.sequenceNumber = plain.readUInt16BE(2);
    fields.ssrc = stream.ssrc;
    fields.timestamp = plain.readUInt32BE(4);
    fields.serializeSize = headerSize;
    FIELDS.payload.length = Math.max(0, plain.length - headerSize - padding);
    const packet = canonicalInPlace(plain, stream.audioLevelId);
    if (packet === undefined) return true;
    receiver.remoteStreams[stream.ssrc]?.add(FIELDS);
    if (stream.video && nackEnabled(stream, receiver)) receiver.nack.addPacket(FIELDS);
    this.taken++;
    stream.deliver(packet);
    return true;
  }
}

/**
 * werift's `receiver.nackEnabled` (about the codec of the lowest payload type), read again only when
 * that codec object changes: integer keys enumerate in ascending order, so the first key is the one
 * werift's sorted `codecArray[0]` would be, found without building the array.
 */
function nackEnabled(stream: Registered, receiver: ReceiverInternals): boolean {
  let first: object | undefined;
  for (const pt in receiver.codecs) {
    first = receiver.codecs[pt as unknown as number];
    break;
  }
  if (first !== stream.nackFor) {
    stream.nackFor = first;
    stream.nack = Boolean(receiver.nackEnabled);
  }
  return stream.nack;
}
