/**
 * The "apply and send" step for one subscriber track (cf. livekit's downtrack.go WriteRTP): parse
 * the publisher's packet, ask the Forwarder, rewrite an owned copy, remember it for NACKs, hand it
 * to the transport. Also the subscriber's RTCP for this track: NACK answered from the buffer,
 * PLI/FIR turned into a keyframe request upstream, REMB fed to the estimator. Sinks are injected;
 * no sockets here. The shared incoming Buffer is never modified.
 */
import { parseRtpHeader, rtpPayload, type RtpHeader } from '../rtp/header.js';
import { rewrittenCopy, type PacketRewrite } from '../rtp/rewrite.js';
import { isKeyframe, type VideoCodec } from '../rtp/keyframe.js';
import { pictureIdFields } from '../rtp/picture-id.js';
import { PictureIdMunger, type PictureIdContinuation } from './picture-id-munger.js';

/**
 * Where a down-track left its stream, so that another down-track sending on the same SSRC (a
 * reused m-line) continues it instead of jumping backwards, which receivers take for stale packets.
 */
export interface StreamContinuation {
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly pictureId?: PictureIdContinuation;
}
import { buildSr, ntpFromUnixMs, type RtcpPacket } from '../rtp/rtcp.js';
import { seqAdd, tsAdd } from '../rtp/sequence.js';
import type { Clock } from './clock.js';
import { DropCounters } from './drops.js';
import { Forwarder, type IncomingPacket, type KeyframeRequest, type TrackKind } from './forwarder.js';
import type { LayerConstraints, LayerInfo } from './layer-selection.js';
import { RetransmissionBuffer, type RetransmissionBufferOptions, type StoredRewrite } from './retransmission-buffer.js';


export interface DownTrackSinks {
  /**
   * Forwards a publisher packet to the subscriber: `packet` is shared by every subscriber and never
   * modified; `rewrite` goes into the copy that is sent (OutgoingTrack.sendRtp does both).
   */
  forwardRtp(packet: Buffer, rewrite: PacketRewrite, steady: boolean): void;
  /**
   * Called before the forwarder changes what it sends (target layer, mute): an engine that forwards
   * the steady state on its own stops, and catches up, first.
   */
  beforeChange?(): void;
  /** Sends a packet already rewritten for this subscriber (a NACK answer; the callee may keep it). */
  sendRtp(packet: Buffer): void;
  /** Asks the publisher track for a keyframe of a layer (the fan-out throttles it). */
  requestKeyframe(layer: number): void;
  /** REMB from the subscriber, bits per second. */
  onBandwidthEstimate?(bitrate: number): void;
}

export interface DownTrackOptions {
  readonly kind: TrackKind;
  /** Video codec for keyframe detection in writeRtp (writeParsed takes the flag); ignored for audio. */
  readonly codec?: VideoCodec;
  readonly ssrc: number;
  /** Payload type negotiated with the subscriber, when it differs from the publisher's. */
  readonly payloadType?: number;
  readonly clockRate: number;
  /** Monotonic milliseconds for decisions; sender reports take wall-clock time separately. */
  readonly clock: Clock;
  readonly targetLayer?: number;
  readonly rtx?: RetransmissionBufferOptions['rtx'];
  readonly bufferCapacity?: number;
  readonly keyframeRetryMs?: number;
  /** Continue the stream another down-track sent on this SSRC. */
  readonly continueFrom?: StreamContinuation;
  readonly sinks: DownTrackSinks;
}

export interface DownTrackStats {
  readonly packetsSent: number;
  readonly bytesSent: number;
  readonly retransmitted: number;
  readonly nackMisses: number;
  readonly drops: Readonly<Record<string, number>>;
}

export class DownTrack {
  readonly ssrc: number;
  readonly forwarder: Forwarder;
  readonly drops = new DropCounters();
  private readonly codec: VideoCodec | undefined;
  private readonly payloadType: number | undefined;
  private readonly buffer: RetransmissionBuffer;
  /** VP8/VP9: PictureID and TL0PICIDX kept continuous across layer switches. */
  private readonly pictureIds: PictureIdMunger | undefined;
  private readonly sinks: DownTrackSinks;
  private readonly clock: Clock;
  private readonly clockRate: number;
  private packetsSent = 0;
  private bytesSent = 0;
  private retransmitted = 0;
  private nackMisses = 0;

