/** Binding relay sockets in the configured port range (random start, linear probe), EVEN-PORT pairs. */
import dgram from 'node:dgram';
import net from 'node:net';

export interface PortRange {
  readonly ip: string;
  readonly min: number;
  readonly max: number;
}

/**
 * Relay sockets only ever send to IP literals (validated peer addresses), so skip dgram's default
 * dns.lookup + nextTick per datagram with an identity lookup.
 */
export const literalLookup = (address: string, family: unknown, callback: (err: null, address: string, family: number) => void): void =>
  callback(null, address, address.includes(':') ? 6 : 4);

/** Binds one UDP socket to ip:port, or undefined when it cannot (port taken). */
export type UdpBinder<S extends { close(): void }> = (ip: string, port: number) => Promise<S | undefined> | S | undefined;

/** The default binder: a dgram socket. */
export const bindDgram: UdpBinder<dgram.Socket> = (ip, port) =>
  new Promise((resolve) => {
    const s = dgram.createSocket({ type: ip.includes(':') ? 'udp6' : 'udp4', lookup: literalLookup as never }); // default buffers: overload drops, it does not queue seconds of media
    const fail = (): void => {
      s.close();
      resolve(undefined);
    };
    s.once('error', fail);
    s.bind({ address: ip, port, exclusive: true }, () => {
      s.off('error', fail);
      resolve(s);
    });
  });

export interface UdpRelayBinding<S> {
  socket: S;
  port: number;
  /** The socket holding port+1 for a later RESERVATION-TOKEN allocation. */
  reserved?: S;
}

/** A value now, or later when it has to wait for I/O. */
export type Eventually<T> = T | Promise<T>;

/** Calls `f` with `v` now when it is a value, else when the promise settles. */
export function whenReady<T, R>(v: Eventually<T>, f: (t: T) => Eventually<R>): Eventually<R> {
  return v instanceof Promise ? v.then(f) : f(v);
}

/**
 * Bind a UDP relay socket with `bind`; `even` asks for an even port, `reserveNext` also holds
 * port+1. Synchronous when `bind` is (the native engine's binder), so the Allocate is answered in
 * the same turn; a promise with dgram sockets.
 */
export function bindUdpRelay<S extends { close(): void }>(
  bind: UdpBinder<S>,
  r: PortRange,
  even: boolean,
  reserveNext: boolean,
  attempts = 64,
): Eventually<UdpRelayBinding<S> | undefined> {
  const span = r.max - r.min + 1;
  const attempt = (i: number): Eventually<UdpRelayBinding<S> | undefined> => {
    for (; i < attempts; i++) {
      let port = r.min + Math.floor(Math.random() * span);
      if (even && port % 2 === 1) port = port + 1 > r.max ? port - 1 : port + 1;
      if (port < r.min || (reserveNext && port + 1 > r.max)) continue;
      const next = i + 1;
      return whenReady(bind(r.ip, port), (s) => (s ? withReserved(s, port, next) : attempt(next)));
    }
    return undefined;
  };
  const withReserved = (s: S, port: number, next: number): Eventually<UdpRelayBinding<S> | undefined> => {
    if (!reserveNext) return { socket: s, port };
    return whenReady(bind(r.ip, port + 1), (reserved) => {
      if (reserved) return { socket: s, port, reserved };
      s.close();
      return attempt(next);
    });
  };
  return attempt(0);
}

export async function bindTcpRelay(r: PortRange, attempts = 64): Promise<{ server: net.Server; port: number } | undefined> {
  const span = r.max - r.min + 1;
  for (let i = 0; i < attempts; i++) {
    const port = r.min + Math.floor(Math.random() * span);
    const server = net.createServer({ pauseOnConnect: true });
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen({ host: r.ip, port, exclusive: true }, () => resolve(true));
    });
    if (ok) return { server, port };
    server.close();
  }
  return undefined;
}
