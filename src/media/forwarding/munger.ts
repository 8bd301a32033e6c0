/**
 * Per down-track RTP munger: maps the publisher's (SSRC, seq, ts) space onto one continuous
 * outgoing stream, across simulcast layer switches, mute gaps, publisher restarts (new SSRC) and
 * wrap-around. Pure decision: it returns the rewrite, `applyRewrite` applies it to a packet copy.
 *
 * On a source switch the next packet continues at lastSeq + 1, and its timestamp at
 * lastTs + elapsed wall-clock time x clock rate (at least +1), like livekit's rtpmunger.
 */
import { seqAdd, tsAdd, extendSeq } from '../rtp/sequence.js';
import type { Clock } from './clock.js';

export interface MungerOptions {
  /** SSRC the subscriber sees. */
  readonly ssrc: number;
  /** RTP clock rate of the codec (90000 video, 48000 Opus). */
  readonly clockRate: number;
  readonly clock: Clock;
  /** First outgoing sequence number; defaults to the first incoming one. */
  readonly initialSequenceNumber?: number;
  /** First outgoing timestamp; defaults to the first incoming one. */
  readonly initialTimestamp?: number;
}

export interface MungeInput {
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
}

export type MungeResult =
  | { readonly ok: true; readonly sequenceNumber: number; readonly timestamp: number; readonly ssrc: number }
  | { readonly ok: false; readonly reason: 'before-switch' };

interface SeqOffsetFrom {
  /** Extended incoming seq from which `offset` applies. */
  readonly fromExt: number;
  readonly offset: number;
}

/** How many skip points are remembered for late packets. */
const OFFSET_HISTORY = 32;

export class RtpMunger {
  readonly ssrc: number;
  private readonly clockRate: number;
  private readonly clock: Clock;
  private readonly initialSeq: number | undefined;
  private readonly initialTs: number | undefined;

  private resyncPending = true;
  private started = false;
  private inSsrc = -1;
  private segmentStartExt = 0;
  private highestInExt = 0;
  private seqOffsets: SeqOffsetFrom[] = [];
  private tsOffset = 0;
  private lastSeq = 0;
  private lastTs = 0;
  private lastAt = 0;

  constructor(opts: MungerOptions) {
    this.ssrc = opts.ssrc >>> 0;
    this.clockRate = opts.clockRate;
    this.clock = opts.clock;
    this.initialSeq = opts.initialSequenceNumber;
    this.initialTs = opts.initialTimestamp;
  }

  /** The next packet starts a new source segment: layer switch, unmute, publisher restart. */
  resync(): void {
    this.resyncPending = true;
  }

  get hasStarted(): boolean {
    return this.started;
  }

  /** The last sequence number sent to the subscriber, without the object `last` builds (per packet). */
  get lastSequenceNumber(): number {
    return this.lastSeq;
  }

  /** Last sequence number and timestamp sent to the subscriber (for SR and RTX bookkeeping). */
  get last(): { readonly sequenceNumber: number; readonly timestamp: number; readonly at: number } {
    return { sequenceNumber: this.lastSeq, timestamp: this.lastTs, at: this.lastAt };
  }

  munge(p: MungeInput): MungeResult {
    if (this.resyncPending || p.ssrc !== this.inSsrc) {
      this.startSegment(p);
      return this.out(this.currentOffset(), p.timestamp);
    }
    const ext = extendSeq(this.highestInExt, p.sequenceNumber);
    if (ext < this.segmentStartExt) return { ok: false, reason: 'before-switch' };
    if (ext > this.highestInExt) {
      this.highestInExt = ext;
      return this.out(this.currentOffset(), p.timestamp);
    }
    // Late or duplicate packet of the current segment: same mapping, but it does not move `last`.
    return {
      ok: true,
      sequenceNumber: seqAdd(p.sequenceNumber, this.offsetFor(ext)),
      timestamp: tsAdd(p.timestamp, this.tsOffset),
      ssrc: this.ssrc,
    };
  }

  /**
   * The forwarder decided not to send this packet (padding-only, a dropped temporal layer): close
   * the gap it would leave in the outgoing sequence when it is the newest packet seen.
   */
  skip(p: MungeInput): void {
    if (this.resyncPending || p.ssrc !== this.inSsrc) return;
    const ext = extendSeq(this.highestInExt, p.sequenceNumber);
    if (ext <= this.highestInExt) return;
    this.highestInExt = ext;
    this.seqOffsets.push({ fromExt: ext + 1, offset: (this.currentOffset() - 1) & 0xffff });
    if (this.seqOffsets.length > OFFSET_HISTORY) this.seqOffsets.shift();
  }

  private startSegment(p: MungeInput): void {
    const now = this.clock();
    let outSeq: number;
    let outTs: number;
    if (!this.started) {
      outSeq = this.initialSeq ?? p.sequenceNumber;
      outTs = this.initialTs ?? p.timestamp;
    } else {
      outSeq = seqAdd(this.lastSeq, 1);
      const elapsedTicks = Math.round(((now - this.lastAt) * this.clockRate) / 1000);
      outTs = tsAdd(this.lastTs, Math.max(1, elapsedTicks));
    }
    this.started = true;
    this.resyncPending = false;
    this.inSsrc = p.ssrc;
    // Extended numbers start high so that packets just before the segment stay non-negative.
    this.highestInExt = 0x10000 + p.sequenceNumber;
    this.segmentStartExt = this.highestInExt;
    this.seqOffsets = [{ fromExt: this.segmentStartExt, offset: (outSeq - p.sequenceNumber) & 0xffff }];
    this.tsOffset = (outTs - p.timestamp) >>> 0;
  }

  private currentOffset(): number {
    return this.seqOffsets[this.seqOffsets.length - 1]?.offset ?? 0;
  }

  private offsetFor(ext: number): number {
    for (let i = this.seqOffsets.length - 1; i >= 0; i--) {
      const entry = this.seqOffsets[i];
      if (entry !== undefined && entry.fromExt <= ext) return entry.offset;
    }
    return this.seqOffsets[0]?.offset ?? 0;
  }

  private out(seqOffset: number, inTs: number): MungeResult {
    const sequenceNumber = seqAdd(this.highestInExt & 0xffff, seqOffset);
    const timestamp = tsAdd(inTs, this.tsOffset);
    this.lastSeq = sequenceNumber;
    this.lastTs = timestamp;
    this.lastAt = this.clock();
    return { ok: true, sequenceNumber, timestamp, ssrc: this.ssrc };
  }
}
