/**
 * MediaTransport on werift. The adapter stays thin: it turns werift's parsed packets into Buffers
 * (a fresh one per handler), maps extension ids, and sends outgoing RTP below werift's
 * RTCRtpSender.sendRtp, which would keep its own NACK cache and answer NACKs itself, whereas the SFU
 * answers them from its per-down-track RetransmissionBuffer (and werift's sender mutates what it
 * is given, see issue 4).
 *
 * Incoming RTP: a stream's first packets come through werift's whole receive chain; after that its
 * SSRC is registered with werift-fast-receive.ts, which takes its datagrams as they enter werift's
 * ICE and hands the same bytes to the same handlers.
 *
 * Outgoing RTP (`WeriftOutgoingTrack.sendRtp`): outgoing-header.ts writes the subscriber's header
 * into one new Buffer, werift-srtp.ts seals the payload after it with the DTLS transport's SRTP
 * keys and werift's rollover counter for the SSRC, and the datagram leaves through werift's ICE
 * connection. What that path does not reproduce byte for byte (RTP padding, odd extension blocks)
 * takes werift's parse/serialise/encrypt path (`sendGeneral`).
 */
import { randomUUID } from 'node:crypto';
import {
  RTCPeerConnection,
  RtcpPacketConverter,
  RtpPacket,
  type MediaStreamTrack,
  type RTCDataChannel,
  type RTCDtlsTransport,
  type RTCRtpReceiver,
  type RTCRtpTransceiver,
} from 'werift';
import { TypedEvents } from './events.js';
import type {
  CodecInfo,
  DataMessage,
  IceCandidate,
  IncomingTrack,
  MediaKind,
  MediaTransport,
  MediaTransportEvents,
  OutgoingTrack,
  SessionDescription,
  TransportState,
} from './transport.js';
import { parleyCodecs, parleyHeaderExtensions, type WeriftCodecs } from './werift-config.js';
import { fromCanonical, toCanonical, uriToId } from './werift-extensions.js';
import { OutgoingHeaderWriter } from './outgoing-header.js';
import { rewrittenCopy, writeRewrite, type PacketRewrite } from '../rtp/rewrite.js';
import type { NativeAddon } from '../../native/index.js';
import { openSrtpNatively } from './native-srtp-receive.js';
import { FastReceive, type FastStream } from './werift-fast-receive.js';
import type { MediaPump } from './media-pump.js';
import { PumpRoute } from './pump-route.js';
import { EXT_URI } from '../rtp/extensions.js';
import { weriftSrtpSender, type WeriftSrtpSender } from './werift-srtp.js';

/** Where the native path builds each outgoing datagram: sent before the next one is built. */
const SCRATCH = Buffer.allocUnsafeSlow(16 * 1024);

export interface WeriftTransportOptions {
  readonly id?: string;
  readonly iceServers?: ReadonlyArray<{ readonly urls: string; readonly username?: string; readonly credential?: string }>;
  /** PARLEY_RTC_PORT_MIN/MAX. */
  readonly portRange?: readonly [number, number];
  /** PARLEY_PUBLIC_IP for 1:1 NAT. */
  readonly additionalHostAddresses?: readonly string[];
  /** Offer/accept RTX (default true). */
  readonly rtx?: boolean;
  /** The native fast path (src/native): SRTP sealed and sent without werift's send chain. */
  readonly native?: NativeAddon | undefined;
  /** The thread's native media pump (media-pump.ts), used with `native`. */
  readonly pump?: MediaPump | undefined;
}

export class WeriftTransport implements MediaTransport {
  readonly id: string;
  readonly pc: RTCPeerConnection;
  private readonly events = new TypedEvents<MediaTransportEvents>();
  private readonly codecs: WeriftCodecs;
  private readonly hookedDtls = new WeakSet<RTCDtlsTransport>();
  private readonly watched = new WeakSet<RTCRtpTransceiver>();
  private readonly channels = new Map<string, RTCDataChannel>();
  private lastState: TransportState | undefined;
  /** Outgoing RTP that could not be sent (not connected yet, unparsable). */
  sendDrops = 0;
  /** Outgoing RTP sealed by Parley's SRTP send path (werift-srtp.ts) and sent through werift's ICE. */
  sentDirect = 0;
  /** Outgoing RTP sealed and sent by the native addon (werift-srtp.ts, native-route.ts). */
  sentNative = 0;
  /** Incoming RTP opened by the native addon (native-srtp-receive.ts). */
  receivedNative = 0;
  /** Incoming RTP of known streams, taken before werift's receive chain (werift-fast-receive.ts). */
  readonly fastReceive: FastReceive;
  readonly native: NativeAddon | undefined;
  readonly pump: MediaPump | undefined;
  /** Outgoing RTP the media pump sent for this connection's subscriber m-lines. */
  sentPumped = 0;
  private readonly outgoing = new Set<WeriftOutgoingTrack>();
  /** Outgoing RTP that took werift's parse/serialise/encrypt path (padding, odd extensions). */
  sentViaWerift = 0;

