/**
 * runLoadtest: connects publishers (libwebrtc, real VP8) and subscribers (libdatachannel, packet
 * counting) to an SFU, measures a window once everyone is connected and warmed up, and reports
 * per-subscriber reception and the server's CPU and memory.
 *
 * Phases: prepare the room -> publishers -> server memory baseline -> subscribers (batches of
 * connectConcurrency) -> warmup -> measured window -> teardown.
 */
import { NdcSubscriber } from './ndc-subscriber.js';
import { DEFAULT_VIDEO, type LoadtestOptions, type LoadtestPhase, type LoadtestProgress } from './options.js';
import { parleyTarget } from './parley-target.js';
import { cpuLoad, machineBusySeconds, sampleProcessTree, type ProcSample } from './proc-stats.js';
import { buildReport, type LoadtestReport } from './report.js';
import { addCounters, diffCounters, lossRatioOf, zeroCounters, type RtpCounters } from './rtp-stats.js';
import type { SfuTarget, TargetSession } from './target.js';
import { WrtcPublisher } from './wrtc-publisher.js';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

export interface SubscriberSlot {
  index: number;
  peer?: NdcSubscriber;
  session?: TargetSession;
  error?: string;
}

export async function runLoadtest(opts: LoadtestOptions): Promise<LoadtestReport> {
  const target: SfuTarget = 'publish' in opts.target ? opts.target : parleyTarget(opts.target);
  const video = { ...DEFAULT_VIDEO, ...opts.video };
  const nPub = opts.publishers ?? 1;
  const nSub = opts.subscribers ?? 10;
  const warmup = opts.warmupSeconds ?? 5;
  const duration = opts.durationSeconds ?? 15;
  const concurrency = Math.max(1, opts.connectConcurrency ?? 10);
  const connectTimeoutMs = (opts.connectTimeoutSeconds ?? 20) * 1000;
  const rampRatio = opts.rampRatio ?? 0.85;
  const rampTimeout = opts.rampTimeoutSeconds ?? 20;
  const signal = opts.signal;
  const started = performance.now();
  const sample = (): ProcSample | undefined => (opts.serverPid ? sampleProcessTree(opts.serverPid) : undefined);

  const publishers: WrtcPublisher[] = [];
  const pubSessions: TargetSession[] = [];
  const subs: SubscriberSlot[] = Array.from({ length: nSub }, (_, index) => ({ index }));
  let phase: LoadtestPhase = 'connecting';

  // ---- progress, once a second, from the first connection on
  let lastTotals = zeroCounters();
  let lastProc = sample();
  const totals = (): RtpCounters => subs.reduce((acc, s) => (s.peer ? addCounters(acc, s.peer.receiveStats.snapshot()) : acc), zeroCounters());
  const lastPackets = new Array<number>(nSub).fill(0);
  const tick = setInterval(() => {
    const now = totals();
    const d = diffCounters(now, lastTotals);
    lastTotals = now;
    let starved = 0;
    for (const s of subs) {
      const packets = s.peer?.receiveStats.snapshot().packets ?? 0;
      if (s.peer?.connected && packets === lastPackets[s.index]) starved++;
      lastPackets[s.index] = packets;
    }
    const proc = sample();
    const connected = subs.filter((s) => s.peer?.connected).length;
    const p: LoadtestProgress = {
      phase,
      elapsed: (performance.now() - started) / 1000,
      publishersConnected: publishers.filter((x) => x.connectionState === 'connected').length,
      publishers: nPub,
      subscribersConnected: connected,
      subscribersStarved: starved,
      subscribers: nSub,
      packetsPerSecond: d.packets,
      lossRatio: lossRatioOf(d),
      bitratePerSubscriber: connected > 0 ? (d.bytes * 8) / connected : 0,
      ...(proc && lastProc ? { serverCpu: cpuLoad(lastProc, proc), serverRssBytes: proc.rssBytes } : {}),
    };
    lastProc = proc;
    opts.onProgress?.(p);
  }, 1000);

  try {
    await target.prepare(nPub + nSub);

    for (let i = 0; i < nPub; i++) {
      const pub = new WrtcPublisher(video);
      publishers.push(pub);
      pubSessions.push(await target.publish(i, pub, video));
    }
    await waitFor(() => publishers.every((p) => p.connectionState === 'connected'), connectTimeoutMs, signal);
    if (!publishers.every((p) => p.connectionState === 'connected')) throw new Error(`publisher connection did not come up within ${connectTimeoutMs / 1000} s`);
    await sleep(1000, signal);
    const baseline = sample();

    let next = 0;
    const worker = async () => {
      while (next < nSub && !signal?.aborted) {
        const slot = subs[next++]!;
        const peer = new NdcSubscriber(`lt-sub-${slot.index}`, opts.bindAddress ? { bindAddress: opts.bindAddress } : {});
        slot.peer = peer;
        try {
          slot.session = await target.subscribe(slot.index, peer);
        } catch (err) {
          slot.error = err instanceof Error ? err.message : String(err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, nSub) }, worker));
    // every subscriber receiving, failed, or refused by the server (subscription_failed)
    await waitFor(() => subs.every((s) => s.error !== undefined || !!s.session?.problems?.length || (s.peer?.connected && s.peer.firstPacketAt !== undefined)), connectTimeoutMs, signal);
    const connectSeconds = (performance.now() - started) / 1000;

    phase = 'warmup';
    await sleep(warmup * 1000, signal);
    // then until every encoder sends at least rampRatio of its cap (the server's REMB lets it ramp up)
    const rampUntil = performance.now() + rampTimeout * 1000;
    let prev = await Promise.all(publishers.map((p) => p.sentStats()));
    while (performance.now() < rampUntil && !signal?.aborted) {
      await sleep(1000, signal);
      const cur = await Promise.all(publishers.map((p) => p.sentStats()));
      const ramped = cur.every((c, i) => (c.bytes - prev[i]!.bytes) * 8 >= rampRatio * video.maxBitrate);
      prev = cur;
      if (ramped) break;
    }

    phase = 'measuring';
    const pubStart = await Promise.all(publishers.map((p) => p.sentStats()));
    const subStart = subs.map((s) => s.peer?.receiveStats.snapshot() ?? zeroCounters());
    const procStart = sample();
    const selfStart = sampleProcessTree(process.pid);
    const busyStart = machineBusySeconds();
    const t0 = performance.now();
    await sleep(duration * 1000, signal);
    const windowSeconds = (performance.now() - t0) / 1000;
    const procEnd = sample();
    const selfEnd = sampleProcessTree(process.pid);
    const machineBusy = (machineBusySeconds() - busyStart) / windowSeconds;
    const subEnd = subs.map((s) => s.peer?.receiveStats.snapshot() ?? zeroCounters());
    const pubEnd = await Promise.all(publishers.map((p) => p.sentStats()));
    phase = 'done';

    return buildReport({
      target: target.name,
      publishers: nPub,
      video,
      windowSeconds,
      connectSeconds,
      subscribers: subs.map((s, i) => ({
        index: s.index,
        connected: s.peer?.connected ?? false,
        ...(s.error || s.session?.problems?.length ? { error: s.error ?? s.session!.problems!.join('; ') } : {}),
        window: diffCounters(subEnd[i]!, subStart[i]!),
      })),
      publisherWindow: pubEnd.map((e, i) => ({ packets: e.packets - pubStart[i]!.packets, bytes: e.bytes - pubStart[i]!.bytes, ...(e.width ? { width: e.width, height: e.height } : {}) })),
      loadtesterCpu: cpuLoad(selfStart, selfEnd),
      machineBusy,
      ...(opts.serverPid && baseline && procStart && procEnd ? { server: { pid: opts.serverPid, baseline, start: procStart, end: procEnd } } : {}),
    });
  } finally {
    clearInterval(tick);
    await Promise.allSettled([...pubSessions, ...subs.flatMap((s) => (s.session ? [s.session] : []))].map((s) => s.close()));
    for (const s of subs) s.peer?.close();
    for (const p of publishers) p.close();
    await target.close().catch(() => undefined);
  }
}

async function waitFor(cond: () => boolean, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!cond() && performance.now() < until && !signal?.aborted) await sleep(100);
}