  constructor(opts: DownTrackOptions) {
    this.ssrc = opts.ssrc >>> 0;
    this.codec = opts.kind === 'video' ? (opts.codec ?? 'vp8') : undefined;
    this.payloadType = opts.payloadType;
    this.pictureIds = this.codec === 'vp8' || this.codec === 'vp9' ? new PictureIdMunger(opts.continueFrom?.pictureId) : undefined;
    this.sinks = opts.sinks;
    this.clock = opts.clock;
    this.clockRate = opts.clockRate;
    this.forwarder = new Forwarder({
      kind: opts.kind,
      ssrc: opts.ssrc,
      clockRate: opts.clockRate,
      clock: opts.clock,
      ...(opts.targetLayer !== undefined ? { targetLayer: opts.targetLayer } : {}),
      ...(opts.keyframeRetryMs !== undefined ? { keyframeRetryMs: opts.keyframeRetryMs } : {}),
      ...(opts.continueFrom !== undefined
        ? { initialSequenceNumber: opts.continueFrom.sequenceNumber, initialTimestamp: opts.continueFrom.timestamp }
        : {}),
    });
    this.buffer = new RetransmissionBuffer({
      clock: opts.clock,
      materialize: (packet, stored) => rewrittenCopy(packet, this.resentRewrite(stored)) ?? packet,
      ...(opts.bufferCapacity !== undefined ? { capacity: opts.bufferCapacity } : {}),
      ...(opts.rtx !== undefined ? { rtx: opts.rtx } : {}),
    });
  }

  /** Call once subscribed: asks for the first keyframe. */
  start(): void {
    this.emitKeyframe(this.forwarder.start());
  }

  setTargetLayer(layer: number): void {
    if (layer !== this.forwarder.targetLayer) this.sinks.beforeChange?.();
    this.emitKeyframe(this.forwarder.setTargetLayer(layer));
  }

  /** Re-evaluates the layer from the publisher's layers, display size, bandwidth, manual choice. */
  chooseLayer(layers: readonly LayerInfo[], constraints: LayerConstraints): void {
    this.setTargetLayer(this.forwarder.selectTarget(layers, constraints));
  }

  setMuted(muted: boolean): void {
    if (muted !== this.forwarder.isMuted) this.sinks.beforeChange?.();
    this.emitKeyframe(this.forwarder.setMuted(muted));
  }

  /** One packet of the publisher's track, layer from its rid (0 without simulcast). */
  writeRtp(packet: Buffer, layer: number): void {
    const header = parseRtpHeader(packet);
    if (header === undefined) {
      this.drops.count('malformed');
      return;
    }
    const keyframe = this.codec !== undefined && isKeyframe(this.codec, rtpPayload(packet, header));
    this.writeParsed(packet, header, incomingPacket(header, layer, keyframe));
  }

  /**
   * Same, for a packet the fan-out already parsed and classified once for all its subscribers.
   * `packet` is shared and never modified: the rewrite goes to the copy the engine sends.
   */
  writeParsed(packet: Buffer, header: RtpHeader, incoming: IncomingPacket): void {
    const decision = this.forwarder.decide(incoming);
    if (decision.requestKeyframe !== undefined) this.sinks.requestKeyframe(decision.requestKeyframe);
    if (decision.action === 'drop') {
      this.drops.count(decision.reason);
      return;
    }
    const payloadType = this.payloadType ?? header.payloadType;
    let rewrite: PacketRewrite;
    const pictureIds = this.pictureIds;
    const codec = this.codec;
    const fields = pictureIds !== undefined && codec !== undefined ? pictureIdFields(codec, rtpPayload(packet, header)) : undefined;
    if (pictureIds !== undefined && codec !== undefined && fields !== undefined && (fields.pictureIdOffset >= 0 || fields.tl0Offset >= 0)) {
      const mapped = pictureIds.map(fields, decision.switchedToLayer !== undefined);
      rewrite = {
        sequenceNumber: decision.sequenceNumber,
        timestamp: decision.timestamp,
        ssrc: decision.ssrc,
        payloadType,
        pictureCodec: codec,
        pictureId: mapped.pictureId,
        tl0PicIdx: mapped.tl0PicIdx,
      };
    } else {
      rewrite = { sequenceNumber: decision.sequenceNumber, timestamp: decision.timestamp, ssrc: decision.ssrc, payloadType };
    }
    // the publisher's packet is kept, shared and unmodified: the engine writes the rewrite into the
    // buffer it sends, and a NACK rebuilds this subscriber's copy from the two
    this.buffer.store(decision.sequenceNumber, packet, rewrite.timestamp, rewrite.pictureId ?? -1, rewrite.tl0PicIdx ?? -1);
    this.packetsSent++;
    this.bytesSent += packet.length;
    this.sinks.forwardRtp(packet, rewrite, this.forwarder.isSteady && decision.switchedToLayer === undefined && decision.sequenceNumber === this.forwarder.munger.lastSequenceNumber);
  }