  constructor(opts: WeriftTransportOptions = {}) {
    this.id = opts.id ?? randomUUID();
    this.native = opts.native;
    this.pump = opts.native !== undefined ? opts.pump : undefined;
    this.fastReceive = new FastReceive(this.pump);
    this.codecs = parleyCodecs({ rtx: opts.rtx ?? true });
    this.pc = new RTCPeerConnection({
      codecs: { audio: [...this.codecs.audio], video: [...this.codecs.video] },
      headerExtensions: parleyHeaderExtensions(),
      iceServers: (opts.iceServers ?? []).map((s) => ({ ...s })),
      ...(opts.portRange !== undefined ? { icePortRange: [opts.portRange[0], opts.portRange[1]] as [number, number] } : {}),
      ...(opts.additionalHostAddresses !== undefined ? { iceAdditionalHostAddresses: [...opts.additionalHostAddresses] } : {}),
    });
    this.pc.connectionStateChange.subscribe((s) => {
      const mapped: TransportState | undefined =
        s === 'connected' ? 'connected' : s === 'failed' ? 'failed' : s === 'closed' ? 'closed' : undefined;
      if (mapped === undefined || mapped === this.lastState) return;
      this.lastState = mapped;
      if (mapped === 'connected') this.hookTransports();
      this.events.emit('state', mapped);
    });
    this.pc.onIceCandidate.subscribe((c) => {
      if (c === undefined || c.candidate === undefined) return;
      this.events.emit('candidate', {
        candidate: c.candidate,
        ...(c.sdpMid !== undefined && c.sdpMid !== null ? { sdpMid: c.sdpMid } : {}),
        ...(c.sdpMLineIndex !== undefined && c.sdpMLineIndex !== null ? { sdpMLineIndex: c.sdpMLineIndex } : {}),
      });
    });
    this.pc.onDataChannel.subscribe((channel) => this.watchChannel(channel));
    this.pc.onRemoteTransceiverAdded.subscribe((t) => this.watchTransceiver(t));
  }

  on<E extends keyof MediaTransportEvents>(event: E, handler: MediaTransportEvents[E]): () => void {
    return this.events.on(event, handler);
  }

  async setRemoteDescription(description: SessionDescription): Promise<void> {
    await this.pc.setRemoteDescription({ type: description.type, sdp: description.sdp });
    for (const t of this.pc.getTransceivers()) this.watchTransceiver(t);
  }

  async createAnswer(): Promise<SessionDescription> {
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    return { type: 'answer', sdp: this.pc.localDescription?.sdp ?? answer.sdp };
  }

  async createOffer(): Promise<SessionDescription> {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    return { type: 'offer', sdp: this.pc.localDescription?.sdp ?? offer.sdp };
  }

  async addIceCandidate(candidate: IceCandidate): Promise<void> {
    await this.pc.addIceCandidate({ ...candidate });
  }

  addIncoming(kind: MediaKind): void {
    this.watchTransceiver(this.pc.addTransceiver(kind, { direction: 'recvonly' }));
  }

  addOutgoing(kind: MediaKind, opts: { readonly mimeType?: string } = {}): OutgoingTrack {
    const transceiver = this.pc.addTransceiver(kind, { direction: 'sendonly' });
    if (opts.mimeType !== undefined) {
      const all = kind === 'audio' ? this.codecs.audio : this.codecs.video;
      const wanted = opts.mimeType.toLowerCase();
      const primary = all.filter((c) => c.mimeType.toLowerCase() === wanted);
      const primaryTypes = new Set(primary.map((c) => `apt=${c.payloadType ?? -1}`));
      const rtx = all.filter((c) => c.mimeType.toLowerCase().endsWith('/rtx') && primaryTypes.has(c.parameters ?? ''));
      if (primary.length > 0) transceiver.codecs = [...primary, ...rtx];
    }
    const track = new WeriftOutgoingTrack(this, transceiver, () => this.sendDrops++);
    this.outgoing.add(track);
    return track;
  }

