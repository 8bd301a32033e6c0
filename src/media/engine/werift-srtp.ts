/**
 * Parley's SRTP send path on a werift DTLS transport: the session keys come from werift's negotiated
 * SRTP context (`dtls.srtp.localContext`), the rollover counter of each SSRC is werift's own state
 * for that SSRC, updated by werift's own rule, so packets sent here and any sent by werift on the
 * same SSRC agree.
 *
 * With the native addon (src/native, ADR 0008) the cipher state is keyed once per session and the
 * datagram leaves with one sendto on the nominated pair's socket (native-route.ts); without it the
 * TypeScript SrtpSender seals and the datagram goes out through werift's ICE connection, as
 * `dtls.sendRtp` does. Both produce the same bytes.
 */
import type { RTCDtlsTransport, SrtpSession } from 'werift';
import type { NativeAddon, NativeSrtpSender } from '../../native/index.js';
import { NATIVE_SRTP_AES_CM, NATIVE_SRTP_GCM } from '../../native/index.js';
import { UdpRouteCache, type UdpRoute } from './native-route.js';
import { SrtpSender, type SrtpSendProfile } from './srtp-send.js';

/** werift's profile numbers (rtp/src/srtp/const.ts). */
const WERIFT_PROFILES: Readonly<Record<number, SrtpSendProfile>> = {
  0x0001: 'aes128-cm-hmac-sha1-80',
  0x0007: 'aes128-gcm',
};

type LocalContext = SrtpSession['localContext'];
type SrtpSsrcState = ReturnType<LocalContext['getSrtpSsrcState']>;

/**
 * The addon's arguments for one direction of a werift SRTP session (its local context to send, its
 * remote context to receive: `srtpSender(...args)` / `srtpReceiver(...args)`) and the tag length;
 * undefined for a profile the addon lacks.
 */
export function nativeSrtpKeys(context: LocalContext): { readonly args: [number, Buffer, Buffer, Buffer?]; readonly tagLength: number } | undefined {
  const named = WERIFT_PROFILES[context.profile];
  if (named === undefined) return undefined;
  const gcm = named === 'aes128-gcm';
  const profile = gcm ? NATIVE_SRTP_GCM : NATIVE_SRTP_AES_CM;
  const salt = context.srtpSessionSalt.subarray(0, gcm ? 12 : 14);
  return { args: gcm ? [profile, context.srtpSessionKey, salt] : [profile, context.srtpSessionKey, salt, context.srtpSessionAuthTag], tagLength: gcm ? 16 : 10 };
}

/** What one sealed packet became. */
export type SendOutcome = 'native' | 'werift' | 'failed';

export class WeriftSrtpSender {
  readonly tagLength: number;
  private readonly sender: SrtpSender | undefined;
  private readonly nativeSender: NativeSrtpSender | undefined;
  /** werift's state object per SSRC (created once by werift, then mutated): no keyed lookup per packet. */
  private readonly ssrcStates = new Map<number, SrtpSsrcState>();
  /** One sender per SRTP session, i.e. per connection: one route. */
  private routes: UdpRouteCache | undefined;
  /** The same keys in a cipher context of the media pump's own (its thread seals with it). */
  private pumpContext: NativeSrtpSender | null | undefined;

  constructor(
    private readonly context: LocalContext,
    private readonly native: NativeAddon | undefined,
  ) {
    const profile = WERIFT_PROFILES[context.profile];
    if (profile === undefined) throw new Error(`unsupported SRTP profile ${context.profile}`);
    const keys = native !== undefined ? nativeSrtpKeys(context) : undefined;
    if (native !== undefined && keys !== undefined) {
      this.nativeSender = native.srtpSender(...keys.args);
      this.tagLength = keys.tagLength;
    } else {
      this.sender = new SrtpSender({ profile, sessionKey: context.srtpSessionKey, sessionSalt: context.srtpSessionSalt, authKey: context.srtpSessionAuthTag });
      this.tagLength = this.sender.tagLength;
    }
  }

