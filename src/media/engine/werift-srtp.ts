/**
 * Parley's SRTP send path on a werift DTLS transport: the session keys come from werift's negotiated
 * SRTP context (`dtls.srtp.localContext`), the rollover counter of each SSRC is werift's own state
 * for that SSRC, updated by werift's own rule, so packets sent here and any sent by werift on the
 * same SSRC agree. The datagram goes out through werift's ICE connection, as `dtls.sendRtp` does.
 */
import type { RTCDtlsTransport, SrtpSession } from 'werift';
import { SrtpSender, type SrtpSendProfile } from './srtp-send.js';

/** werift's profile numbers (rtp/src/srtp/const.ts). */
const WERIFT_PROFILES: Readonly<Record<number, SrtpSendProfile>> = {
  0x0001: 'aes128-cm-hmac-sha1-80',
  0x0007: 'aes128-gcm',
};

type LocalContext = SrtpSession['localContext'];

export class WeriftSrtpSender {
  readonly tagLength: number;
  private readonly sender: SrtpSender;

  constructor(private readonly context: LocalContext) {
    const profile = WERIFT_PROFILES[context.profile];
    if (profile === undefined) throw new Error(`unsupported SRTP profile ${context.profile}`);
    this.sender = new SrtpSender({
      profile,
      sessionKey: context.srtpSessionKey,
      sessionSalt: context.srtpSessionSalt,
      authKey: context.srtpSessionAuthTag,
    });
    this.tagLength = this.sender.tagLength;
  }

  /**
   * Encrypts `plaintext` into `out` after the header already written in `out[0, headerLength)`;
   * `out.length` must be headerLength + plaintext.length + tagLength.
   */
  seal(out: Buffer, headerLength: number, plaintext: Buffer): void {
    const state = this.context.getSrtpSsrcState(out.readUInt32BE(8));
    this.context.updateRolloverCount(out.readUInt16BE(2), state);
    this.sender.protectInPlace(out, headerLength, plaintext, state.rolloverCounter);
  }
}

const senders = new WeakMap<SrtpSession, WeriftSrtpSender | null>();

/**
 * The sender for this transport's current SRTP session (werift replaces the session when DTLS
 * restarts, and the sender follows), or undefined when the caller should use werift's own path:
 * SRTP not started, an unknown profile, or werift's debug packet loss configured.
 */
export function weriftSrtpSender(dtls: RTCDtlsTransport): WeriftSrtpSender | undefined {
  const session = dtls.srtp as SrtpSession | undefined;
  if (session === undefined || dtls.config.debug?.outboundPacketLoss !== undefined) return undefined;
  let sender = senders.get(session);
  if (sender === undefined) {
    try {
      sender = new WeriftSrtpSender(session.localContext);
    } catch {
      sender = null;
    }
    senders.set(session, sender);
  }
  return sender ?? undefined;
}

/** Sends an SRTP datagram as werift's `RTCDtlsTransport.sendRtp` does after encrypting. */
export function sendSrtp(dtls: RTCDtlsTransport, datagram: Buffer): void {
  dtls.bytesSent += datagram.length;
  dtls.packetsSent++;
  dtls.iceTransport.connection.send(datagram).catch(ignore);
}

function ignore(): void {}