  sendRtcp(packet: Buffer): void {
    const dtls = this.pc.dtlsTransports[0];
    if (dtls === undefined || dtls.state !== 'connected') return;
    let packets;
    try {
      packets = RtcpPacketConverter.deSerialize(packet);
    } catch {
      return;
    }
    void dtls.sendRtcp(packets);
  }

  createDataChannel(label: string, opts: { readonly ordered: boolean; readonly maxRetransmits?: number }): void {
    this.watchChannel(
      this.pc.createDataChannel(label, { ordered: opts.ordered, ...(opts.maxRetransmits !== undefined ? { maxRetransmits: opts.maxRetransmits } : {}) }),
    );
  }

  sendData(label: string, data: Buffer | string): boolean {
    const channel = this.channels.get(label);
    if (channel === undefined || channel.readyState !== 'open') return false;
    channel.send(data);
    return true;
  }

  async close(): Promise<void> {
    // the pump sends on this connection's sockets: not after werift closed them
    for (const track of this.outgoing) track.disarm();
    this.fastReceive.close();
    await this.pc.close();
  }

  /** Negotiated extension id -> URI for this connection. */
  extensionIds(): Readonly<Record<number, string>> {
    return this.pc.extIdUriMap;
  }

  /** Registers an incoming stream whose first packet werift has delivered (werift-fast-receive.ts). */
  receiveFast(stream: Omit<FastStream, 'audioLevelId'>): void {
    this.fastReceive.add({ ...stream, audioLevelId: uriToId(this.extensionIds()).get(EXT_URI.audioLevel) });
    for (const dtls of this.pc.dtlsTransports) this.fastReceive.hook(dtls);
  }

  private hookTransports(): void {
    for (const dtls of this.pc.dtlsTransports) {
      if (this.hookedDtls.has(dtls)) continue;
      this.hookedDtls.add(dtls);
      dtls.onRtcp.subscribe((packet) => {
        // a NACK may name packets the pump forwarded whose bookkeeping it still holds
        this.pump?.drain();
        this.events.emit('rtcp', packet.serialize());
      });
      this.fastReceive.hook(dtls);
      const native = this.native;
      if (native !== undefined) {
        // werift starts SRTP just before it reports the DTLS transport connected, which has
        // usually happened by now (this runs when the connection reports connected)
        const open = (): void => {
          if (dtls.state === 'connected' && dtls.srtp !== undefined) openSrtpNatively(dtls.srtp, native, this);
        };
        open();
        dtls.onStateChange.subscribe(open);
      }
    }
  }

  private watchTransceiver(t: RTCRtpTransceiver): void {
    if (this.watched.has(t)) return;
    this.watched.add(t);
    // simulcast layers appear through transceiver.onTrack, not pc.onTrack (issue 4)
    t.onTrack.subscribe((track) => this.events.emit('track', new WeriftIncomingTrack(this, t, track)));
  }

  private watchChannel(channel: RTCDataChannel): void {
    this.channels.set(channel.label, channel);
    channel.onMessage.subscribe((data) => {
      const message: DataMessage = { label: channel.label, data };
      this.events.emit('data', message);
    });
  }
}

function codecInfo(c: { mimeType: string; clockRate: number; payloadType?: number; channels?: number } | undefined): CodecInfo | undefined {
  if (c === undefined || c.payloadType === undefined) return undefined;
  return { mimeType: c.mimeType, clockRate: c.clockRate, payloadType: c.payloadType, ...(c.channels !== undefined ? { channels: c.channels } : {}) };
}

class WeriftIncomingTrack implements IncomingTrack {
  readonly id: string;
  readonly kind: MediaKind;
  readonly mid: string | undefined;
  readonly rid: string | undefined;
  readonly codec: CodecInfo;
  private readonly receiver: RTCRtpReceiver;
  private readonly handlers: Array<(packet: Buffer) => void> = [];
  private unsubscribeWerift: (() => void) | undefined;
  private learnedSsrc = 0;
  /** The SSRC registered with the transport's fast receive path (0: none yet). */
  private fastSsrc = 0;
  fastPackets = 0;

