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
 * enter werift's ICE (each UDP socket's message listener, each STUN protocol's `datagramReceived`,
 * and the ICE connection's data event for what arrives another way) instead: decrypted by the same
 * SRTP session werift uses (natively when the addon is loaded), turned into the canonical form in
 * place (werift-extensions.ts: `canonicalInPlace`) and handed to the track's handlers. What werift's
 * receiver does that the publisher depends on is kept by calling it with the few header fields it
 * reads: the stream statistics its receiver reports carry, and the NACK generator (video).
 * Everything else keeps werift's path: STUN, DTLS, SRTCP, RTX and RED (their SSRC or payload type is not registered),
 * packets of a stream not seen yet, and any packet while the track is stopped. ADR 0010.
 */
import { SrtpAuthenticationError, type RTCDtlsTransport, type RTCRtpReceiver, type SrtpSession } from 'werift';
import { rtpHeaderLength } from '../rtp/header.js';
import { canonicalInPlace } from './werift-extensions.js';
import type { PumpItem } from '../../native/index.js';
import type { MediaPump } from './media-pump.js';
import { nativeSrtpKeys } from './werift-srtp.js';

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
  remoteStreams: Record<number, StreamStatistics | undefined>;
  nack: { addPacket(packet: PacketFields): void };
  /** werift's getter: sorts the codecs into a new array and searches the first one's feedback, per read. */
  readonly nackEnabled: unknown;
  /**
   * The only writer of werift's `codecs` (by payload type): a negotiation's `resyncCodecs` deletes
   * the entries and calls it to add them again.
   */
  prepareReceive(params: unknown): void;
  readonly stopped: boolean;
}

/** Counts the calls of a receiver's `prepareReceive`: werift's codecs changed when it moved. */
interface CodecVersion {
  value: number;
}

/** A registered stream, with werift's NACK flag and the codec version it was read at. */
interface Registered extends FastStream {
  readonly codecVersion: CodecVersion;
  nackVersion: number;
  nack: boolean;
  /** Media pump (ADR 0011): registered as its ingress; held (it forwards nothing until released); batched. */
  pumped: boolean;
  held: boolean;
  batch: boolean;
}

/** werift's SRTP context for what arrives (its per-SSRC rollover state). */
type RemoteContext = SrtpSession['remoteContext'];
type SrtpSsrcState = ReturnType<RemoteContext['getSrtpSsrcState']>;

/** A socket of werift's with the listener the fast path put in front of werift's. */
interface HookedSocket {
  readonly socket: unknown;
  readonly listener: (data: Buffer, info: unknown) => void;
  readonly dtls: RTCDtlsTransport;
  readonly pairStats: (data: Buffer) => void;
}

/** The fields of werift's RtpPacket that its statistics and NACK generator read. */
export interface PacketFields {
  readonly header: { sequenceNumber: number; ssrc: number; timestamp: number; serializeSize: number };
  readonly payload: { length: number };
}

/** Reused for every packet: neither reader keeps it. */
const FIELDS: PacketFields = { header: { sequenceNumber: 0, ssrc: 0, timestamp: 0, serializeSize: 0 }, payload: { length: 0 } };

/** The parts of werift's ICE Connection, CandidatePair and StunProtocol used here (not exported by werift). */
interface ProtocolLike {
  datagramReceived?: (data: Buffer, addr: unknown) => void;
  /** werift's UdpTransport: its socket's one 'message' listener calls `datagramReceived`. */
  readonly transport?: { readonly socket?: unknown; rinfo?: unknown };
}

/** What the fast path reads of a Node dgram socket (werift's UdpTransport holds one). */
interface DatagramSocket {
  listeners(event: 'message'): ((...args: unknown[]) => void)[];
  removeListener(event: 'message', listener: (...args: unknown[]) => void): unknown;
  on(event: 'message', listener: (data: Buffer, info: unknown) => void): unknown;
}
interface ConnectionLike {
  readonly onData?: { execute: (data: Buffer) => void };
  readonly protocols?: readonly ProtocolLike[];
  readonly nominated?: { packetsReceived: number; bytesReceived: number; readonly protocol?: ProtocolLike };
}

