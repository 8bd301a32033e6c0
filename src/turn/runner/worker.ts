/**
 * Relay worker thread: a Shard for the UDP clients the main thread hashes to it. Once a client has
 * an allocation, the worker opens a UDP socket on the listening address (SO_REUSEADDR) connected to
 * that client, so the kernel delivers the client's packets straight to this thread and the whole
 * relay path (client socket + relay socket) runs here without the main thread.
 */
import dgram from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import type { Source } from '../core/types.js';
import { SharedQuota } from '../core/quota.js';
import { literalLookup } from './relay-ports.js';
import { Shard } from './shard.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.js';

const init = workerData as WorkerInit;
const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');

const post = (m: FromWorker): void => port.postMessage(m);
const connected = new Map<string, { socket: dgram.Socket; ready: boolean }>();

const shard = new Shard({
  core: { ...init.core, quota: new SharedQuota(init.quotaBuffer, init.maxPerUser, init.maxTotal), nonceKey: Buffer.from(init.nonceKey) },
  range: init.range,
  advertisedIp: init.advertisedIp,
  range6: init.range6,
  advertisedIp6: init.advertisedIp6,
  index: init.index,
  io: {
    send(to, data) {
      const c = connected.get(to.key);
      if (c?.ready) c.socket.send(data);
      else post({ t: 'send', ip: to.address.ip, port: to.address.port, d: data });
    },
    close() {},
    pipe(_to, peer) {
      peer.destroy();
    },
    allocationActive(src) {
      openConnected(src);
    },
    allocationGone(src) {
      const c = connected.get(src.key);
      connected.delete(src.key);
      c?.socket.close();
    },
  },
});

function openConnected(src: Source): void {
  const listenIp = src.address.family === 6 ? init.listenIp6 : init.listenIp;
  if (connected.has(src.key) || listenIp === undefined) return;
  const v6 = listenIp.includes(':');
  const socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6, reuseAddr: true, lookup: literalLookup as never });
  const entry = { socket, ready: false };
  connected.set(src.key, entry);
  socket.on('error', () => {
    if (connected.get(src.key) === entry) connected.delete(src.key);
    socket.close();
  });
  socket.on('message', (msg, rinfo) => {
    // Between bind() and connect() the kernel may hand this socket datagrams of any client: give those back.
    if (rinfo.port === src.address.port && rinfo.address === src.address.ip) shard.fromClient(msg, src);
    else post({ t: 'stray', ip: rinfo.address, port: rinfo.port, d: msg });
  });
  socket.bind(init.listenPort, listenIp, () => {
    socket.connect(src.address.port, src.address.ip, () => {
      entry.ready = connected.get(src.key) === entry;
    });
  });
}

port.on('message', (m: ToWorker) => {
  if (m.t === 'pkt') {
    const buf = Buffer.from(m.d.buffer, m.d.byteOffset, m.d.byteLength);
    shard.fromClient(buf, { key: `udp|${m.ip}|${m.port}`, transport: 'udp', address: { family: m.ip.includes(':') ? 6 : 4, ip: m.ip, port: m.port } });
  } else if (m.t === 'close') {
    void shard.close().then(() => {
      for (const c of connected.values()) c.socket.close();
      connected.clear();
      clearInterval(statsTimer);
      port.close();
    });
  }
});

const statsTimer = setInterval(() => post({ t: 'stats', s: shard.core.stats.snapshot() }), 1000);
post({ t: 'ready' });