  constructor(
    private readonly transport: WeriftTransport,
    transceiver: RTCRtpTransceiver,
    private readonly track: MediaStreamTrack,
  ) {
    this.id = track.uuid;
    this.kind = transceiver.kind === 'audio' ? 'audio' : 'video';
    this.mid = transceiver.mid ?? undefined;
    this.rid = track.rid;
    this.receiver = transceiver.receiver;
    this.codec = codecInfo(track.codec ?? transceiver.codecs[0]) ?? { mimeType: 'unknown', clockRate: 90000, payloadType: 0 };
  }

  /** werift does not set the SSRC of a rid track: it is learnt from the packets seen. */
  get ssrc(): number {
    return this.track.ssrc ?? this.learnedSsrc;
  }

  onRtp(handler: (packet: Buffer) => void): () => void {
    this.handlers.push(handler);
    if (this.unsubscribeWerift === undefined) {
      const sub = this.track.onReceiveRtp.subscribe((rtp) => this.fromWerift(rtp));
      this.unsubscribeWerift = () => sub.unSubscribe();
    }
    return () => {
      const at = this.handlers.indexOf(handler);
      if (at >= 0) this.handlers.splice(at, 1);
      if (this.handlers.length > 0) return;
      this.unsubscribeWerift?.();
      this.unsubscribeWerift = undefined;
      this.transport.fastReceive.remove(this.fastSsrc, this.deliverFast);
      this.fastSsrc = 0;
    };
  }

  /** A packet through werift's receive chain: the stream's first ones, RTX, RED. */
  private fromWerift(rtp: RtpPacket): void {
    const ssrc = rtp.header.ssrc;
    this.learnedSsrc = ssrc;
    const copy = rtp.clone();
    copy.header.extensions = toCanonical(rtp.header.extensions, this.transport.extensionIds());
    copy.header.extension = copy.header.extensions.length > 0;
    this.deliver(copy.serialize());
    if (ssrc !== this.fastSsrc && !this.track.stopped) {
      // from now on this stream's packets skip werift's chain (werift-fast-receive.ts)
      this.transport.fastReceive.remove(this.fastSsrc, this.deliverFast);
      this.fastSsrc = ssrc;
      this.transport.receiveFast({
        ssrc,
        payloadType: rtp.header.payloadType,
        video: this.kind === 'video',
        receiver: this.receiver,
        stopped: () => this.track.stopped,
        deliver: this.deliverFast,
      });
    }
  }

  private readonly deliverFast = (packet: Buffer): void => {
    this.fastPackets++;
    this.deliver(packet);
  };

  /** Each handler gets a Buffer of its own. */
  private readonly deliver = (packet: Buffer): void => {
    const handlers = this.handlers;
    for (let i = 0; i < handlers.length; i++) handlers[i]!(i === 0 ? packet : Buffer.from(packet));
  };
}

class WeriftOutgoingTrack implements OutgoingTrack {
  readonly id = randomUUID();
  readonly kind: MediaKind;
  private extIds: Map<string, number> | undefined;
  private header: OutgoingHeaderWriter | undefined;
  private codecKnown = false;
  private srtpSession: unknown;
  private srtp: WeriftSrtpSender | undefined;
  /** This m-line's route in the media pump, when the connection has one. */
  private readonly route: PumpRoute | undefined;

  constructor(
    private readonly transport: WeriftTransport,
    private readonly transceiver: RTCRtpTransceiver,
    private readonly onDrop: () => void,
  ) {
    this.kind = transceiver.kind === 'audio' ? 'audio' : 'video';
    this.route = transport.pump !== undefined ? new PumpRoute(transport.pump) : undefined;
  }

  get mid(): string | undefined {
    return this.transceiver.mid ?? undefined;
  }

  get ssrc(): number {
    return this.transceiver.sender.ssrc;
  }

  get codec(): CodecInfo | undefined {
    return codecInfo(this.transceiver.sender.codec ?? this.transceiver.codecs.find((c) => !c.mimeType.toLowerCase().endsWith('/rtx')));
  }

  get rtx(): { ssrc: number; payloadType: number } | undefined {
    const primary = this.codec;
    if (primary === undefined) return undefined;
    const rtx = this.transceiver.codecs.find(
      (c) => c.mimeType.toLowerCase().endsWith('/rtx') && (c.parameters ?? '').includes(`apt=${primary.payloadType}`),
    );
    if (rtx?.payloadType === undefined) return undefined;
    return { ssrc: this.transceiver.sender.rtxSsrc, payloadType: rtx.payloadType };
  }

