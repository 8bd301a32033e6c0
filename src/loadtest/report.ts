/** The load test's report: per-subscriber reception over the measured window, totals, server cost. */
import { availableParallelism as nproc } from 'node:os';
import type { LoadtestProgress, VideoOptions } from './options.js';
import { cpuLoad, type ProcSample } from './proc-stats.js';
import { addCounters, lostOf, zeroCounters, type RtpCounters } from './rtp-stats.js';

export interface SubscriberResult {
  index: number;
  connected: boolean;
  error?: string;
  packets: number;
  lost: number;
  lossRatio: number;
  bitrate: number;
  rtx: number;
}

export interface ServerResult {
  pid: number;
  /** CPU seconds in the window. */
  cpuSeconds: number;
  /** Mean CPU in the window, in cores. */
  cpuLoad: number;
  /** Server CPU microseconds per media packet that reached a subscriber. */
  usPerForwardedPacket: number;
  /** RSS with the publishers connected, before any subscriber. */
  rssBaselineBytes: number;
  /** RSS at the end of the window. */
  rssEndBytes: number;
  /** (end - baseline) / subscribers connected. */
  rssPerSubscriberBytes: number;
  /** Context switches per second in the window, all threads: waits and preemptions. */
  voluntarySwitchesPerSecond: number;
  involuntarySwitchesPerSecond: number;
}

export interface LoadtestReport {
  target: string;
  publishers: number;
  video: VideoOptions;
  windowSeconds: number;
  /** Seconds from the start until every subscriber was connected (or gave up). */
  connectSeconds: number;
  subscribers: SubscriberResult[];
  /** CPU of this process (the peers) in the window, in cores; in-process servers count here too. */
  loadtesterCpu: number;
  /** CPU the whole machine was busy in the window, in cores (everything: server, peers, others). */
  machineBusy: number;
  /** What each publisher's libwebrtc says it sent in the window. */
  publisherWindow: Array<{ packets: number; bytes: number; width?: number; height?: number }>;
  totals: {
    subscribersConnected: number;
    subscribersFailed: number;
    /** Subscribers that lost at least one packet (or got less than 80 % of what was sent). */
    subscribersWithLoss: number;
    packets: number;
    lost: number;
    lossRatio: number;
    packetsPerSecond: number;
    meanBitrate: number;
    minBitrate: number;
  };
  server?: ServerResult;
}

export interface ReportInput {
  target: string;
  publishers: number;
  video: VideoOptions;
  windowSeconds: number;
  connectSeconds: number;
  subscribers: Array<{ index: number; connected: boolean; error?: string; window: RtpCounters }>;
  publisherWindow: LoadtestReport['publisherWindow'];
  loadtesterCpu: number;
  machineBusy: number;
  server?: { pid: number; baseline: ProcSample; start: ProcSample; end: ProcSample };
}

export function buildReport(input: ReportInput): LoadtestReport {
  const sent = input.publisherWindow.reduce((n, p) => n + p.packets, 0);
  const subscribers = input.subscribers.map((s): SubscriberResult => {
    // A subscriber the server starved shows no sequence gap: count what the publishers sent instead.
    const expected = sent > 0 && s.window.expected < 0.8 * sent ? Math.max(s.window.expected, sent) : s.window.expected;
    const lost = lostOf({ ...s.window, expected });
    return {
      index: s.index,
      connected: s.connected,
      ...(s.error ? { error: s.error } : {}),
      packets: s.window.packets,
      lost,
      lossRatio: expected > 0 ? lost / expected : 0,
      bitrate: (s.window.bytes * 8) / input.windowSeconds,
      rtx: s.window.rtx,
    };
  });
  const sum = input.subscribers.reduce((acc, s) => addCounters(acc, s.window), zeroCounters());
  const lost = subscribers.reduce((n, s) => n + s.lost, 0);
  const connected = subscribers.filter((s) => s.connected);
  const bitrates = connected.map((s) => s.bitrate);
  const report: LoadtestReport = {
    target: input.target,
    publishers: input.publishers,
    video: input.video,
    windowSeconds: input.windowSeconds,
    connectSeconds: input.connectSeconds,
    subscribers,
    loadtesterCpu: input.loadtesterCpu,
    machineBusy: input.machineBusy,
    publisherWindow: input.publisherWindow,
    totals: {
      subscribersConnected: connected.length,
      subscribersFailed: subscribers.length - connected.length,
      subscribersWithLoss: subscribers.filter((s) => s.lost > 0).length,
      packets: sum.packets,
      lost,
      lossRatio: sum.packets + lost > 0 ? lost / (sum.packets + lost) : 0,
      packetsPerSecond: sum.packets / input.windowSeconds,
      meanBitrate: bitrates.length ? bitrates.reduce((a, b) => a + b, 0) / bitrates.length : 0,
      minBitrate: bitrates.length ? Math.min(...bitrates) : 0,
    },
  };
  if (input.server) {
    const { baseline, start, end, pid } = input.server;
    const cpuSeconds = end.cpuSeconds - start.cpuSeconds;
    report.server = {
      pid,
      cpuSeconds,
      cpuLoad: cpuLoad(start, end),
      usPerForwardedPacket: sum.packets > 0 ? (cpuSeconds * 1e6) / sum.packets : 0,
      rssBaselineBytes: baseline.rssBytes,
      rssEndBytes: end.rssBytes,
      rssPerSubscriberBytes: connected.length > 0 ? (end.rssBytes - baseline.rssBytes) / connected.length : 0,
      voluntarySwitchesPerSecond: perSecond(end.voluntarySwitches - start.voluntarySwitches, start, end),
      involuntarySwitchesPerSecond: perSecond(end.involuntarySwitches - start.involuntarySwitches, start, end),
    };
  }
  return report;
}