export class FastReceive {
  private readonly streams = new Map<number, Registered>();
  private readonly sockets: HookedSocket[] = [];
  private socketsHanded = false;
  private readonly hooked = new WeakSet<object>();
  private readonly codecVersions = new WeakMap<object, CodecVersion>();
  /** Incoming RTP packets taken here instead of werift's receive chain. */
  taken = 0;
  /** Of those, the ones taken where they enter werift's ICE (before its STUN parse). */
  takenAtSocket = 0;
  /** Datagrams dropped because handling them threw at the socket, where werift's listener caught it too. */
  failed = 0;
  /** Incoming RTP the media pump decrypted (and forwarded, when the stream was steady). */
  takenFromPump = 0;

  constructor(private readonly pump?: MediaPump) {}

  add(stream: FastStream): void {
    const codecVersion = this.codecVersionOf(stream.receiver as unknown as ReceiverInternals);
    this.removeIngress(stream.ssrc);
    this.streams.set(stream.ssrc, { ...stream, codecVersion, nackVersion: -1, nack: false, pumped: false, held: false, batch: false });
  }

  /** The receiver's codec version, counted by wrapping its `prepareReceive` on first use. */
  private codecVersionOf(receiver: ReceiverInternals): CodecVersion {
    const known = this.codecVersions.get(receiver);
    if (known !== undefined) return known;
    const counter: CodecVersion = { value: 0 };
    const werift = receiver.prepareReceive.bind(receiver);
    receiver.prepareReceive = (params: unknown): void => {
      try {
        werift(params);
      } finally {
        counter.value++;
      }
    };
    this.codecVersions.set(receiver, counter);
    return counter;
  }

  remove(ssrc: number, deliver: FastStream['deliver']): void {
    if (this.streams.get(ssrc)?.deliver !== deliver) return;
    this.removeIngress(ssrc);
    this.streams.delete(ssrc);
  }

  /** The connection closes: the pump forgets its streams (its sockets go when werift closes them). */
  close(): void {
    for (const ssrc of this.streams.keys()) this.removeIngress(ssrc);
  }

