/**
 * Connection-quality estimate of one peer connection, from two getStats() samples. The reduction
 * of an RTCStatsReport to a sample and the estimate are pure; the polling lives in the room.
 */
import { inboundTrackStats, num, videoCounters, type InboundTrackStats, type VideoReceiveStats } from './track-stats.js';

export type { VideoReceiveStats };

export type ConnectionQuality = 'excellent' | 'good' | 'poor' | 'lost' | 'unknown';

/** What one sample of one peer connection's stats says, summed over its inbound streams. */
export interface PeerStatsSample {
  timestamp: number;
  /** Current ICE round-trip time in ms, when known. */
  rttMs: number | undefined;
  packetsReceived: number;
  packetsLost: number;
  jitterMs: number | undefined;
  /** The largest inbound video stream (most remotes send one camera, maybe one screen). */
  video: VideoReceiveStats | undefined;
  /** Loudest inbound audio level, 0..1. */
  audioLevel: number | undefined;
  /** Each inbound stream of the sample (rates not filled in). */
  tracks?: InboundTrackStats[];
}

/** Which inbound streams belong to a sample (SFU: the mids carrying one participant's tracks). */
export type InboundFilter = (entry: { mid: string | undefined; trackIdentifier: string }) => boolean;

type StatsEntry = Record<string, unknown> & { type: string };

export function summarizeStats(report: RTCStatsReport, now = Date.now(), include?: InboundFilter): PeerStatsSample {
  const sample: PeerStatsSample = {
    timestamp: now,
    rttMs: undefined,
    packetsReceived: 0,
    packetsLost: 0,
    jitterMs: undefined,
    video: undefined,
    audioLevel: undefined,
    tracks: include ? inboundTrackStats(report, now).filter(include) : inboundTrackStats(report, now),
  };
  report.forEach((raw: unknown) => {
    const s = raw as StatsEntry;
    if (s.type === 'candidate-pair' && s['nominated'] === true && s['state'] === 'succeeded') {
      const rtt = num(s['currentRoundTripTime']);
      if (rtt !== undefined) sample.rttMs = rtt * 1000;
    } else if (s.type === 'inbound-rtp') {
      const mid = typeof s['mid'] === 'string' ? s['mid'] : undefined;
      const trackIdentifier = typeof s['trackIdentifier'] === 'string' ? s['trackIdentifier'] : '';
      if (include && !include({ mid, trackIdentifier })) return;
      sample.packetsReceived += num(s['packetsReceived']) ?? 0;
      sample.packetsLost += Math.max(0, num(s['packetsLost']) ?? 0);
      const jitter = num(s['jitter']);
      if (jitter !== undefined) sample.jitterMs = Math.max(sample.jitterMs ?? 0, jitter * 1000);
      if (s['kind'] === 'video') {
        const video: VideoReceiveStats = videoCounters(s);
        if (!sample.video || video.framesDecoded > sample.video.framesDecoded) sample.video = video;
      } else if (s['kind'] === 'audio') {
        const level = num(s['audioLevel']);
        if (level !== undefined) sample.audioLevel = Math.max(sample.audioLevel ?? 0, level);
      }
    }
  });
  return sample;
}

/**
 * Quality from the packet loss between two samples and the round-trip time. `expectMedia` says
 * whether the remote publishes anything; without media, only the RTT counts.
 */
export function estimateQuality(prev: PeerStatsSample | undefined, cur: PeerStatsSample, expectMedia: boolean): ConnectionQuality {
  const rtt = cur.rttMs;
  if (!prev) return rtt === undefined ? 'unknown' : rttQuality(rtt);
  const received = cur.packetsReceived - prev.packetsReceived;
  const lost = cur.packetsLost - prev.packetsLost;
  if (expectMedia && received <= 0 && cur.timestamp - prev.timestamp >= 2000) return 'lost';
  const loss = received + lost > 0 ? lost / (received + lost) : 0;
  const byLoss: ConnectionQuality = loss < 0.02 ? 'excellent' : loss < 0.08 ? 'good' : 'poor';
  const byRtt = rtt === undefined ? 'excellent' : rttQuality(rtt);
  return worse(byLoss, byRtt);
}

function rttQuality(rttMs: number): ConnectionQuality {
  return rttMs < 150 ? 'excellent' : rttMs < 400 ? 'good' : 'poor';
}

const RANK: Record<ConnectionQuality, number> = { excellent: 4, good: 3, poor: 2, lost: 1, unknown: 0 };

function worse(a: ConnectionQuality, b: ConnectionQuality): ConnectionQuality {
  return RANK[a] <= RANK[b] ? a : b;
}
