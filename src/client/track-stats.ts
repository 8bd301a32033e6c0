/**
 * Receive statistics per remote track, from getStats(): what the demo's tile overlay shows
 * (resolution, layer, bitrate, loss) and what tests read (frames decoded, audio samples). The
 * reduction of a report and the per-interval rates are pure; the poller supplies the reports.
 */
export interface InboundTrackStats extends VideoReceiveStats {
  /** MediaStreamTrack.id of the receiving track. */
  trackIdentifier: string;
  mid: string | undefined;
  kind: 'audio' | 'video';
  timestamp: number;
  packetsReceived: number;
  packetsLost: number;
  jitterMs: number | undefined;
  totalSamplesReceived: number;
  audioLevel: number | undefined;
  /** Received bits per second over the last interval (0 for the first sample). */
  bitrate: number;
  /** Lost / (received + lost) packets over the last interval. */
  loss: number;
}

type StatsEntry = Record<string, unknown> & { type: string };

/** A finite number from a stats entry, or undefined. */
export const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export interface VideoReceiveStats {
  framesDecoded: number;
  framesReceived: number;
  framesDropped: number;
  frameWidth: number;
  frameHeight: number;
  framesPerSecond: number;
  bytesReceived: number;
}

/** The video receive counters of one inbound-rtp entry (0 where the browser reports none). */
export function videoCounters(s: Record<string, unknown>): VideoReceiveStats {
  return {
    framesDecoded: num(s['framesDecoded']) ?? 0,
    framesReceived: num(s['framesReceived']) ?? 0,
    framesDropped: num(s['framesDropped']) ?? 0,
    frameWidth: num(s['frameWidth']) ?? 0,
    frameHeight: num(s['frameHeight']) ?? 0,
    framesPerSecond: num(s['framesPerSecond']) ?? 0,
    bytesReceived: num(s['bytesReceived']) ?? 0,
  };
}

/** One entry per inbound-rtp stream of the report (`now` stamps them). */
export function inboundTrackStats(report: RTCStatsReport, now = Date.now()): InboundTrackStats[] {
  const out: InboundTrackStats[] = [];
  report.forEach((raw: unknown) => {
    const s = raw as StatsEntry;
    if (s.type !== 'inbound-rtp' || (s['kind'] !== 'audio' && s['kind'] !== 'video')) return;
    const jitter = num(s['jitter']);
    out.push({
      trackIdentifier: typeof s['trackIdentifier'] === 'string' ? s['trackIdentifier'] : '',
      mid: typeof s['mid'] === 'string' ? s['mid'] : undefined,
      kind: s['kind'],
      timestamp: now,
      packetsReceived: num(s['packetsReceived']) ?? 0,
      packetsLost: Math.max(0, num(s['packetsLost']) ?? 0),
      jitterMs: jitter === undefined ? undefined : jitter * 1000,
      ...videoCounters(s),
      totalSamplesReceived: num(s['totalSamplesReceived']) ?? 0,
      audioLevel: num(s['audioLevel']),
      bitrate: 0,
      loss: 0,
    });
  });
  return out;
}

/** `cur` with bitrate and loss over the interval since `prev` (the same stream's previous sample). */
export function withRates(prev: InboundTrackStats | undefined, cur: InboundTrackStats): InboundTrackStats {
  if (!prev || cur.timestamp <= prev.timestamp) return cur;
  const seconds = (cur.timestamp - prev.timestamp) / 1000;
  const bytes = Math.max(0, cur.bytesReceived - prev.bytesReceived);
  const received = Math.max(0, cur.packetsReceived - prev.packetsReceived);
  const lost = Math.max(0, cur.packetsLost - prev.packetsLost);
  return { ...cur, bitrate: Math.round((bytes * 8) / seconds), loss: received + lost > 0 ? lost / (received + lost) : 0 };
}
