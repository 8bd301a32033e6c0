/**
 * Signaling load benchmark: N WebSocket clients in rooms of 2, each sending one relayed message
 * per period to its peer, against Parley (native protocol v1) and a minimal socket.io v4 relay.
 * Prints connections held, messages/s, relay latency, server CPU and RSS, messages per server
 * CPU-second, and the Parley/socket.io ratios. See BENCHMARKS.md ("Signaling").
 *
 *   bash bench/signaling/run.sh [--n 1000,5000] [--duration 30] [--warmup 5] [--rate 1] [--workers 4]
 *                               [--repeat 1] [--targets parley,socketio] [--nice=-10] [--profile]
 *                               [--json out.json]
 *
 * `--nice=-10` runs the server and the generator at a higher scheduling priority (root only): on
 * a machine busy with other work, latency then measures the servers rather than the queue for a core.
 *
 * A target `parley=<dir>` runs another Parley build (a checkout with dist/ built) beside this one,
 * labelled by the directory's name: `--targets parley,parley=/tmp/branch,socketio` A/Bs a change.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { createToken, type ApiKey } from '../../src/auth/tokens.js';
import type { PairSpec, Target } from './ipc.js';
import { autogroupNice, cpuModel, cpuSeconds, cpuTimes, loadAverage, machineCpu, renice, rssMiB } from './proc.js';
import { startServer, type ServerUnderTest } from './servers.js';
import { fixed, median, percentile, table } from './stats.js';
import { summarizeProfiles } from './profile-summary.js';
import { Workers } from './workers.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '1000,5000' },
    duration: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    rate: { type: 'string', default: '1' },
    workers: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '16' },
    repeat: { type: 'string', default: '1' },
    targets: { type: 'string', default: 'parley,socketio' },
    profile: { type: 'boolean', default: false },
    nice: { type: 'string', default: '0' },
    json: { type: 'string' },
  },
});
const sizes = args.n.split(',').map(Number);
const durationS = Number(args.duration);
const warmupS = Number(args.warmup);
const rate = Number(args.rate);
const workerCount = Number(args.workers);
const repeat = Number(args.repeat);
const niceness = Number(args.nice);

/**
 * What to run: which server, the protocol the generator speaks to it, and for Parley which build
 * (repository root). `floor` is ws-floor.ts: Parley's wire format with nothing else.
 */
interface TargetSpec {
  label: string;
  server: 'parley' | 'socketio' | 'floor';
  protocol: Target;
  root: string;
}
const targets: TargetSpec[] = args.targets.split(',').map((t) => {
  const [name, dir] = t.split('=') as [string, string | undefined];
  if (name === 'socketio') return { label: name, server: name, protocol: 'socketio', root: repoRoot };
  if (name === 'floor') return { label: name, server: name, protocol: 'parley', root: repoRoot };
  if (name !== 'parley') throw new Error(`unknown target ${t} (parley, parley=<dir>, socketio, floor)`);
  if (dir === undefined) return { label: name, server: name, protocol: name, root: repoRoot };
  return { label: `parley@${dir.replace(/\/+$/, '').split('/').pop()}`, server: name, protocol: name, root: resolve(dir) };
});

