/**
 * One subscriber m-line's route in the media pump (ADR 0011): armed after JavaScript sent the m-line
 * a packet in the steady state (the forwarder on its target layer, not muted, the packet in order),
 * with the rewrite that packet got expressed as offsets from the publisher's numbers; disarmed
 * before the forwarder changes state (`beforeChange`), when the m-line stops, and when the
 * connection closes. While armed, the packets the pump sends are replayed through JavaScript's
 * path, which checks its own decision against the route's offsets and skips the send.
 */
import type { RTCDtlsTransport } from 'werift';
import type { PumpRouteParams } from '../../native/index.js';
import { pictureIdFields } from '../rtp/picture-id.js';
import { rtpHeaderLength } from '../rtp/header.js';
import type { PacketRewrite } from '../rtp/rewrite.js';
import type { MediaPump } from './media-pump.js';
import type { OutgoingHeaderWriter } from './outgoing-header.js';
import type { WeriftSrtpSender } from './werift-srtp.js';

export class PumpRoute {
  /** 0 while disarmed; a new id per arming, so that a replayed packet names the arming it was sent under. */
  private id = 0;
  /**
   * The arming last disarmed: packets the pump sent under it may still be replayed (the drain in
   * `beforeChange` replays them right after the disarm), and they were sent: JavaScript must not
   * send them again, nor arm on them.
   */
  private retiredId = 0;
  private ingressSsrc = 0;
  private ssrc = 0;
  private seqDelta = 0;
  private tsDelta = 0;
  private payloadType = 0;
  private pictureIdDelta = 0;
  private tl0Delta = 0;
  /** The SRTP sender whose rollover state the route took (werift's state, given back on disarm). */
  private srtp: WeriftSrtpSender | undefined;

  constructor(private readonly pump: MediaPump) {}

  get armed(): boolean {
    return this.id !== 0;
  }

  /**
   * True when the pump already sent this packet on this route: the caller skips its own send. A
   * decision that differs from the route's offsets disarms it (the pump's packet is out already).
   */
  servedByPump(packet: Buffer, rewrite: PacketRewrite | undefined): boolean {
    const item = this.pump.replaying;
    const id = this.id !== 0 ? this.id : this.retiredId;
    if (item === undefined || id === 0 || item.routes === undefined || !item.routes.includes(id)) return false;
    if (
      rewrite === undefined ||
      rewrite.ssrc !== this.ssrc ||
      rewrite.sequenceNumber !== ((packet.readUInt16BE(2) + this.seqDelta) & 0xffff) ||
      rewrite.timestamp !== ((packet.readUInt32BE(4) + this.tsDelta) >>> 0)
    ) {
      this.pump.mismatches++;
      this.disarm();
      return true;
    }
    // werift's rollover state follows what the pump sent on the SSRC
    this.srtp?.advanceRollover(this.ssrc, rewrite.sequenceNumber);
    return true;
  }

  /**
   * After JavaScript sent `packet` with `rewrite` in the steady state on `dtls`'s native route:
   * arms the route with that packet's offsets, unless it is armed with them already.
   */
  arm(dtls: RTCDtlsTransport, srtp: WeriftSrtpSender, header: OutgoingHeaderWriter, mid: string | undefined, packet: Buffer, rewrite: PacketRewrite): void {
    const ingressSsrc = packet.readUInt32BE(8);
    const seqDelta = (rewrite.sequenceNumber - packet.readUInt16BE(2)) & 0xffff;
    const tsDelta = (rewrite.timestamp - packet.readUInt32BE(4)) >>> 0;
    const payloadType = rewrite.payloadType ?? packet[1]! & 0x7f;
    let pictureIdDelta = 0;
    let tl0Delta = 0;
    const codec = rewrite.pictureCodec;
    if (codec !== undefined) {
      const headerLength = rtpHeaderLength(packet);
      const fields = pictureIdFields(codec, packet.subarray(headerLength < 0 ? packet.length : headerLength));
      if (rewrite.pictureId !== undefined && fields.pictureIdOffset >= 0) pictureIdDelta = mod(rewrite.pictureId - fields.pictureId, 0x8000);
      if (rewrite.tl0PicIdx !== undefined && fields.tl0Offset >= 0) tl0Delta = mod(rewrite.tl0PicIdx - fields.tl0PicIdx, 0x100);
    }
    if (
      this.id !== 0 &&
      this.ingressSsrc === ingressSsrc &&
      this.ssrc === rewrite.ssrc &&
      this.seqDelta === seqDelta &&
      this.tsDelta === tsDelta &&
      this.payloadType === payloadType &&
      this.pictureIdDelta === pictureIdDelta &&
      this.tl0Delta === tl0Delta
    ) {
      return;
    }
    this.disarm();
    const route = srtp.nativeRoute(dtls);
    const sender = srtp.pumpSender();
    if (route === undefined || sender === undefined) return;
    const state = srtp.rolloverState(rewrite.ssrc);
    const params: PumpRouteParams = {
      ssrc: rewrite.ssrc,
      payloadType,
      seqDelta,
      tsDelta,
      roc: state.rolloverCounter,
      lastSeq: state.lastSequenceNumber,
      extensions: header.slotsForNative(),
      ...(mid !== undefined ? { mid: Buffer.from(mid, 'ascii') } : {}),
      pictureCodec: codec === 'vp8' ? 1 : codec === 'vp9' ? 2 : 0,
      pictureIdDelta,
      tl0Delta,
    };
    const id = this.pump.newRouteId();
    this.pump.addon.pumpArm(this.pump.handle, id, ingressSsrc, sender, route.fd, route.sockaddr, params);
    this.id = id;
    this.srtp = srtp;
    this.ingressSsrc = ingressSsrc;
    this.ssrc = rewrite.ssrc;
    this.seqDelta = seqDelta;
    this.tsDelta = tsDelta;
    this.payloadType = payloadType;
    this.pictureIdDelta = pictureIdDelta;
    this.tl0Delta = tl0Delta;
  }

  /** Stops the pump sending on this route; werift's rollover state takes what the pump reached. */
  disarm(): void {
    if (this.id === 0) return;
    const reached = this.pump.addon.pumpDisarm(this.pump.handle, this.id);
    this.retiredId = this.id;
    this.id = 0;
    if (reached !== undefined && this.srtp !== undefined) {
      const state = this.srtp.rolloverState(this.ssrc);
      state.rolloverCounter = reached.roc;
      state.lastSequenceNumber = reached.lastSeq;
      state.rolloverHasProcessed = true;
    }
  }

  /** Before the forwarder changes what it sends: the route stops, and what the pump forwarded is replayed first. */
  beforeChange(): void {
    this.disarm();
    this.pump.drain();
  }
}

function mod(value: number, modulus: number): number {
  return ((value % modulus) + modulus) % modulus;
}
