/**
 * TURN over DTLS (RFC 7350) on the TLS port number over UDP. Node has no DTLS: each client gets a
 * DTLS 1.2 server session from werift (pure TypeScript; ECDHE-RSA/ECDSA with AES-128-GCM), fed the
 * datagrams of its address. One DTLS application-data record carries one STUN message or
 * ChannelData, so a session is a datagram Source of its own (`dtls|ip|port`) on the main shard.
 * A session only starts after a stateless cookie exchange (dtls-cookie.ts), so spoofed sources
 * create no state; sessions are bounded (count, handshakes in progress, handshake deadline, idle
 * timeout); a failed handshake gets an alert and ends the session, never the server.
 */
import { createPrivateKey } from 'node:crypto';
import dgram from 'node:dgram';
import type { Source } from '../core/types.js';
import { CookieJar, helloVerifyRequest, parseClientHello, withoutCookie } from './dtls-cookie.js';
import { literalLookup } from './relay-ports.js';

type WeriftDtlsServer = import('werift').DtlsServer;

export interface DtlsHooks {
  onMessage(msg: Buffer, src: Source): void;
  onClose(src: Source): void;
  onDrop(reason: string): void;
}

export interface DtlsLimits {
  maxSessions: number;
  maxHandshakes: number;
  handshakeTimeoutMs: number;
  /** A session without a datagram from its client for this long is closed (allocations refresh well within it). */
  idleTimeoutMs: number;
}

/**
 * A plaintext fatal handshake_failure(40) alert record (epoch 0, DTLS 1.0 record version as in a
 * first flight), numbered after every record sent so far: the client's replay window drops a repeat.
 */
function handshakeFailure(seq: number): Buffer {
  const b = Buffer.from([21, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 40]);
  b.writeUIntBE(seq, 5, 6);
  return b;
}

const DEFAULT_LIMITS: DtlsLimits = { maxSessions: 10_000, maxHandshakes: 1_000, handshakeTimeoutMs: 10_000, idleTimeoutMs: 15 * 60_000 };

interface Session {
  readonly src: Source;
  readonly server: WeriftDtlsServer;
  /** What werift reads datagrams from (it installs its handler here). */
  readonly transport: { onData: (data: Buffer, addr: unknown) => void; closed: boolean; muted: boolean };
  connected: boolean;
  /** Highest (epoch, sequence number) of the records werift has sent (see send()). */
  readonly sent: { epoch: number; seq: number };
  started: number;
  lastSeen: number;
}

/** werift's signature/hash pair for the key: RSA or ECDSA with SHA-256; anything else cannot serve DTLS. */
export function dtlsSignature(keyPem: string): { hash: 4; signature: 1 | 3 } | { error: string } {
  let type: string | undefined;
  try {
    type = createPrivateKey(keyPem).asymmetricKeyType;
  } catch (err) {
    return { error: `the TLS key cannot be read (${(err as Error).message})` };
  }
  if (type === 'rsa') return { hash: 4, signature: 1 };
  if (type === 'ec') return { hash: 4, signature: 3 };
  return { error: `DTLS needs an RSA or ECDSA key, the TLS key is ${type ?? 'unknown'}` };
}

/** Track the highest (epoch, sequence number) over the DTLS records in an outgoing datagram (13-byte record headers). */
function noteRecords(data: Buffer, sent: { epoch: number; seq: number }): void {
  for (let off = 0; off + 13 <= data.length; off += 13 + data.readUInt16BE(off + 11)) {
    const epoch = data.readUInt16BE(off + 3);
    const seq = data.readUIntBE(off + 5, 6);
    if (epoch > sent.epoch || (epoch === sent.epoch && seq > sent.seq)) {
      sent.epoch = epoch;
      sent.seq = seq;
    }
  }
}

export class DtlsListener {
  private readonly sessions = new Map<string, Session>();
  private readonly sockets: dgram.Socket[] = [];
  private readonly timer: NodeJS.Timeout;
  private handshaking = 0;
  private readonly cookies = new CookieJar();

  private constructor(
    private readonly DtlsServer: typeof import('werift').DtlsServer,
    private readonly cert: string,
    private readonly key: string,
    private readonly signature: { hash: 4; signature: 1 | 3 },
    private readonly hooks: DtlsHooks,
    private readonly limits: DtlsLimits,
  ) {
    this.timer = setInterval(() => this.sweep(Date.now()), 1000);
    this.timer.unref();
  }

  /** Load werift (only when DTLS is on) and check the key; an error string says why DTLS cannot run. */
  static async create(cert: string, key: string, hooks: DtlsHooks, limits: Partial<DtlsLimits> = {}): Promise<DtlsListener | string> {
    const sig = dtlsSignature(key);
    if ('error' in sig) return sig.error;
    const { DtlsServer } = await import('werift');
    return new DtlsListener(DtlsServer, cert, key, sig, hooks, { ...DEFAULT_LIMITS, ...limits });
  }