  /** The rewrite a stored packet was sent with (SSRC and payload type are this down-track's). */
  private resentRewrite(stored: StoredRewrite): PacketRewrite {
    const rewrite: { -readonly [K in keyof PacketRewrite]: PacketRewrite[K] } = {
      sequenceNumber: stored.sequenceNumber,
      timestamp: stored.timestamp,
      ssrc: this.ssrc,
    };
    if (this.payloadType !== undefined) rewrite.payloadType = this.payloadType;
    if (this.codec !== undefined && (stored.pictureId >= 0 || stored.tl0PicIdx >= 0)) {
      rewrite.pictureCodec = this.codec;
      if (stored.pictureId >= 0) rewrite.pictureId = stored.pictureId;
      if (stored.tl0PicIdx >= 0) rewrite.tl0PicIdx = stored.tl0PicIdx;
    }
    return rewrite;
  }

  /** RTCP from the subscriber addressed to this track's SSRC. */
  handleRtcp(packet: RtcpPacket): void {
    switch (packet.type) {
      case 'nack': {
        const answer = this.buffer.answerNack(packet.lost);
        this.nackMisses += answer.misses.missing + answer.misses.expired;
        for (const p of answer.packets) {
          this.retransmitted++;
          this.sinks.sendRtp(p);
        }
        return;
      }
      case 'pli':
      case 'fir':
        if (this.forwarder.currentLayer >= 0) this.sinks.requestKeyframe(this.forwarder.currentLayer);
        return;
      case 'remb':
        this.sinks.onBandwidthEstimate?.(packet.bitrate);
        return;
      default:
        return;
    }
  }

  /** Periodic tick (RTCP interval): keyframe retries while a switch is pending. */
  tick(): void {
    this.emitKeyframe(this.forwarder.pollKeyframeRequest());
  }

  /**
   * RTCP sender report for this track (RFC 3550 §6.4.1): the RTP timestamp extrapolated from the
   * last packet sent to `unixMs`. Undefined before the first packet. The engine sends it on its
   * RTCP interval, since packets bypass werift's RTCRtpSender.
   */
  senderReport(unixMs: number): Buffer | undefined {
    if (!this.forwarder.munger.hasStarted) return undefined;
    const last = this.forwarder.munger.last;
    const elapsedTicks = Math.round(((this.clock() - last.at) * this.clockRate) / 1000);
    return buildSr({
      ssrc: this.ssrc,
      ...ntpFromUnixMs(unixMs),
      rtpTimestamp: tsAdd(last.timestamp, Math.max(0, elapsedTicks)),
      packetCount: this.packetsSent,
      octetCount: this.bytesSent,
    });
  }

  /** Where the next down-track on this SSRC should continue; undefined before the first packet. */
  continuation(): StreamContinuation | undefined {
    const munger = this.forwarder.munger;
    if (!munger.hasStarted) return undefined;
    const last = munger.last;
    const elapsedTicks = Math.round(((this.clock() - last.at) * this.clockRate) / 1000);
    const pictureId = this.pictureIds?.continuation();
    return {
      sequenceNumber: seqAdd(last.sequenceNumber, 1),
      timestamp: tsAdd(last.timestamp, Math.max(1, elapsedTicks)),
      ...(pictureId !== undefined ? { pictureId } : {}),
    };
  }

  get stats(): DownTrackStats {
    return {
      packetsSent: this.packetsSent,
      bytesSent: this.bytesSent,
      retransmitted: this.retransmitted,
      nackMisses: this.nackMisses,
      drops: this.drops.snapshot(),
    };
  }

  private emitKeyframe(req: KeyframeRequest | undefined): void {
    if (req !== undefined) this.sinks.requestKeyframe(req.layer);
  }
}

/** What the forwarder needs to know of a publisher packet; built once per packet by the fan-out. */
export function incomingPacket(header: RtpHeader, layer: number, keyframe: boolean): IncomingPacket {
  return {
    layer,
    sequenceNumber: header.sequenceNumber,
    timestamp: header.timestamp,
    ssrc: header.ssrc,
    keyframe,
    paddingOnly: header.payloadLength === 0,
  };
}
