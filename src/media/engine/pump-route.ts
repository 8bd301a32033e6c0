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

/** One arming of a route: what the pump was given, and what a replayed packet is checked against. */
interface Arming {
  /** A new id per arming, so that a replayed packet names the arming it was sent under. */
  readonly id: number;
  readonly ingressSsrc: number;
  readonly ssrc: number;
  readonly seqDelta: number;
  readonly tsDelta: number;
  readonly payloadType: number;
  readonly pictureIdDelta: number;
  readonly tl0Delta: number;
  /** The SRTP sender whose rollover state the arming follows. */
  readonly srtp: WeriftSrtpSender;
}

export class PumpRoute {
  private current: Arming | undefined;
  /**
   * The arming last disarmed: packets the pump sent under it may still be replayed (the drain in
   * `beforeChange` replays them right after the disarm), and they were sent: JavaScript must not
   * send them again, nor arm on them.
   */
  private retired: Arming | undefined;

  constructor(private readonly pump: MediaPump) {}

  get armed(): boolean {
    return this.current !== undefined;
  }

  /**
   * True when the pump already sent this packet on this route: the caller skips its own send. A
   * decision that differs from the arming's offsets disarms the route (the pump's packet is out
   * already).
   */
  servedByPump(packet: Buffer, rewrite: PacketRewrite | undefined): boolean {
    const routes = this.pump.replaying?.routes;
    if (routes === undefined) return false;
    const current = this.current;
    const retired = this.retired;
    const arming =
      current !== undefined && routes.includes(current.id) ? current : retired !== undefined && routes.includes(retired.id) ? retired : undefined;
    if (arming === undefined) return false;
    if (
      rewrite === undefined ||
      rewrite.ssrc !== arming.ssrc ||
      rewrite.sequenceNumber !== ((packet.readUInt16BE(2) + arming.seqDelta) & 0xffff) ||
      rewrite.timestamp !== ((packet.readUInt32BE(4) + arming.tsDelta) >>> 0)
    ) {
      this.pump.mismatches++;
      if (arming === current) this.disarm();
      return true;
    }
    // werift's rollover state follows what the pump sent on the SSRC
    arming.srtp.advanceRollover(arming.ssrc, rewrite.sequenceNumber);
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
    const c = this.current;
    if (
      c !== undefined &&
      c.srtp === srtp &&
      c.ingressSsrc === ingressSsrc &&
      c.ssrc === rewrite.ssrc &&
      c.seqDelta === seqDelta &&
      c.tsDelta === tsDelta &&
      c.payloadType === payloadType &&
      c.pictureIdDelta === pictureIdDelta &&
      c.tl0Delta === tl0Delta
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
    this.current = { id, ingressSsrc, ssrc: rewrite.ssrc, seqDelta, tsDelta, payloadType, pictureIdDelta, tl0Delta, srtp };
  }

  /** Stops the pump sending on this route; werift's rollover state takes what the pump reached. */
  disarm(): void {
    const arming = this.current;
    if (arming === undefined) return;
    const reached = this.pump.addon.pumpDisarm(this.pump.handle, arming.id);
    this.retired = arming;
    this.current = undefined;
    if (reached !== undefined) {
      const state = arming.srtp.rolloverState(arming.ssrc);
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