  sendRtp(packet: Buffer, rewrite?: PacketRewrite, steady = false): void {
    const route = this.route;
    if (route !== undefined) {
      const counts = this.transport.pump!.counts;
      if (route.servedByPump(packet, rewrite)) {
        counts.sentByPump++;
        this.transport.sentPumped++;
        return;
      }
      counts.sentByJavaScript++;
    }
    const dtls = this.transceiver.sender.dtlsTransport as RTCDtlsTransport | undefined;
    // once negotiated the codec stays known: no CodecInfo built per packet
    this.codecKnown ||= this.codec !== undefined;
    if (dtls === undefined || dtls.state !== 'connected' || !this.codecKnown) {
      this.onDrop();
      return;
    }
    this.extIds ??= this.negotiatedExtIds();
    this.header ??= new OutgoingHeaderWriter(this.extIds);
    const mid = this.mid;
    const srtp = this.srtpSender(dtls);
    const header = this.header;
    if (srtp !== undefined && header.layout(packet, mid)) {
      // header written once, payload after it, sealed in place, tag at the end: into the thread's
      // scratch buffer when the datagram leaves synchronously (native), else a Buffer of its own
      const headerLength = header.headerLength;
      const length = headerLength + packet.length - header.payloadStart + srtp.tagLength;
      const nativeRoute = length <= SCRATCH.length ? srtp.nativeRoute(dtls) : undefined;
      const out = nativeRoute !== undefined ? SCRATCH : Buffer.allocUnsafe(length);
      header.write(packet, out, Date.now());
      packet.copy(out, headerLength, header.payloadStart);
      if (rewrite !== undefined) writeRewrite(out, headerLength, rewrite);
      const outcome = srtp.sealAndSend(dtls, out, headerLength, length, nativeRoute);
      if (outcome === 'failed') this.onDrop();
      else if (outcome === 'native') {
        this.transport.sentNative++;
        if (steady && rewrite !== undefined) this.route?.arm(dtls, srtp, header, mid, packet, rewrite);
      } else this.transport.sentDirect++;
      return;
    }
    const copy = rewrite === undefined ? packet : rewrittenCopy(packet, rewrite);
    if (copy === undefined) this.onDrop();
    else this.sendGeneral(dtls, copy, mid);
  }

  /** The SRTP sender of the transport's current session, looked up when the session changes. */
  private srtpSender(dtls: RTCDtlsTransport): WeriftSrtpSender | undefined {
    const session = dtls.srtp as unknown;
    if (session !== this.srtpSession) {
      this.srtpSession = session;
      this.srtp = weriftSrtpSender(dtls, this.transport.native);
    }
    return this.srtp;
  }

  /**
   * URI -> id negotiated for this m-line. werift fills `pc.extIdUriMap` only for m-lines it
   * receives on, so a send-only m-line (every subscriber m-line) takes them from its transceiver,
   * filled when the answer was applied; without them subscribers got no abs-send-time, which
   * Chrome's receive-side estimate (REMB) needs.
   */
  private negotiatedExtIds(): Map<string, number> {
    const own = this.transceiver.headerExtensions;
    if (own.length > 0) return new Map(own.map((e) => [e.uri, e.id]));
    return uriToId(this.transport.extensionIds());
  }

  /** werift's own path, for what the fast path does not reproduce (RTP padding, odd extensions). */
  private sendGeneral(dtls: RTCDtlsTransport, packet: Buffer, mid: string | undefined): void {
    let rtp: RtpPacket;
    try {
      rtp = RtpPacket.deSerialize(packet);
    } catch {
      this.onDrop();
      return;
    }
    const ids = (this.extIds ??= this.negotiatedExtIds());
    rtp.header.extensions = fromCanonical(rtp.header.extensions, ids, mid, Date.now());
    rtp.header.extension = rtp.header.extensions.length > 0;
    this.transport.sentViaWerift++;
    void dtls.sendRtp(rtp.payload, rtp.header);
  }

  /** The forwarder is about to change what it sends (ADR 0011). */
  beforeChange(): void {
    this.route?.beforeChange();
  }

  disarm(): void {
    this.route?.disarm();
  }

  stop(): void {
    this.route?.beforeChange();
    this.transceiver.setDirection('inactive');
  }

  resume(): void {
    this.transceiver.setDirection('sendonly');
  }
}
