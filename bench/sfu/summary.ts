/**
 * Reads the reports run.sh wrote (<server>-<N>.json) and prints the comparison: server CPU per
 * forwarded packet and its Parley/Janus ratio, loss, memory per subscriber, and each server's
 * zero-loss knee (the largest N up to which every run lost at most KNEE_LOSS, default 0).
 *
 * With REPEAT pairs per N (files <server>-<N>-r<pair>.json), one row per run and, when there is more
 * than one pair, each N's medians: CPU per forwarded packet per server and the median of the pairs'
 * Parley/Janus ratios. The knee needs every run of an N within KNEE_LOSS.
 *
 * usage: REPEAT=1 npx tsx bench/sfu/summary.ts <dir> [N...]
 */
import { existsSync, readFileSync } from 'node:fs';
import type { LoadtestReport } from '../../src/loadtest/index.js';

const [dir, ...rest] = process.argv.slice(2);
if (!dir) throw new Error('usage: summary.ts <dir> [N...]');
const ns = rest.length ? rest.map(Number) : [10, 50, 100, 200];
const servers = ['janus', 'parley'] as const;
const kneeLoss = Number(process.env.KNEE_LOSS ?? 0);

const repeat = Math.max(1, Number(process.env.REPEAT ?? 1));
const load = (server: string, n: number, pair: number): LoadtestReport | undefined => {
  const f = `${dir}/${server}-${n}-r${pair}.json`;
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as LoadtestReport) : undefined;
};
const fmt = (v: number | undefined, d = 1) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));
const pct = (v: number | undefined) => (v === undefined ? '-' : `${(v * 100).toFixed(v > 0 && v < 0.001 ? 3 : 2)}%`);

/** Reports written before the loadtest counted context switches have none. */
const switches = (r: LoadtestReport): string =>
  r.server?.voluntarySwitchesPerSecond === undefined ? '-' : `${fmt(r.server.voluntarySwitchesPerSecond, 0)}/${fmt(r.server.involuntarySwitchesPerSecond, 0)}`;

const rows: string[] = [];
rows.push('|   N | server | subs ok | pub Mbps | rx pkt/s | loss | subs with loss | server CPU (cores) | us CPU / fwd pkt | RSS/sub (KB) | Parley/Janus us/pkt | server switches/s (wait/preempted) | tester CPU | machine busy |');
rows.push('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const knee: Record<string, number> = { janus: 0, parley: 0 };
const broken: Record<string, boolean> = { janus: false, parley: false };
const median = (xs: number[]): number | undefined => {
  if (xs.length === 0) return undefined;
  const a = [...xs].sort((x, y) => x - y);
  const m = Math.floor(a.length / 2);
  return a.length % 2 ? a[m] : (a[m - 1]! + a[m]!) / 2;
};
const medians: string[] = [];
/** One run's row; records whether it breaks the server's zero-loss streak. */
function runRow(n: number, s: (typeof servers)[number], r: LoadtestReport | undefined, ratio: string): boolean {
  if (!r) {
    rows.push(`| ${n} | ${s} | not run | | | | | | | | | | | |`);
    return false;
  }
  const pub = r.publisherWindow[0];
  rows.push(
    `| ${n} | ${s} | ${r.totals.subscribersConnected}/${r.subscribers.length} | ${fmt(pub ? (pub.bytes * 8) / r.windowSeconds / 1e6 : undefined, 2)} | ${fmt(r.totals.packetsPerSecond, 0)} | ${pct(r.totals.lossRatio)} | ${r.totals.subscribersWithLoss} | ${fmt(r.server?.cpuLoad, 2)} | ${fmt(r.server?.usPerForwardedPacket, 1)} | ${fmt(r.server ? r.server.rssPerSubscriberBytes / 1024 : undefined, 0)} | ${ratio} | ${switches(r)} | ${fmt(r.loadtesterCpu, 2)} | ${fmt(r.machineBusy, 2)} |`,
  );
  return r.totals.subscribersConnected === r.subscribers.length && r.totals.lossRatio <= kneeLoss;
}
for (const n of ns) {
  const us: Record<string, number[]> = { janus: [], parley: [] };
  const ratios: number[] = [];
  const ok: Record<string, boolean> = { janus: true, parley: true };
  for (let pair = 1; pair <= repeat; pair++) {
    const j = load('janus', n, pair);
    const p = load('parley', n, pair);
    const ratio = j?.server && p?.server ? p.server.usPerForwardedPacket / j.server.usPerForwardedPacket : undefined;
    if (ratio !== undefined) ratios.push(ratio);
    for (const s of servers) {
      const r = s === 'janus' ? j : p;
      if (r?.server) us[s]!.push(r.server.usPerForwardedPacket);
      if (!runRow(n, s, r, s === 'parley' ? fmt(ratio, 2) : '')) ok[s] = false;
    }
  }
  for (const s of servers) {
    if (!ok[s]) broken[s] = true;
    else if (!broken[s]) knee[s] = n;
  }
  if (repeat > 1) {
    medians.push(
      `| ${n} | ${us.janus!.length}/${us.parley!.length} | ${fmt(median(us.janus!))} | ${fmt(median(us.parley!))} | **${fmt(median(ratios), 2)}** | ${ratios.map((r) => fmt(r, 2)).join(' ')} |`,
    );
  }
}
console.log(rows.join('\n'));
if (medians.length > 0) {
  console.log('\n|   N | runs janus/parley | median us/pkt janus | median us/pkt parley | median Parley/Janus | pair ratios |');
  console.log('|---:|---:|---:|---:|---:|---|');
  console.log(medians.join('\n'));
}
console.log(`\nzero-loss knee (every subscriber connected, loss <= ${pct(kneeLoss)}): janus N=${knee.janus || '<' + ns[0]}, parley N=${knee.parley || '<' + ns[0]}`);
