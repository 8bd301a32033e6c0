/**
 * Routes one subscriber transport's incoming RTCP to its down-tracks by media SSRC: NACK, PLI and
 * FIR to the track they name; REMB and receiver reports to the subscriber-level estimator. Pure:
 * parse, look up, call. Unknown SSRCs and broken packets are counted, not thrown.
 */
import { parseRtcp, type ReceptionReport } from '../rtp/rtcp.js';
import type { DownTrack } from './down-track.js';

export interface RtcpRouterOptions {
  /** REMB from the subscriber: its downlink estimate in bits per second. */
  readonly onRemb?: (bitrate: number) => void;
  /** One report block about a track we send (loss, jitter, RTT inputs). */
  readonly onReceptionReport?: (report: ReceptionReport) => void;
}

export class SubscriberRtcpRouter {
  private readonly tracks = new Map<number, DownTrack>();
  private readonly opts: RtcpRouterOptions;
  malformed = 0;
  unknownSsrc = 0;

  constructor(opts: RtcpRouterOptions = {}) {
    this.opts = opts;
  }

  add(track: DownTrack): void {
    this.tracks.set(track.ssrc, track);
  }

  remove(track: DownTrack): void {
    this.tracks.delete(track.ssrc);
  }

  route(buf: Buffer): void {
    const packets = parseRtcp(buf);
    if (packets === undefined) {
      this.malformed++;
      return;
    }
    for (const p of packets) {
      switch (p.type) {
        case 'nack':
        case 'pli':
          this.deliver(p.mediaSsrc, (t) => t.handleRtcp(p));
          break;
        case 'fir':
          for (const e of p.entries) this.deliver(e.ssrc, (t) => t.handleRtcp(p));
          break;
        case 'remb':
          this.opts.onRemb?.(p.bitrate);
          break;
        case 'rr':
        case 'sr':
          for (const r of p.reports) if (this.tracks.has(r.ssrc)) this.opts.onReceptionReport?.(r);
          break;
        case 'twcc':
        case 'other':
          break;
      }
    }
  }

  private deliver(ssrc: number, fn: (t: DownTrack) => void): void {
    const track = this.tracks.get(ssrc);
    if (track === undefined) {
      this.unknownSsrc++;
      return;
    }
    fn(track);
  }
}
