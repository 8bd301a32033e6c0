/**
 * Relay worker thread: a Shard for the UDP clients that reach it. Two modes (WorkerInit.native):
 * - native (native-io.ts): the worker's native engine binds its own listening sockets with
 *   SO_REUSEPORT, so the kernel delivers each client to one worker, and relays the data itself;
 * - dgram (dgram-io.ts): the main thread hashes clients to workers; once a client has an allocation
 *   with a permission the worker opens a dgram socket connected to it on the listening address, so
 *   its packets come straight here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SharedQuota } from '../core/quota.js';
import { mergeSnapshots } from '../metrics.js';
import { createDgramIo } from './dgram-io.js';
import { createNativeIo } from './native-io.js';
import { Shard } from './shard.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.js';
import type { Deliver, WorkerIo } from './worker-io.js';

const init = workerData as WorkerInit;
const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');

const post = (m: FromWorker): void => port.postMessage(m);
let shard: Shard | undefined;
const deliver: Deliver = (buf, src) => shard?.fromClient(buf, src);
const io: WorkerIo = init.native ? createNativeIo(init, post, deliver) : createDgramIo(init, post, deliver);

shard = new Shard({
  core: { ...init.core, quota: new SharedQuota(init.quotaBuffer, init.maxPerUser, init.maxTotal), nonceKey: Buffer.from(init.nonceKey) },
  range: init.range,
  advertisedIp: init.advertisedIp,
  range6: init.range6,
  advertisedIp6: init.advertisedIp6,
  index: init.index,
  io: io.client,
  native: io.native,
});
const running = shard;

port.on('message', (m: ToWorker) => {
  if (m.t === 'pkt') {
    const buf = Buffer.from(m.d.buffer, m.d.byteOffset, m.d.byteLength);
    running.fromClient(buf, { key: `udp|${m.ip}|${m.port}`, transport: 'udp', address: { family: m.ip.includes(':') ? 6 : 4, ip: m.ip, port: m.port } });
  } else if (m.t === 'close') {
    void running.close().then(() => {
      io.close();
      clearInterval(statsTimer);
      port.close();
    });
  }
});

const statsTimer = setInterval(() => {
  const s = running.core.stats.snapshot();
  const n = io.native?.stats();
  post({ t: 'stats', s: n ? mergeSnapshots([s, { ...n, allocationsCreated: 0, allocationsActive: 0, authFailures: {}, refusedPeers: {} }]) : s });
}, 1000);
post({ t: 'ready' });
