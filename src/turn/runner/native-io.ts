/**
 * A relay worker's client side with the native engine (docs/adr/0009-native-turn-relay.md). The
 * engine binds this worker's listening sockets on the shared port with SO_REUSEPORT: the kernel
 * hashes each client address to one worker, which then owns the client from its first datagram
 * (Binding, 401 challenge, Allocate, relay), with no main-thread hop and no per-client socket. The
 * exception is an Allocate carrying a RESERVATION-TOKEN of another worker's port: it goes (through
 * the main thread) to that worker, and so does the rest of that client's traffic (pinned; a pin
 * lapses after 60 s without traffic).
 */
import { NativeTurnRelay, type NativeDatagram } from '../../native/turn-relay.js';
import { Attr, Method } from '../stun/constants.js';
import { peekAttr } from '../stun/message.js';
import type { FromWorker, WorkerInit } from './worker-protocol.js';
import { udpSource, type Deliver, type WorkerIo } from './worker-io.js';

const PIN_MS = 60_000;

export function createNativeIo(init: WorkerInit, post: (m: FromWorker) => void, deliver: Deliver): WorkerIo {
  /** Clients handled by another worker (its RESERVATION-TOKEN): key → worker, last use. */
  const pins = new Map<string, { w: number; at: number }>();

  const onDatagram = (d: NativeDatagram): void => {
    const src = udpSource(d.ip, d.port);
    let pin = pins.size > 0 ? pins.get(src.key) : undefined;
    if (!pin && d.data.length >= 20 && d.data[0] === 0x00 && d.data[1] === Method.Allocate) {
      const token = peekAttr(d.data, Attr.ReservationToken);
      const w = token && token.length === 8 ? (token[0] as number) % init.workers : init.index;
      if (w !== init.index) pins.set(src.key, (pin = { w, at: 0 }));
    }
    if (pin) {
      pin.at = Date.now();
      post({ t: 'fwd', w: pin.w, ip: d.ip, port: d.port, d: d.data });
      return;
    }
    deliver(d.data, src);
  };

  const native = NativeTurnRelay.create(onDatagram);
  if (!native) throw new Error('turn: native relay engine not available in this worker');
  for (const ip of [init.listenIp, init.listenIp6]) {
    if (ip === undefined) continue;
    const bound = native.listen(ip, init.listenPort, true);
    if (bound < 0) throw new Error(`turn: worker ${init.index} cannot listen on ${ip}:${init.listenPort} (errno ${-bound})`);
  }
  const pinTimer = setInterval(() => {
    const old = Date.now() - PIN_MS;
    for (const [k, p] of pins) if (p.at < old) pins.delete(k);
  }, 10_000);
  pinTimer.unref();

  return {
    native,
    client: {
      send(to, data) {
        native.sendFrom(to.address.ip, to.address.port, data);
      },
      close() {},
      pipe(_to, peer) {
        peer.destroy();
      },
    },
    close() {
      clearInterval(pinTimer);
      native.close();
    },
  };
}
