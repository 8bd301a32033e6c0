/**
 * Reads the reports run.sh wrote (<server>-<N>.json) and prints the comparison: server CPU per
 * forwarded packet and its Parley/Janus ratio, loss, memory per subscriber, and each server's
 * zero-loss knee (the largest N up to which every run lost at most KNEE_LOSS, default 0).
 *
 * usage: npx tsx bench/sfu/summary.ts <dir> [N...]
 */
import { existsSync, readFileSync } from 'node:fs';
import type { LoadtestReport } from '../../src/loadtest/index.js';

const [dir, ...rest] = process.argv.slice(2);
if (!dir) throw new Error('usage: summary.ts <dir> [N...]');
const ns = rest.length ? rest.map(Number) : [10, 50, 100, 200];
const servers = ['janus', 'parley'] as const;
const kneeLoss = Number(process.env.KNEE_LOSS ?? 0);

const load = (server: string, n: number): LoadtestReport | undefined => {
  const f = `${dir}/${server}-${n}.json`;
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as LoadtestReport) : undefined;
};
const fmt = (v: number | undefined, d = 1) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));
const pct = (v: number | undefined) => (v === undefined ? '-' : `${(v * 100).toFixed(v > 0 && v < 0.001 ? 3 : 2)}%`);

const rows: string[] = [];
rows.push('|   N | server | subs ok | pub Mbps | rx pkt/s | loss | subs with loss | server CPU (cores) | us CPU / fwd pkt | RSS/sub (KB) | Parley/Janus us/pkt | tester CPU | machine busy |');
rows.push('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const knee: Record<string, number> = { janus: 0, parley: 0 };
const broken: Record<string, boolean> = { janus: false, parley: false };
for (const n of ns) {
  const j = load('janus', n);
  const p = load('parley', n);
  for (const s of servers) {
    const r = s === 'janus' ? j : p;
    if (!r) {
      rows.push(`| ${n} | ${s} | not run | | | | | | | | | | |`);
      broken[s] = true;
      continue;
    }
    const pub = r.publisherWindow[0];
    const ok = r.totals.subscribersConnected === r.subscribers.length && r.totals.lossRatio <= kneeLoss;
    if (ok && !broken[s]) knee[s] = n;
    else broken[s] = true;
    const ratio = s === 'parley' && j?.server && p?.server ? fmt(p.server.usPerForwardedPacket / j.server.usPerForwardedPacket, 2) : '';
    rows.push(
      `| ${n} | ${s} | ${r.totals.subscribersConnected}/${r.subscribers.length} | ${fmt(pub ? (pub.bytes * 8) / r.windowSeconds / 1e6 : undefined, 2)} | ${fmt(r.totals.packetsPerSecond, 0)} | ${pct(r.totals.lossRatio)} | ${r.totals.subscribersWithLoss} | ${fmt(r.server?.cpuLoad, 2)} | ${fmt(r.server?.usPerForwardedPacket, 1)} | ${fmt(r.server ? r.server.rssPerSubscriberBytes / 1024 : undefined, 0)} | ${ratio} | ${fmt(r.loadtesterCpu, 2)} | ${fmt(r.machineBusy, 2)} |`,
    );
  }
}
console.log(rows.join('\n'));
console.log(`\nzero-loss knee (every subscriber connected, loss <= ${pct(kneeLoss)}): janus N=${knee.janus || '<' + ns[0]}, parley N=${knee.parley || '<' + ns[0]}`);
