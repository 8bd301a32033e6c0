/**
 * Receive statistics of the RTP streams one subscriber gets, from the packets alone (no decoding):
 * packets, bytes, and loss from sequence-number gaps (RFC 3550 §A.3). Pure and allocation-free per
 * packet; snapshots taken at two instants give the figures of the window between them.
 */
import { extendSeq } from '../media/rtp/sequence.js';

/** What arrived on one connection up to now; subtract two snapshots for a window. */
export interface RtpCounters {
  /** Media packets (RTX excluded). */
  packets: number;
  /** Media packets the sequence numbers say were sent: highest - first + 1, per SSRC. */
  expected: number;
  /** Bytes of media packets, RTP header included (UDP/SRTP overhead excluded). */
  bytes: number;
  /** Retransmissions (RTX payload types) received. */
  rtx: number;
  /** RTCP packets received. */
  rtcp: number;
}

interface StreamState {
  base: number;
  highest: number;
  packets: number;
}

export const zeroCounters = (): RtpCounters => ({ packets: 0, expected: 0, bytes: 0, rtx: 0, rtcp: 0 });

export function diffCounters(a: RtpCounters, b: RtpCounters): RtpCounters {
  return { packets: a.packets - b.packets, expected: a.expected - b.expected, bytes: a.bytes - b.bytes, rtx: a.rtx - b.rtx, rtcp: a.rtcp - b.rtcp };
}

export function addCounters(a: RtpCounters, b: RtpCounters): RtpCounters {
  return { packets: a.packets + b.packets, expected: a.expected + b.expected, bytes: a.bytes + b.bytes, rtx: a.rtx + b.rtx, rtcp: a.rtcp + b.rtcp };
}

/** Lost packets of a window (never negative: duplicates and reordering can make expected < packets). */
export const lostOf = (c: RtpCounters): number => Math.max(0, c.expected - c.packets);
export const lossRatioOf = (c: RtpCounters): number => (c.expected > 0 ? lostOf(c) / c.expected : 0);

/** RTCP packet types 192-223 share the second byte's range with RTP's marker bit (RFC 5761 §4). */
export function isRtcp(packet: Uint8Array): boolean {
  const b1 = packet[1] ?? 0;
  return b1 >= 192 && b1 <= 223;
}

export class RtpReceiveStats {
  private readonly streams = new Map<number, StreamState>();
  private bytes = 0;
  private rtx = 0;
  private rtcp = 0;

  /** @param rtxPayloadTypes payload types that carry retransmissions (counted apart, not as media) */
  constructor(private readonly rtxPayloadTypes: ReadonlySet<number> = new Set()) {}

  /** One packet as it came off SRTP/SRTCP: RTP or RTCP. Malformed packets are ignored. */
  onPacket(packet: Uint8Array): void {
    if (packet.length < 12 || (packet[0]! & 0xc0) !== 0x80) return;
    if (isRtcp(packet)) {
      this.rtcp++;
      return;
    }
    if (this.rtxPayloadTypes.has(packet[1]! & 0x7f)) {
      this.rtx++;
      return;
    }
    const seq = (packet[2]! << 8) | packet[3]!;
    const ssrc = ((packet[8]! << 24) | (packet[9]! << 16) | (packet[10]! << 8) | packet[11]!) >>> 0;
    this.bytes += packet.length;
    const s = this.streams.get(ssrc);
    if (!s) {
      this.streams.set(ssrc, { base: seq, highest: seq, packets: 1 });
      return;
    }
    s.packets++;
    const ext = extendSeq(s.highest, seq);
    if (ext > s.highest) s.highest = ext;
  }

  snapshot(): RtpCounters {
    let packets = 0;
    let expected = 0;
    for (const s of this.streams.values()) {
      packets += s.packets;
      expected += s.highest - s.base + 1;
    }
    return { packets, expected, bytes: this.bytes, rtx: this.rtx, rtcp: this.rtcp };
  }

  get ssrcCount(): number {
    return this.streams.size;
  }
}

/** Payload types mapped to `rtx/<clock>` in an SDP (`a=rtpmap:<pt> rtx/90000`). */
export function rtxPayloadTypes(sdp: string): Set<number> {
  const out = new Set<number>();
  for (const m of sdp.matchAll(/^a=rtpmap:(\d+) rtx\//gim)) out.add(Number(m[1]));
  return out;
}
