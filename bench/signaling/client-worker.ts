/**
 * One load-generator process: holds its share of the client pairs, sends at a fixed rate spread
 * evenly over each period, and measures relay latency. Both members of a pair live here, so send
 * and receive times come from the same clock. Driven by the orchestrator over IPC (ipc.ts).
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { ParleyClient, SocketIoClient, type BenchClient, type BenchPayload } from './clients.js';
import type { FromWorker, PairSpec, Target, ToWorker } from './ipc.js';

const CANDIDATE = 'candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 10.0.0.5 rport 46154 generation 0 ufrag EsAw network-id 1';
/** Each send period is cut into this many slots; a slot's clients send together. */
const SLOTS = 100;

const clients: BenchClient[] = [];
let measuring = false;
let sent = 0;
let received = 0;
let measuredArrived = 0;
let errors = 0;
const latencies: number[] = [];
let ticker: NodeJS.Timeout | undefined;
let rate = 1;
let measureStart: NodeJS.CpuUsage | undefined;
const loopDelay = monitorEventLoopDelay({ resolution: 10 });

function post(msg: FromWorker): void {
  process.send?.(msg);
}

function onPayload(p: BenchPayload): void {
  if (measuring) received++;
  if (p.m === 1) {
    measuredArrived++;
    latencies.push(performance.now() - p.t);
  }
}

function onError(): void {
  errors++;
}

function makeClient(target: Target, origin: string): BenchClient {
  return target === 'parley' ? new ParleyClient(origin, onPayload, onError) : new SocketIoClient(origin, onPayload, onError);
}

async function connectAll(target: Target, origin: string, pairs: PairSpec[], concurrency: number): Promise<void> {
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const lane = async () => {
    while (next < pairs.length) {
      const pair = pairs[next++]!;
      const a = makeClient(target, origin);
      const b = makeClient(target, origin);
      try {
        await a.join(pair.room, pair.tokens[0]);
        await b.join(pair.room, pair.tokens[1]);
        await Promise.all([a.peerReady(), b.peerReady()]);
        clients.push(a, b);
      } catch (err) {
        failed += 2;
        firstError ??= (err as Error).message;
        a.close();
        b.close();
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  post({ type: 'connected', clients: clients.length, failed, ...(firstError ? { firstError } : {}) });
}

/** Sends one message per client per period; slot k of the period holds clients k, k+SLOTS, ... */
function startSending(rate: number): void {
  const slotMs = 1000 / rate / SLOTS;
  let slot = 0;
  let due = performance.now();
  const tick = () => {
    for (let i = slot; i < clients.length; i += SLOTS) {
      const c = clients[i]!;
      if (!c.open) continue;
      c.send({ t: performance.now(), m: measuring ? 1 : 0, c: CANDIDATE });
      if (measuring) sent++;
    }
    slot = (slot + 1) % SLOTS;
    due += slotMs;
    ticker = setTimeout(tick, Math.max(0, due - performance.now()));
  };
  tick();
}

process.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'config':
      void connectAll(msg.target, msg.origin, msg.pairs, msg.concurrency);
      rate = msg.rate;
      break;
    case 'send':
      startSending(rate);
      break;
    case 'measure':
      measuring = true;
      loopDelay.reset();
      loopDelay.enable();
      measureStart = process.cpuUsage();
      post({ type: 'measuring' });
      break;
    case 'stop': {
      measuring = false;
      loopDelay.disable();
      const cpu = process.cpuUsage(measureStart);
      const held = clients.filter((c) => c.open).length;
      if (ticker) clearTimeout(ticker);
      setTimeout(() => {
        post({
          type: 'result',
          held,
          sent,
          received,
          lost: sent - measuredArrived,
          errors,
          latencies,
          loopDelayP99: loopDelay.percentile(99) / 1e6,
          cpuSeconds: (cpu.user + cpu.system) / 1e6,
        });
      }, msg.drainMs);
      break;
    }
    case 'close':
      for (const c of clients) c.close();
      process.exit(0);
  }
});