  /** Bind a UDP socket for DTLS clients on ip:port. */
  listen(ip: string, port: number): Promise<dgram.Socket> {
    const v6 = ip.includes(':');
    const s = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6, lookup: literalLookup as never });
    return new Promise((resolve, reject) => {
      s.once('error', reject);
      s.bind({ address: ip, port, exclusive: true }, () => {
        s.off('error', reject);
        s.on('error', () => this.hooks.onDrop('dtls_socket_error'));
        s.on('message', (msg, rinfo) => this.datagram(s, msg, rinfo));
        this.sockets.push(s);
        resolve(s);
      });
    });
  }

  send(to: Source, data: Buffer): void {
    const s = this.sessions.get(to.key);
    if (!s?.connected) return;
    // werift (0.25) sends its Finished as epoch 1 with the epoch-0 counter (e.g. seq 7), then restarts
    // application data at seq 1: the 7th record would repeat the Finished's sequence number and
    // OpenSSL's replay window drops it. Continue after the highest sequence number sent instead.
    const d = s.server.dtls;
    if (d.epoch === s.sent.epoch && d.recordSequenceNumber < s.sent.seq) d.recordSequenceNumber = s.sent.seq;
    s.server.send(data).catch(() => this.hooks.onDrop('dtls_send_failed'));
  }

  close(to: Source): void {
    const s = this.sessions.get(to.key);
    if (s) this.end(s);
  }

  closeAll(): void {
    clearInterval(this.timer);
    for (const s of [...this.sessions.values()]) this.end(s);
    this.closeSockets();
  }

  /** Close the listening sockets (sessions stay; used when a port turns out to be taken). */
  closeSockets(): void {
    for (const s of this.sockets) s.close();
    this.sockets.length = 0;
  }

  private datagram(socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const key = `dtls|${rinfo.address}|${rinfo.port}`;
    const s = this.sessions.get(key) ?? this.start(socket, key, msg, rinfo);
    if (!s) return;
    s.lastSeen = Date.now();
    try {
      s.transport.onData(msg, [rinfo.address, rinfo.port]);
    } catch {
      this.hooks.onDrop('dtls_bad_record');
      this.end(s);
    }
  }

  /**
   * A datagram from an address without a session: a ClientHello without a cookie gets a stateless
   * HelloVerifyRequest; one with a valid cookie opens a werift session, which is first shown the
   * client's cookie-less ClientHello (its own HelloVerifyRequest muted) and then takes our cookie.
   */
  private start(socket: dgram.Socket, key: string, msg: Buffer, rinfo: dgram.RemoteInfo): Session | undefined {
    const ch = parseClientHello(msg);
    if (!ch) return void this.hooks.onDrop('dtls_no_session');
    if (ch.cookie.length === 0) {
      socket.send(helloVerifyRequest(ch, this.cookies.make(rinfo.address, rinfo.port, ch.random)), rinfo.port, rinfo.address);
      return undefined;
    }
    if (!this.cookies.verify(rinfo.address, rinfo.port, ch)) return void this.hooks.onDrop('dtls_bad_cookie');
    if (this.sessions.size >= this.limits.maxSessions || this.handshaking >= this.limits.maxHandshakes) return void this.hooks.onDrop('dtls_too_many_sessions');
    const s = this.open(socket, key, rinfo);
    s.transport.muted = true;
    try {
      s.transport.onData(withoutCookie(msg, ch), [rinfo.address, rinfo.port]);
    } catch {
      this.hooks.onDrop('dtls_bad_record');
      this.end(s);
      return undefined;
    } finally {
      s.transport.muted = false;
    }
    s.server.dtls.cookie = Buffer.from(ch.cookie);
    return s;
  }

  private open(socket: dgram.Socket, key: string, rinfo: dgram.RemoteInfo): Session {
    const sent = { epoch: 0, seq: 0 };
    const src: Source = { key, transport: 'dtls', address: { family: rinfo.family === 'IPv6' ? 6 : 4, ip: rinfo.address, port: rinfo.port } };
    const transport = {
      type: 'udp',
      address: socket.address(),
      closed: false,
      /** Swallows werift's own HelloVerifyRequest (ours went out already). */
      muted: false,
      onData: (_data: Buffer, _addr: unknown): void => undefined,
      send: async (data: Buffer): Promise<void> => {
        noteRecords(data, sent);
        if (!transport.closed && !transport.muted) socket.send(data, rinfo.port, rinfo.address);
      },
      close: async (): Promise<void> => {
        transport.closed = true;
      },
    };
    const server = new this.DtlsServer({
      transport: transport as never,
      cert: this.cert,
      key: this.key,
      signatureHash: this.signature,
      certificateRequest: false,
      extendedMasterSecret: true,
    });
    const now = Date.now();
    const session: Session = { src, server, transport, connected: false, sent, started: now, lastSeen: now };
    this.sessions.set(key, session);
    this.handshaking++;
    server.onConnect.subscribe(() => {
      if (session.connected || transport.closed) return;
      session.connected = true;
      this.handshaking--;
    });
    // application data is only decrypted once the keys are agreed; it may overtake werift's onConnect
    server.onData.subscribe((data: Buffer) => {
      if (!session.connected && !transport.closed) {
        session.connected = true;
        this.handshaking--;
      }
      if (!transport.closed) this.hooks.onMessage(data, src);
    });
    server.onError.subscribe(() => {
      this.hooks.onDrop('dtls_handshake_failed');
      // tell the client (e.g. one offering only DTLS 1.0 / CBC suites) instead of letting it retransmit
      if (!session.connected && !transport.closed) socket.send(handshakeFailure(sent.epoch === 0 ? sent.seq + 1 : 1), rinfo.port, rinfo.address);
      this.end(session);
    });
    server.onClose.subscribe(() => this.end(session));
    return session;
  }

  private end(s: Session): void {
    if (this.sessions.get(s.src.key) !== s) return;
    this.sessions.delete(s.src.key);
    if (!s.connected) this.handshaking--;
    s.transport.closed = true;
    try {
      s.server.close();
    } catch {
      // werift closes the transport only; nothing else to release
    }
    if (s.connected) this.hooks.onClose(s.src);
  }

  private sweep(now: number): void {
    for (const s of [...this.sessions.values()]) {
      if (!s.connected && now - s.started > this.limits.handshakeTimeoutMs) {
        this.hooks.onDrop('dtls_handshake_timeout');
        this.end(s);
      } else if (now - s.lastSeen > this.limits.idleTimeoutMs) this.end(s);
    }
  }
}