export interface RunResult {
  target: string;
  n: number;
  run: number;
  held: number;
  failed: number;
  connectSeconds: number;
  /** Server CPU seconds spent accepting and joining all clients. */
  connectCpu: number;
  sent: number;
  received: number;
  lost: number;
  errors: number;
  msgsPerSecond: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  serverCpu: number;
  /** Server CPU as a share of one core during the window. */
  serverCpuPct: number;
  /** Share of the server's CPU spent in the kernel (socket reads and writes, TCP on loopback). */
  serverSystemShare: number;
  rssIdle: number;
  rssEnd: number;
  rssPeak: number;
  msgsPerCpuSecond: number;
  generatorCpuPct: number;
  /** Everything else on the machine (other engineers' work), share of one core. */
  otherCpuPct: number;
  generatorLoopP99: number;
  loadavg: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Scripts {
  worker: string;
  baseline: string;
  floor: string;
}

async function compile(outDir: string): Promise<Scripts> {
  mkdirSync(outDir, { recursive: true });
  const common = { bundle: true, packages: 'external', platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' } as const;
  const worker = join(outDir, 'client-worker.mjs');
  const baseline = join(outDir, 'socketio-baseline.mjs');
  await build({ ...common, entryPoints: [join(here, 'client-worker.ts')], outfile: worker });
  const floor = join(outDir, 'ws-floor.mjs');
  await build({ ...common, entryPoints: [join(here, 'socketio-baseline.ts')], outfile: baseline });
  await build({ ...common, entryPoints: [join(here, 'ws-floor.ts')], outfile: floor });
  return { worker, baseline, floor };
}

async function pairsFor(target: Target, n: number, key: ApiKey, runTag: string): Promise<PairSpec[]> {
  const pairs: PairSpec[] = [];
  for (let i = 0; i < n / 2; i++) {
    const room = `bench-${runTag}-${i}`;
    const tokens: [string, string] = ['', ''];
    if (target === 'parley') {
      for (const k of [0, 1] as const) {
        tokens[k] = await createToken(key, { identity: `u${i}-${k}`, grants: { room, roomJoin: true, canPublishData: true, canSubscribe: true }, ttlSeconds: 3600 });
      }
    }
    pairs.push({ room, tokens });
  }
  return pairs;
}

async function runOne(spec: TargetSpec, n: number, run: number, scripts: Scripts, key: ApiKey, profileDir: string | undefined): Promise<RunResult> {
  const target = spec.protocol;
  const common = { apiKey: key.key, apiSecret: key.secret, profileDir };
  const server: ServerUnderTest =
    spec.server === 'parley'
      ? await startServer('parley', { ...common, path: spec.root })
      : await startServer('script', { ...common, path: spec.server === 'socketio' ? scripts.baseline : scripts.floor });
  const workers = new Workers(scripts.worker, workerCount);
  if (niceness !== 0) for (const pid of [server.pid, ...workers.pids]) renice(pid, niceness);
  try {
    await sleep(500);
    const rssIdle = rssMiB(server.pid);
    const pairs = await pairsFor(target, n, key, `${spec.label}-${n}-${run}`);
    const cpuBeforeConnect = cpuSeconds(server.pid);
    const t0 = performance.now();
    for (let w = 0; w < workers.size; w++) {
      const mine = pairs.filter((_, i) => i % workers.size === w);
      workers.send(w, { type: 'config', target, origin: server.origin, pairs: mine, rate, concurrency: Number(args.concurrency) });
    }
    const connected = await workers.all('connected');
    const connectSeconds = (performance.now() - t0) / 1000;
    const connectCpu = cpuSeconds(server.pid) - cpuBeforeConnect;
    const failed = connected.reduce((s, c) => s + c.failed, 0);
    const firstError = connected.find((c) => c.firstError)?.firstError;
    if (failed > 0) process.stderr.write(`  ${failed} clients failed to connect (first error: ${firstError})\n`);

    workers.broadcast({ type: 'send' });
    await sleep(warmupS * 1000);

    const loadavg = loadAverage();
    const machine0 = machineCpu();
    const self0 = process.cpuUsage();
    const cpu0 = cpuTimes(server.pid);
    const w0 = performance.now();
    workers.broadcast({ type: 'measure' });
    let rssPeak = 0;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMiB(server.pid))), 1000);
    await sleep(durationS * 1000);
    workers.broadcast({ type: 'stop', drainMs: 2000 });
    const windowS = (performance.now() - w0) / 1000;
    const cpu1 = cpuTimes(server.pid);
    const serverSystem = cpu1.system - cpu0.system;
    const serverCpu = cpu1.user - cpu0.user + serverSystem;
    const machine1 = machineCpu();
    const self = process.cpuUsage(self0);
    clearInterval(sampler);
    const rssEnd = rssMiB(server.pid);
    rssPeak = Math.max(rssPeak, rssEnd);