  private removeIngress(ssrc: number): void {
    const stream = this.streams.get(ssrc);
    if (stream?.pumped !== true || this.pump === undefined) return;
    stream.pumped = false;
    this.pump.addon.pumpRemoveIngress(this.pump.handle, ssrc);
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
      // the pair statistics werift's connection keeps for what it passes on
      const pairStats = (data: Buffer): void => {
        const pair = connection.nominated;
        if (pair?.protocol === protocol) {
          pair.packetsReceived++;
          pair.bytesReceived += data.length;
        }
      };
      const taken = (data: Buffer): boolean => {
        if (!this.take(dtls, data)) return false;
        this.takenAtSocket++;
        pairStats(data);
        return true;
      };
      const werift = protocol.datagramReceived.bind(protocol);
      protocol.datagramReceived = (data: Buffer, addr: unknown): void => {
        if (!taken(data)) werift(data, addr);
      };
      this.hookSocket(protocol, taken, dtls, pairStats);
    }
  }

  /**
   * In front of werift's UdpTransport listener on the protocol's socket, which builds an address
   * array per datagram (and, on IPv6, splits the address string) before `datagramReceived`: a
   * packet taken here skips it, keeping the one field werift's listener sets (`rinfo`, the address
   * werift's `send` falls back on). Left alone unless the socket has exactly werift's one listener.
   */
  private hookSocket(protocol: ProtocolLike, taken: (data: Buffer) => boolean, dtls: RTCDtlsTransport, pairStats: (data: Buffer) => void): void {
    const transport = protocol.transport;
    const socket = transport?.socket as DatagramSocket | undefined;
    if (transport === undefined || typeof socket?.listeners !== 'function') return;
    const listeners = socket.listeners('message');
    if (listeners.length !== 1) return;
    const werift = listeners[0]!;
    socket.removeListener('message', werift);
    const listener = (data: Buffer, info: unknown): void => {
      let wasTaken: boolean;
      try {
        wasTaken = taken(data);
      } catch {
        // what werift's listener does with a throwing handler: the datagram is lost, the socket lives on
        this.failed++;
        return;
      }
      if (wasTaken) transport.rinfo = info;
      else werift(data, info);
    };
    socket.on('message', listener);
    const hooked: HookedSocket = { socket, listener, dtls, pairStats };
    this.sockets.push(hooked);
    if (this.socketsHanded) this.handOver(hooked);
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
    const packet = received(stream, receiver, plain, Date.now() / 1000);
    if (packet === undefined) return true; // malformed: werift drops it too
    this.taken++;
    if (this.pump !== undefined) this.deliverTracked(dtls, stream, packet);
    else stream.deliver(packet);
    return true;
  }

  // ---- the media pump (ADR 0011)

  /**
   * Delivers a packet of a stream the pump may forward, and settles the stream with the pump
   * afterwards: registered on its first packet here, released from a hold, batched only while every
   * subscriber that sent it was served by the pump.
   */
  private deliverTracked(dtls: RTCDtlsTransport, stream: Registered, packet: Buffer): void {
    const pump = this.pump!;
    const counts = pump.counts;
    const byJavaScript = counts.sentByJavaScript;
    const byPump = counts.sentByPump;
    stream.deliver(packet);
    const batch = counts.sentByJavaScript === byJavaScript && counts.sentByPump > byPump;
    // the steady state, every packet: nothing to tell the pump
    if (stream.pumped && !stream.held && batch === stream.batch) return;
    const context = remoteContextOf(dtls);
    const state = context?.srtpSSRCStates[stream.ssrc];
    if (context === undefined || state === undefined) return;
    if (!stream.pumped) {
      this.register(context, stream, state, batch);
      return;
    }
    if (stream.held) {
      stream.held = false;
      stream.batch = batch;
      pump.addon.pumpRelease(pump.handle, stream.ssrc, state.rolloverCounter, state.lastSequenceNumber, batch);
    } else {
      stream.batch = batch;
      pump.addon.pumpSetBatch(pump.handle, stream.ssrc, batch);
    }
  }

  /** Makes a stream the pump's ingress (decrypting with a cipher context of its own) and hands it the connection's sockets. */
  private register(context: RemoteContext, stream: Registered, state: SrtpSsrcState, batch: boolean): void {
    const pump = this.pump!;
    const keys = nativeSrtpKeys(context);
    if (keys === undefined) return;
    const receiver = pump.addon.srtpReceiver(...keys.args);
    pump.addon.pumpSetIngress(pump.handle, stream.ssrc, stream.payloadType, receiver, state.rolloverCounter, state.lastSequenceNumber, stream.audioLevelId ?? 0, batch);
    stream.pumped = true;
    stream.batch = batch;
    if (!this.socketsHanded) {
      this.socketsHanded = true;
      for (const hooked of this.sockets) this.handOver(hooked);
    }
  }

  private handOver(hooked: HookedSocket): void {
    this.pump!.addSocket(hooked.socket as import('node:dgram').Socket, (item) => {
      if (item.kind === 0) {
        hooked.listener(item.data, { address: item.address, port: item.port, family: item.family, size: item.data.length });
        return;
      }
      this.takeFromPump(hooked, item);
    });
  }

  /** A packet the pump decrypted: forwarded already (kind 2) or not (kind 1: the stream is held). */
  private takeFromPump(hooked: HookedSocket, item: PumpItem): void {
    const plain = item.data;
    const ssrc = plain.readUInt32BE(8);
    const stream = this.streams.get(ssrc);
    const dtls = hooked.dtls;
    const receiver = stream?.receiver as unknown as ReceiverInternals | undefined;
    if (stream === undefined || receiver === undefined || stream.stopped() || receiver.stopped) return;
    if (item.kind === 1) stream.held = true;
    dtls.bytesReceived += plain.length;
    dtls.packetsReceived++;
    hooked.pairStats(plain);
    // werift's rollover state follows, as if werift had decrypted it (native-srtp-receive.ts)
    const context = remoteContextOf(dtls);
    if (context !== undefined) context.updateRolloverCount(plain.readUInt16BE(2), context.getSrtpSsrcState(ssrc));
    const packet = received(stream, receiver, plain, item.arrivalMs / 1000);
    if (packet === undefined) return;
    this.takenFromPump++;
    this.deliverTracked(dtls, stream, packet);
  }
}

/**
 * werift's per-SSRC receive statistics (`StreamStatistics`, not exported): what its receiver reports
 * to the publisher (loss, highest sequence number, jitter) and getStats read.
 */
