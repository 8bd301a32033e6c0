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

const bindUdp = (ip: string, port: number): Promise<dgram.Socket | undefined> =>
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

export interface UdpRelayBinding {
  socket: dgram.Socket;
  port: number;
  /** The socket holding port+1 for a later RESERVATION-TOKEN allocation. */
  reserved?: dgram.Socket;
}

/** Bind a UDP relay socket; `even` asks for an even port, `reserveNext` also holds port+1. */
export async function bindUdpRelay(r: PortRange, even: boolean, reserveNext: boolean, attempts = 64): Promise<UdpRelayBinding | undefined> {
  const span = r.max - r.min + 1;
  for (let i = 0; i < attempts; i++) {
    let port = r.min + Math.floor(Math.random() * span);
    if (even && port % 2 === 1) port = port + 1 > r.max ? port - 1 : port + 1;
    if (port < r.min || (reserveNext && port + 1 > r.max)) continue;
    const s = await bindUdp(r.ip, port);
    if (!s) continue;
    if (!reserveNext) return { socket: s, port };
    const next = await bindUdp(r.ip, port + 1);
    if (next) return { socket: s, port, reserved: next };
    s.close();
  }
  return undefined;
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
