/**
 * A relay worker's client side without the native engine: the main thread forwards client datagrams
 * (postMessage) and sends for the worker until the client's allocation has a permission; then the
 * worker opens a dgram socket on the listening address (SO_REUSEADDR) connected to that client, so
 * the kernel delivers the client's packets straight to this thread.
 */
import dgram from 'node:dgram';
import type { Source } from '../core/types.js';
import { literalLookup } from './relay-ports.js';
import type { FromWorker, WorkerInit } from './worker-protocol.js';
import type { Deliver, WorkerIo } from './worker-io.js';

export function createDgramIo(init: WorkerInit, post: (m: FromWorker) => void, deliver: Deliver): WorkerIo {
  const connected = new Map<string, { socket: dgram.Socket; ready: boolean }>();

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
      if (rinfo.port === src.address.port && rinfo.address === src.address.ip) deliver(msg, src);
      else post({ t: 'stray', ip: rinfo.address, port: rinfo.port, d: msg });
    });
    socket.bind(init.listenPort, listenIp, () => {
      socket.connect(src.address.port, src.address.ip, () => {
        entry.ready = connected.get(src.key) === entry;
      });
    });
  }

  return {
    client: {
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
    close() {
      for (const c of connected.values()) c.socket.close();
      connected.clear();
    },
  };
}