function perSecond(count: number, start: ProcSample, end: ProcSample): number {
  const seconds = (end.at - start.at) / 1000;
  return seconds > 0 ? count / seconds : 0;
}

const mbps = (bps: number) => (bps / 1e6).toFixed(2);
const pct = (r: number) => `${(r * 100).toFixed(r > 0 && r < 0.001 ? 3 : 2)}%`;
const mb = (b: number) => (b / 1048576).toFixed(1);

export function formatProgress(p: LoadtestProgress): string {
  const server = p.serverCpu !== undefined ? ` | server cpu ${(p.serverCpu * 100).toFixed(0)}% rss ${mb(p.serverRssBytes ?? 0)} MB` : '';
  return (
    `[${p.elapsed.toFixed(0).padStart(3)}s ${p.phase.padEnd(10)}] pubs ${p.publishersConnected}/${p.publishers} subs ${p.subscribersConnected}/${p.subscribers}` +
    (p.subscribersStarved > 0 ? ` (${p.subscribersStarved} getting nothing)` : '') +
    ` | ${p.packetsPerSecond} pkt/s loss ${pct(p.lossRatio)} ${mbps(p.bitratePerSubscriber)} Mbps/sub${server}`
  );
}

export function formatReport(r: LoadtestReport, opts: { perSubscriber?: boolean } = {}): string {
  const t = r.totals;
  const lines = [
    `target ${r.target}: ${r.publishers} publisher(s) ${r.video.width}x${r.video.height}@${r.video.fps} max ${mbps(r.video.maxBitrate)} Mbps, ${r.subscribers.length} subscribers; window ${r.windowSeconds.toFixed(1)} s (connect took ${r.connectSeconds.toFixed(1)} s)`,
    `publisher sent: ${r.publisherWindow.map((p) => `${p.packets} pkts ${mbps((p.bytes * 8) / r.windowSeconds)} Mbps${p.width ? ` ${p.width}x${p.height}` : ''}`).join(', ')}`,
    `subscribers: ${t.subscribersConnected} connected, ${t.subscribersFailed} failed, ${t.subscribersWithLoss} with loss`,
    `received: ${t.packets} pkts (${t.packetsPerSecond.toFixed(0)}/s), lost ${t.lost} (${pct(t.lossRatio)}), bitrate mean ${mbps(t.meanBitrate)} min ${mbps(t.minBitrate)} Mbps`,
  ];
  lines.push(`load tester cpu ${(r.loadtesterCpu * 100).toFixed(0)}% of a core; machine busy ${r.machineBusy.toFixed(2)} of ${nproc()} cores`);
  if (r.server) {
    const s = r.server;
    lines.push(
      `server pid ${s.pid}: cpu ${s.cpuSeconds.toFixed(2)} s (${(s.cpuLoad * 100).toFixed(0)}% of a core), ${s.usPerForwardedPacket.toFixed(2)} us per forwarded packet; rss ${mb(s.rssBaselineBytes)} -> ${mb(s.rssEndBytes)} MB, ${(s.rssPerSubscriberBytes / 1024).toFixed(0)} KB per subscriber; context switches ${s.voluntarySwitchesPerSecond.toFixed(0)}/s waiting, ${s.involuntarySwitchesPerSecond.toFixed(0)}/s preempted`,
    );
  }
  const failed = r.subscribers.filter((s) => s.error);
  if (failed.length) lines.push(`failures: ${[...new Set(failed.map((s) => s.error))].slice(0, 5).join('; ')}`);
  if (opts.perSubscriber) {
    lines.push('sub  conn  packets   lost   loss     Mbps  rtx');
    for (const s of r.subscribers) {
      lines.push(`${String(s.index).padStart(3)}  ${s.connected ? 'yes ' : 'no  '}  ${String(s.packets).padStart(7)}  ${String(s.lost).padStart(5)}  ${pct(s.lossRatio).padStart(7)}  ${mbps(s.bitrate).padStart(6)}  ${s.rtx}`);
    }
  }
  return lines.join('\n');
}