  /**
   * Seals `out` = header || plaintext || room for the tag in place and sends it on `dtls`.
   * 'failed' when the socket refused the datagram (full send buffer): it is dropped, as a full
   * queue further on would drop it.
   */
  sealAndSend(dtls: RTCDtlsTransport, buffer: Buffer, headerLength: number, length = buffer.length, route = this.nativeRoute(dtls)): SendOutcome {
    const roc = this.rolloverCounter(buffer);
    if (route !== undefined) {
      const sent = this.native!.srtpSealSend(this.nativeSender!, buffer, headerLength, roc, route.fd, route.sockaddr, length);
      if (sent < 0) return 'failed';
      route.pair.packetsSent++;
      route.pair.bytesSent += length;
      countSent(dtls, length);
      return 'native';
    }
    // werift's send is asynchronous: it gets a Buffer of its own
    const out = length === buffer.length ? buffer : Buffer.from(buffer.subarray(0, length));
    this.sealWith(out, headerLength, roc);
    sendSrtp(dtls, out);
    return 'werift';
  }

  /**
   * The socket a packet sealed now leaves on synchronously (the addon's sendto), or undefined when
   * it goes through werift. A caller that gets a route may build the packet in a buffer it reuses,
   * and hands the route to `sealAndSend`.
   */
  nativeRoute(dtls: RTCDtlsTransport): UdpRoute | undefined {
    if (this.native === undefined || this.nativeSender === undefined) return undefined;
    return (this.routes ??= new UdpRouteCache(this.native)).get(dtls);
  }

  /** A native sender with this session's keys for the media pump's thread (undefined without the addon). */
  pumpSender(): NativeSrtpSender | undefined {
    if (this.pumpContext === undefined) {
      const keys = this.native !== undefined && this.nativeSender !== undefined ? nativeSrtpKeys(this.context) : undefined;
      this.pumpContext = keys !== undefined ? this.native!.srtpSender(...keys.args) : null;
    }
    return this.pumpContext ?? undefined;
  }

  /** werift's rollover state of an outgoing SSRC (the object werift keeps and updates). */
  rolloverState(ssrc: number): SrtpSsrcState {
    let state = this.ssrcStates.get(ssrc);
    if (state === undefined) {
      state = this.context.getSrtpSsrcState(ssrc);
      this.ssrcStates.set(ssrc, state);
    }
    return state;
  }

  /**
   * werift's rollover rule for a packet sent on `ssrc` by someone else (the media pump), so that
   * what is sealed here later on the same SSRC (a retransmission, a packet after a disarm) carries
   * the right rollover counter.
   */
  advanceRollover(ssrc: number, sequenceNumber: number): void {
    this.context.updateRolloverCount(sequenceNumber, this.rolloverState(ssrc));
  }

  /** Seals `out` = header || plaintext || room for the tag in place. */
  seal(out: Buffer, headerLength: number): void {
    this.sealWith(out, headerLength, this.rolloverCounter(out));
  }

  private sealWith(out: Buffer, headerLength: number, roc: number): void {
    if (this.native !== undefined && this.nativeSender !== undefined) this.native.srtpSeal(this.nativeSender, out, headerLength, roc);
    else this.sender!.protectInPlace(out, headerLength, out.subarray(headerLength, out.length - this.tagLength), roc);
  }

  private rolloverCounter(out: Buffer): number {
    const state = this.rolloverState(out.readUInt32BE(8));
    this.context.updateRolloverCount(out.readUInt16BE(2), state);
    return state.rolloverCounter;
  }
}

const senders = new WeakMap<SrtpSession, WeriftSrtpSender | null>();

/**
 * The sender for this transport's current SRTP session (werift replaces the session when DTLS
 * restarts, and the sender follows), or undefined when the caller should use werift's own path:
 * SRTP not started, an unknown profile, or werift's debug packet loss configured.
 */
export function weriftSrtpSender(dtls: RTCDtlsTransport, native: NativeAddon | undefined): WeriftSrtpSender | undefined {
  const session = dtls.srtp as SrtpSession | undefined;
  if (session === undefined || dtls.config.debug?.outboundPacketLoss !== undefined) return undefined;
  let sender = senders.get(session);
  if (sender === undefined) {
    try {
      sender = new WeriftSrtpSender(session.localContext, native);
    } catch {
      sender = null;
    }
    senders.set(session, sender);
  }
  return sender ?? undefined;
}

/** Sends an SRTP datagram as werift's `RTCDtlsTransport.sendRtp` does after encrypting. */
export function sendSrtp(dtls: RTCDtlsTransport, datagram: Buffer): void {
  countSent(dtls, datagram.length);
  dtls.iceTransport.connection.send(datagram).catch(ignore);
}

function countSent(dtls: RTCDtlsTransport, length: number): void {
  dtls.bytesSent += length;
  dtls.packetsSent++;
}

function ignore(): void {}