export interface StreamStatistics {
  base_seq: number | undefined;
  max_seq: number | undefined;
  cycles: number;
  packets_received: number;
  bytesReceived: number;
  headerBytesReceived: number;
  lastPacketReceivedTimestamp: number | undefined;
  readonly clockRate: number;
  jitter_q4: number;
  last_arrival: number | undefined;
  last_timestamp: number | undefined;
}

/**
 * werift's `StreamStatistics.add`, written out on werift's own object: the same fields and the same
 * arithmetic, except the arrival time in clock units, which werift truncates with
 * `Number.parseInt(number, 10)` (a conversion to a string and back per packet) and this with
 * `Math.trunc` (the same integer below 1e21; `now * clockRate` is ~1e14). The unit test feeds
 * werift's and this one the same packets and compares every field.
 */
export function addToStatistics(
  s: StreamStatistics,
  header: PacketFields['header'],
  payloadLength: number,
  nowSeconds: number,
): void {
  const sequenceNumber = header.sequenceNumber;
  const inOrder = s.max_seq === undefined || uint16Gt(sequenceNumber, s.max_seq);
  s.packets_received++;
  s.bytesReceived += payloadLength;
  s.headerBytesReceived += header.serializeSize;
  s.lastPacketReceivedTimestamp = performance.timeOrigin + performance.now();
  if (s.base_seq === undefined) s.base_seq = sequenceNumber;
  if (!inOrder) return;
  const arrival = Math.trunc(nowSeconds * s.clockRate);
  if (s.max_seq !== undefined && sequenceNumber < s.max_seq) s.cycles += 1 << 16;
  s.max_seq = sequenceNumber;
  if (header.timestamp !== s.last_timestamp && s.packets_received > 1) {
    const diff = Math.abs(arrival - (s.last_arrival ?? 0) - (header.timestamp - (s.last_timestamp ?? 0)));
    s.jitter_q4 += diff - ((s.jitter_q4 + 8) >> 4);
  }
  s.last_arrival = arrival;
  s.last_timestamp = header.timestamp;
}

/** werift's uint16Gt: `a` after `b` in 16-bit serial number order. */
function uint16Gt(a: number, b: number): boolean {
  return (a < b && b - a > 32768) || (a > b && a - b < 32768);
}

/** werift's `receiver.nackEnabled`, read again only after werift's codecs changed. */
function nackEnabled(stream: Registered, receiver: ReceiverInternals): boolean {
  const version = stream.codecVersion.value;
  if (stream.nackVersion !== version) {
    stream.nackVersion = version;
    stream.nack = Boolean(receiver.nackEnabled);
  }
  return stream.nack;
}

function remoteContextOf(dtls: RTCDtlsTransport): RemoteContext | undefined {
  return (dtls.srtp as SrtpSession | undefined)?.remoteContext;
}

/**
 * What werift's receiver does with a decrypted packet of a registered stream, however it was
 * decrypted: its statistics (read before the header is rewritten in place) and NACK generator fed,
 * the canonical extension form written. The packet to deliver, or undefined when it is malformed.
 */
function received(stream: Registered, receiver: ReceiverInternals, plain: Buffer, arrivalSeconds: number): Buffer | undefined {
  const headerSize = rtpHeaderLength(plain);
  if (headerSize < 0) return undefined;
  const padding = (plain[0]! & 0x20) !== 0 ? plain[plain.length - 1]! : 0;
  const fields = FIELDS.header;
  fields.sequenceNumber = plain.readUInt16BE(2);
  fields.ssrc = stream.ssrc;
  fields.timestamp = plain.readUInt32BE(4);
  fields.serializeSize = headerSize;
  FIELDS.payload.length = Math.max(0, plain.length - headerSize - padding);
  const packet = canonicalInPlace(plain, stream.audioLevelId);
  if (packet === undefined) return undefined;
  const statistics = receiver.remoteStreams[stream.ssrc];
  if (statistics !== undefined) addToStatistics(statistics, fields, FIELDS.payload.length, arrivalSeconds);
  if (stream.video && nackEnabled(stream, receiver)) receiver.nack.addPacket(FIELDS);
  return packet;
}
