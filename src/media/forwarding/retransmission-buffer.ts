/**
 * Per down-track history of sent (munged) packets, answering the subscriber's NACKs (RFC 4585
 * §6.2.1) by munged sequence number, bounded in count and age. With RTX negotiated (RFC 4588) the
 * answer is wrapped with the OSN under the RTX SSRC and its own sequence space.
 *
 * With `materialize`, a slot keeps the publisher's packet (shared by every subscriber of the
 * track, never modified) and the numbers of this subscriber's rewrite that change per packet (RTP
 * timestamp, VP8/VP9 PictureID and TL0PICIDX; the sequence number is the slot's), and the
 * rewritten packet is rebuilt only when a NACK asks for it: a subscriber then holds a few numbers
 * per packet in typed arrays, no copy and no object.
 */
import { wrapRtx } from '../rtp/rtx.js';
import { seqAdd } from '../rtp/sequence.js';
import type { Clock } from './clock.js';

/** The per-packet numbers of a subscriber's rewrite; -1 for a field the packet does not have. */
export interface StoredRewrite {
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly pictureId: number;
  readonly tl0PicIdx: number;
}

export interface RetransmissionBufferOptions {
  readonly clock: Clock;
  /** Builds the packet to resend from the stored packet and rewrite (absent: stored as sent). */
  readonly materialize?: (packet: Buffer, rewrite: StoredRewrite) => Buffer;
  /** Slots in the ring; rounded up to a power of two (default 512, about 3 s of 1.5 Mbps video). */
  readonly capacity?: number;
  /** Packets older than this are not resent (default 1000 ms). */
  readonly maxAgeMs?: number;
  /** The same packet is not resent twice within this interval (default 50 ms, ~one RTT). */
  readonly minResendIntervalMs?: number;
  /** RTX parameters when negotiated; without them the original packet is resent as is. */
  readonly rtx?: { readonly ssrc: number; readonly payloadType: number; readonly initialSequenceNumber?: number };
}

export type NackMiss = 'missing' | 'expired' | 'resent-recently';

export interface NackAnswer {
  /** Packets to send, in the order of the request. */
  readonly packets: Buffer[];
  readonly misses: Readonly<Record<NackMiss, number>>;
}

export class RetransmissionBuffer {
  private readonly clock: Clock;
  private readonly materialize: ((packet: Buffer, rewrite: StoredRewrite) => Buffer) | undefined;
  private readonly mask: number;
  // the ring as parallel arrays: storing a packet allocates nothing (a slot object per packet,
  // alive about a second, was old-generation garbage at every subscriber's packet rate)
  private readonly seqs: Int32Array;
  private readonly packets: Array<Buffer | undefined>;
  private readonly timestamps: Uint32Array;
  private readonly pictureIds: Int32Array;
  private readonly tl0PicIdxs: Int16Array;
  private readonly storedAt: Float64Array;
  private readonly resentAt: Float64Array;
  private readonly maxAgeMs: number;
  private readonly minResendIntervalMs: number;
  private readonly rtx: RetransmissionBufferOptions['rtx'];
  private rtxSeq: number;

  constructor(opts: RetransmissionBufferOptions) {
    this.clock = opts.clock;
    this.materialize = opts.materialize;
    let size = 1;
    while (size < (opts.capacity ?? 512)) size <<= 1;
    this.mask = size - 1;
    this.seqs = new Int32Array(size).fill(-1);
    this.packets = new Array<Buffer | undefined>(size).fill(undefined);
    this.timestamps = new Uint32Array(size);
    this.pictureIds = new Int32Array(size);
    this.tl0PicIdxs = new Int16Array(size);
    this.storedAt = new Float64Array(size);
    this.resentAt = new Float64Array(size);
    this.maxAgeMs = opts.maxAgeMs ?? 1000;
    this.minResendIntervalMs = opts.minResendIntervalMs ?? 50;
    this.rtx = opts.rtx;
    this.rtxSeq = opts.rtx?.initialSequenceNumber ?? 0;
  }

  /**
   * Stores a packet this down-track sent (the buffer keeps the reference: pass a packet nobody modifies).
   * Each store also frees the slot half a ring ahead when it is past maxAge, so the buffer holds
   * about maxAge of packets (what can still be asked for), not a full ring: at 1.5 Mbps that is
   * ~190 KB per video subscription instead of ~600 KB.
   */
  store(sequenceNumber: number, packet: Buffer, timestamp = 0, pictureId = -1, tl0PicIdx = -1): void {
    const seq = sequenceNumber & 0xffff;
    const now = this.clock();
    const i = seq & this.mask;
    this.seqs[i] = seq;
    this.packets[i] = packet;
    this.timestamps[i] = timestamp;
    this.pictureIds[i] = pictureId;
    this.tl0PicIdxs[i] = tl0PicIdx;
    this.storedAt[i] = now;
    this.resentAt[i] = Number.NEGATIVE_INFINITY;
    const ahead = (seq + (this.mask + 1) / 2) & this.mask;
    if (this.seqs[ahead]! >= 0 && now - this.storedAt[ahead]! > this.maxAgeMs) this.free(ahead);
  }

  private free(i: number): void {
    this.seqs[i] = -1;
    this.packets[i] = undefined;
  }

  /** Packets held now (tests, memory accounting). */
  get held(): number {
    let n = 0;
    for (const seq of this.seqs) if (seq >= 0) n++;
    return n;
  }

  /** The packet to resend (a fresh Buffer when materialized, else the stored one). */
  lookup(sequenceNumber: number): { ok: true; packet: Buffer; fresh: boolean } | { ok: false; reason: NackMiss } {
    const seq = sequenceNumber & 0xffff;
    const i = seq & this.mask;
    const packet = this.packets[i];
    if (this.seqs[i] !== seq || packet === undefined) return { ok: false, reason: 'missing' };
    const now = this.clock();
    if (now - this.storedAt[i]! > this.maxAgeMs) return { ok: false, reason: 'expired' };
    if (now - this.resentAt[i]! < this.minResendIntervalMs) return { ok: false, reason: 'resent-recently' };
    this.resentAt[i] = now;
    if (this.materialize !== undefined) {
      const rewrite = { sequenceNumber: seq, timestamp: this.timestamps[i]!, pictureId: this.pictureIds[i]!, tl0PicIdx: this.tl0PicIdxs[i]! };
      return { ok: true, packet: this.materialize(packet, rewrite), fresh: true };
    }
    return { ok: true, packet, fresh: false };
  }

  /** Answers the sequence numbers of one NACK. Each answer is a new Buffer the caller may send. */
  answerNack(lost: readonly number[]): NackAnswer {
    const packets: Buffer[] = [];
    const misses: Record<NackMiss, number> = { missing: 0, expired: 0, 'resent-recently': 0 };
    for (const seq of lost) {
      const found = this.lookup(seq);
      if (!found.ok) {
        misses[found.reason]++;
        continue;
      }
      if (this.rtx === undefined) {
        packets.push(found.fresh ? found.packet : Buffer.from(found.packet));
        continue;
      }
      const wrapped = wrapRtx(found.packet, {
        ssrc: this.rtx.ssrc,
        payloadType: this.rtx.payloadType,
        sequenceNumber: this.rtxSeq,
      });
      if (wrapped === undefined) {
        misses.missing++;
        continue;
      }
      this.rtxSeq = seqAdd(this.rtxSeq, 1);
      packets.push(wrapped);
    }
    return { packets, misses };
  }
}
