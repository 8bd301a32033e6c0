/**
 * A cheap headless subscriber on node-datachannel (libdatachannel: C++ ICE, DTLS, SRTP, no
 * decoding). It answers the server's offers, and counts every RTP packet of every track it gets,
 * straight off SRTP, in RtpReceiveStats.
 */
import { createRequire } from 'node:module';
import type * as Ndc from 'node-datachannel';
import { RtpReceiveStats, rtxPayloadTypes } from './rtp-stats.js';
import type { Candidate, SubscriberPeer } from './target.js';

const require = createRequire(import.meta.url);
let ndc: typeof Ndc | undefined;
/** Loaded on first use: the package is a devDependency, absent from production installs. */
export function loadNdc(): typeof Ndc {
  ndc ??= require('node-datachannel') as typeof Ndc;
  return ndc;
}

export interface NdcSubscriberOptions {
  /** Local address to gather candidates on (default: every interface). */
  bindAddress?: string;
}

export class NdcSubscriber implements SubscriberPeer {
  private readonly pc: Ndc.PeerConnection;
  private stats = new RtpReceiveStats();
  private readonly tracks: Ndc.Track[] = [];
  private pendingAnswer: { resolve: (sdp: string) => void; reject: (err: Error) => void } | undefined;
  private firstMid: string | undefined;
  private candidateCb: ((c: Candidate | null) => void) | undefined;
  private readonly earlyCandidates: Array<Candidate | null> = [];
  private remoteSet = false;
  /** ms (performance.now) of the first media packet. */
  firstPacketAt: number | undefined;
  state = 'new';

  constructor(name: string, opts: NdcSubscriberOptions = {}) {
    const lib = loadNdc();
    this.pc = new lib.PeerConnection(name, { iceServers: [], ...(opts.bindAddress ? { bindAddress: opts.bindAddress } : {}) });
    this.pc.onStateChange((s) => {
      this.state = s;
    });
    this.pc.onLocalDescription((sdp, type) => {
      if (type !== 'answer') return;
      this.pendingAnswer?.resolve(sdp);
      this.pendingAnswer = undefined;
    });
    this.pc.onLocalCandidate((candidate, mid) => this.candidateCb?.({ candidate: candidate.replace(/^a=/, ''), sdpMid: mid }));
    this.pc.onGatheringStateChange((s) => {
      if (s === 'complete') this.candidateCb?.(null);
    });
    this.pc.onTrack((track) => {
      this.tracks.push(track);
      track.onMessage((msg) => {
        this.firstPacketAt ??= performance.now();
        this.stats.onPacket(msg);
      });
    });
  }

  onLocalCandidate(cb: (c: Candidate | null) => void): void {
    this.candidateCb = cb;
  }

  answer(offerSdp: string): Promise<string> {
    const rtx = rtxPayloadTypes(offerSdp);
    // RTX payload types are learnt from the first offer; later offers only add tracks
    if (!this.remoteSet) this.stats = new RtpReceiveStats(rtx);
    this.firstMid ??= /^a=mid:(\S+)/m.exec(offerSdp)?.[1];
    return new Promise<string>((resolve, reject) => {
      this.pendingAnswer = { resolve, reject };
      try {
        this.pc.setRemoteDescription(offerSdp, 'offer');
      } catch (err) {
        this.pendingAnswer = undefined;
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (!this.remoteSet) {
        this.remoteSet = true;
        for (const c of this.earlyCandidates.splice(0)) this.addRemoteCandidate(c);
      }
    });
  }

  addRemoteCandidate(c: Candidate | null): void {
    if (!c || !c.candidate) return; // libdatachannel needs no end-of-candidates
    if (!this.remoteSet) {
      this.earlyCandidates.push(c);
      return;
    }
    try {
      this.pc.addRemoteCandidate(c.candidate, c.sdpMid ?? this.firstMid ?? '0');
    } catch {
      // a candidate for an m-line that is gone, or unparsable: ICE goes on with the others
    }
  }

  get receiveStats(): RtpReceiveStats {
    return this.stats;
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  close(): void {
    for (const t of this.tracks) t.close();
    this.pc.close();
  }
}
