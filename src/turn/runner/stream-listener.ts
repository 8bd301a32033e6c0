/** TCP and TLS listeners of the main thread: framing, one Source per connection, RFC 6062 data pipes. */
import net from 'node:net';
import tls from 'node:tls';
import type { Source } from '../core/types.js';
import { Framer } from './framing.js';

export interface StreamHooks {
  onFrame(frame: Buffer, src: Source): void;
  onClose(src: Source): void;
  onDrop(reason: string): void;
}

interface Conn {
  socket: net.Socket;
  framer: Framer;
  piped: boolean;
}

export class StreamConnections {
  private readonly conns = new Map<string, Conn>();
  private seq = 0;

  constructor(private readonly hooks: StreamHooks, private readonly maxConnections = 10_000) {}

  accept(socket: net.Socket, transport: 'tcp' | 'tls'): void {
    if (this.conns.size >= this.maxConnections) {
      this.hooks.onDrop('too_many_connections');
      return void socket.destroy();
    }
    socket.setNoDelay(true);
    // Node's TLS socket merges queued writes (writev) into one TLS record; TURN-over-TLS clients such
    // as turnutils_uclient read one message per record, so write each message as its own record.
    if (transport === 'tls') (socket as unknown as { _writev: unknown })._writev = null;
    const ip = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    const src: Source = { key: `${transport}#${++this.seq}`, transport, address: { family: ip.includes(':') ? 6 : 4, ip, port: socket.remotePort ?? 0 } };
    const framer = new Framer((f) => this.hooks.onFrame(f, src));
    const conn: Conn = { socket, framer, piped: false };
    this.conns.set(src.key, conn);
    const onData = (chunk: Buffer): void => {
      const r = framer.push(chunk);
      if (!r.ok) {
        this.hooks.onDrop(r.reason);
        socket.destroy();
      }
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => {
      this.conns.delete(src.key);
      if (!conn.piped) this.hooks.onClose(src);
    });
    (conn as Conn & { onData: typeof onData }).onData = onData;
  }

  send(to: Source, data: Buffer): void {
    const c = this.conns.get(to.key);
    if (!c || c.socket.destroyed) return;
    if (c.socket.writableLength > 4 * 1024 * 1024) return this.hooks.onDrop('tcp_backpressure');
    c.socket.write(data);
  }

  close(to: Source): void {
    this.conns.get(to.key)?.socket.end();
  }

  /** Stop framing `to` and splice it with `peer` in both directions. */
  pipe(to: Source, peer: net.Socket): void {
    const c = this.conns.get(to.key) as (Conn & { onData: (b: Buffer) => void }) | undefined;
    if (!c) return void peer.destroy();
    c.piped = true;
    c.socket.off('data', c.onData);
    const rest = c.framer.takeRest();
    if (rest.length > 0) peer.write(rest);
    c.socket.pipe(peer);
    peer.pipe(c.socket);
    c.socket.once('close', () => peer.destroy());
    peer.once('close', () => c.socket.destroy());
  }

  destroyAll(): void {
    for (const c of this.conns.values()) c.socket.destroy();
    this.conns.clear();
  }
}

export function listenTcp(ip: string, port: number, onSocket: (s: net.Socket) => void): Promise<net.Server> {
  return listen(net.createServer(onSocket), ip, port);
}

export function listenTls(ip: string, port: number, cert: Buffer, key: Buffer, onSocket: (s: net.Socket) => void): Promise<net.Server> {
  const server = tls.createServer({ cert, key, handshakeTimeout: 10_000 }, onSocket);
  server.on('tlsClientError', () => undefined);
  return listen(server, ip, port);
}

function listen(server: net.Server, ip: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: ip, port, ipv6Only: ip.includes(':') }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
