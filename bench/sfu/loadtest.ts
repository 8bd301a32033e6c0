/**
 * SFU load tester: N publishers (libwebrtc, real VP8) and M subscribers (libdatachannel) against a
 * Parley server, or Janus's VideoRoom with --janus. Prints one progress line a second and a
 * report; --json writes the report as JSON.
 *
 *   npx tsx bench/sfu/loadtest.ts --spawn --subscribers 20 [--cpu-prof /tmp/prof]
 *   npx tsx bench/sfu/loadtest.ts --url http://127.0.0.1:7880 --dev --subscribers 20
 *   npx tsx bench/sfu/loadtest.ts --url http://10.77.0.2:7880 --api-key K --api-secret S --server-pid 1234
 *   npx tsx bench/sfu/loadtest.ts --janus http://10.77.0.2:8088/janus --server-pid 4321
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatProgress, formatReport, loadNdc, runLoadtest, type ParleyAuth, type SfuTarget, type ParleyTargetOptions } from '../../src/loadtest/index.js';
import { janusTarget } from './janus.js';
import { spawnParley, type SpawnedParley } from './spawn-parley.js';

const { values: a } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:7880' },
    room: { type: 'string', default: `loadtest-${Date.now().toString(36)}` },
    dev: { type: 'boolean', default: false },
    'api-key': { type: 'string', default: process.env.PARLEY_API_KEY },
    'api-secret': { type: 'string', default: process.env.PARLEY_API_SECRET },
    spawn: { type: 'boolean', default: false },
    /** With --spawn: write a V8 CPU profile of the server into this folder (summarise with bench/signaling/profile-summary.ts). */
    'cpu-prof': { type: 'string' },
    janus: { type: 'string' },
    publishers: { type: 'string', default: '1' },
    subscribers: { type: 'string', default: '10' },
    duration: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '10' },
    bitrate: { type: 'string', default: '1500000' },
    width: { type: 'string', default: '640' },
    height: { type: 'string', default: '360' },
    fps: { type: 'string', default: '30' },
    'server-pid': { type: 'string' },
    bind: { type: 'string' },
    json: { type: 'string' },
    'per-subscriber': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});

let spawned: SpawnedParley | undefined;
let target: SfuTarget | ParleyTargetOptions;
let serverPid = a['server-pid'] ? Number(a['server-pid']) : undefined;
if (a.janus) {
  target = janusTarget({ url: a.janus });
} else {
  if (a.spawn) {
    spawned = await spawnParley(a['cpu-prof'] ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${a['cpu-prof']}`] } : {});
    serverPid = spawned.pid;
    console.log(`started parley at ${spawned.url} (pid ${spawned.pid})`);
  }
  const key = spawned ? { apiKey: spawned.apiKey, apiSecret: spawned.apiSecret } : a['api-key'] && a['api-secret'] && !a.dev ? { apiKey: a['api-key'], apiSecret: a['api-secret'] } : undefined;
  const auth: ParleyAuth = key ? { kind: 'key', ...key } : { kind: 'dev' };
  target = { url: spawned?.url ?? a.url, room: a.room, auth };
}

const abort = new AbortController();
process.once('SIGINT', () => abort.abort());
let code = 0;
try {
  const report = await runLoadtest({
    target,
    publishers: Number(a.publishers),
    subscribers: Number(a.subscribers),
    durationSeconds: Number(a.duration),
    warmupSeconds: Number(a.warmup),
    connectConcurrency: Number(a.concurrency),
    video: { width: Number(a.width), height: Number(a.height), fps: Number(a.fps), maxBitrate: Number(a.bitrate) },
    ...(serverPid ? { serverPid } : {}),
    ...(a.bind ? { bindAddress: a.bind } : {}),
    signal: abort.signal,
    onProgress: (p) => a.quiet || console.log(formatProgress(p)),
  });
  console.log(formatReport(report, { perSubscriber: a['per-subscriber'] }));
  if (a.json) writeFileSync(a.json, JSON.stringify(report, null, 2));
} catch (err) {
  console.error(`loadtest failed: ${err instanceof Error ? err.message : String(err)}`);
  code = 1;
} finally {
  await spawned?.stop();
  loadNdc().cleanup();
}
process.exit(code);