    const results = await workers.all('result');
    const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
    const received = results.reduce((s, r) => s + r.received, 0);
    const generatorCpu = results.reduce((s, r) => s + r.cpuSeconds, 0) + (self.user + self.system) / 1e6;
    const busy = machine1.busy - machine0.busy;
    return {
      target: spec.label,
      n,
      run,
      held: results.reduce((s, r) => s + r.held, 0),
      failed,
      connectSeconds,
      connectCpu,
      sent: results.reduce((s, r) => s + r.sent, 0),
      received,
      lost: results.reduce((s, r) => s + r.lost, 0),
      errors: results.reduce((s, r) => s + r.errors, 0),
      msgsPerSecond: received / windowS,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      p999: percentile(latencies, 99.9),
      max: latencies[latencies.length - 1] ?? Number.NaN,
      serverCpu,
      serverCpuPct: (100 * serverCpu) / windowS,
      serverSystemShare: serverSystem / serverCpu,
      rssIdle,
      rssEnd,
      rssPeak,
      msgsPerCpuSecond: received / serverCpu,
      generatorCpuPct: (100 * generatorCpu) / windowS,
      otherCpuPct: (100 * Math.max(0, busy - serverCpu - generatorCpu)) / windowS,
      generatorLoopP99: Math.max(...results.map((r) => r.loopDelayP99)),
      loadavg,
    };
  } finally {
    workers.close();
    await server.stop();
  }
}

function runRows(results: RunResult[]): string[][] {
  return results.map((r) => [
    `${r.target} N=${r.n} #${r.run}`,
    `${r.held}/${r.n}`,
    fixed(r.msgsPerSecond, 0),
    fixed(r.p50, 2),
    fixed(r.p99, 2),
    fixed(r.p999, 1),
    fixed(r.serverCpu, 2),
    fixed(r.serverCpuPct, 0),
    fixed(100 * r.serverSystemShare, 0),
    fixed(r.rssEnd, 0),
    fixed(r.msgsPerCpuSecond, 0),
    String(r.lost),
    fixed(r.generatorCpuPct, 0),
    fixed(r.otherCpuPct, 0),
  ]);
}

function summary(results: RunResult[]): string {
  const rows: string[][] = [];
  for (const n of sizes) {
    const of = (t: string) => results.filter((r) => r.n === n && r.target === t);
    const m = (rs: RunResult[], f: (r: RunResult) => number) => median(rs.map(f));
    const s = of('socketio');
    for (const { label } of targets.filter((t) => t.server !== 'socketio')) {
      const p = of(label);
      if (p.length === 0 || s.length === 0) continue;
      const ratio = m(p, (r) => r.msgsPerCpuSecond) / m(s, (r) => r.msgsPerCpuSecond);
      const p99Ratio = m(p, (r) => r.p99) / m(s, (r) => r.p99);
      rows.push([
        `${label} N=${n}`,
        `${fixed(m(p, (r) => r.msgsPerCpuSecond), 0)} / ${fixed(m(s, (r) => r.msgsPerCpuSecond), 0)}`,
        `${fixed(ratio, 2)}x`,
        `${fixed(m(p, (r) => r.p50), 2)} / ${fixed(m(s, (r) => r.p50), 2)}`,
        `${fixed(m(p, (r) => r.p99), 1)} / ${fixed(m(s, (r) => r.p99), 1)}`,
        `${fixed(p99Ratio, 2)}x`,
        `${fixed(m(p, (r) => r.rssEnd), 0)} / ${fixed(m(s, (r) => r.rssEnd), 0)}`,
        ratio >= 2 && p99Ratio < 1 ? 'met' : 'missed',
      ]);
    }
  }
  return table(['vs socket.io', 'msgs per server CPU-s', 'ratio', 'p50 ms', 'p99 ms', 'p99 ratio', 'RSS MiB', 'goal (>=2x msgs/CPU-s, lower p99)'], rows);
}

/** The commit measured (`-dirty`: the build included uncommitted changes). */
function gitDescribe(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown commit';
  }
}

async function main(): Promise<void> {
  const scripts = await compile(join(repoRoot, 'node_modules', '.cache', 'parley-bench'));
  const key: ApiKey = { key: 'bench', secret: randomBytes(32).toString('base64url') };
  const profileDir = args.profile ? mkdtempSync(join(tmpdir(), 'parley-cpuprof-')) : undefined;
  // HEAD may have moved since dist/ was built (PARLEY_BENCH_SKIP_BUILD=1, or a shared tree).
  const cli = join(repoRoot, 'dist', 'cli.js');
  const built = existsSync(cli) ? statSync(cli).mtime.toISOString().slice(0, 19) : 'not built';
  const commit = `${gitDescribe()} (dist/ built ${built} UTC)`;
  const machine = `Parley ${commit}; ${cpus().length} x ${cpuModel()}, ${fixed(totalmem() / 2 ** 30, 1)} GiB RAM, Node ${process.version}, load average at start ${loadAverage()}`;
  if (niceness !== 0) {
    // The generator's session is the caller's shell session too: give it its priority back after.
    const before = autogroupNice(process.pid);
    process.on('exit', () => renice(process.pid, before));
    renice(process.pid, niceness);
  }
  process.stdout.write(
    `Signaling benchmark: rooms of 2, ${rate} msg/s per client, ${workerCount} generator processes, ${warmupS} s warm-up, ${durationS} s window, nice ${niceness}\n${machine}\n\n`,
  );

  const results: RunResult[] = [];
  for (const n of sizes) {
    for (let run = 1; run <= repeat; run++) {
      // Alternate which server goes first, so slow drifts of the shared machine's load even out.
      const order = run % 2 === 1 ? targets : [...targets].reverse();
      for (const spec of order) {
        process.stdout.write(`running ${spec.label} N=${n} #${run} ...\n`);
        const r = await runOne(spec, n, run, scripts, key, profileDir ? join(profileDir, spec.label) : undefined);
        results.push(r);
        process.stdout.write(
          `  held ${r.held}/${n} (connect ${fixed(r.connectSeconds, 1)} s, server ${fixed(r.connectCpu, 2)} CPU-s), ${fixed(r.msgsPerSecond, 0)} msg/s, p50 ${fixed(r.p50, 2)} ms, p99 ${fixed(r.p99, 2)} ms, server CPU ${fixed(r.serverCpuPct, 0)}%, RSS ${fixed(r.rssEnd, 0)} MiB (idle ${fixed(r.rssIdle, 0)}), ${fixed(r.msgsPerCpuSecond, 0)} msgs/CPU-s; generator ${fixed(r.generatorCpuPct, 0)}% (loop p99 ${fixed(r.generatorLoopP99, 1)} ms), others ${fixed(r.otherCpuPct, 0)}%, loadavg ${r.loadavg}\n`,
        );
      }
    }
  }

  process.stdout.write('\nRuns (CPU % = share of one core during the window; latency in ms):\n\n');
  process.stdout.write(
    `${table(['run', 'held', 'msg/s', 'p50', 'p99', 'p99.9', 'server CPU-s', 'server CPU %', 'of it kernel %', 'RSS MiB', 'msgs/CPU-s', 'lost', 'generator CPU %', 'others CPU %'], runRows(results))}\n`,
  );
  process.stdout.write(`\nSummary (medians over ${repeat} run(s)):\n\n${summary(results)}\n`);
  if (profileDir) {
    for (const { label } of targets) process.stdout.write(`\n${label} CPU profile (${join(profileDir, label)}, whole process life):\n\n${summarizeProfiles(join(profileDir, label))}\n`);
  }
  if (args.json) writeFileSync(args.json, JSON.stringify({ commit, machine, niceness, rate, durationS, warmupS, workers: workerCount, results }, null, 2));
}

// Exit through process.exit so the servers (in their own sessions) are killed on the way out.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
