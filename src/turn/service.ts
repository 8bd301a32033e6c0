/**
 * The socket runner: UDP, TCP and TLS listeners, relay workers, metrics. Thin: every protocol
 * decision is TurnCore's; this file only moves bytes and applies actions (through Shard).
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import { nativeTurnRelayAvailable } from '../native/turn-relay.js';
import { ParleyError } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import { parseUsers } from './core/auth.js';
import { SharedQuota } from './core/quota.js';
import type { StatsSnapshot } from './core/stats.js';
import type { CoreOptions, Source } from './core/types.js';
import { mergeSnapshots, registerTurnMetrics } from './metrics.js';
import { advertisedAddress, canBind, ipv6RelayAddress } from './runner/addresses.js';
import { literalLookup, type PortRange } from './runner/relay-ports.js';
import { Shard } from './runner/shard.js';
import { DtlsListener } from './runner/dtls-listener.js';
import { listenTcp, listenTls, StreamConnections } from './runner/stream-listener.js';
import type { FromWorker, ToWorker, WorkerInit } from './runner/worker-protocol.js';
import { Attr, Method } from './stun/constants.js';
import { getAttr, parse } from './stun/message.js';

/** server.ts advertises the same address in its ICE candidates. */
export { advertisedAddress } from './runner/addresses.js';

export interface TurnServiceOptions {
  config: Config['turn'];
  secret: string;
  /** PEM file paths */
  tls?: { cert: string; key: string };
  logger: Logger;
  registry: Registry;
  /** The SFU's media endpoints, which clients may relay to (policy.ts internalPeers). */
  internalPeers?: { readonly addresses: readonly string[]; readonly portMin: number; readonly portMax: number };
}

export interface TurnService {
  start(): Promise<void>;
  close(): Promise<void>;
  /** Actual bound ports (config may say 0). */
  readonly ports: { udp: number; tcp: number; tls?: number };
  /** Whether UDP clients are served by the native relay engine in the workers (turn.native, addon built). */
  readonly native: boolean;
}

/** Start a relay worker; from TypeScript sources (tests, `npm run dev`) through tsx's loader. */
function startWorker(workerData: WorkerInit): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./runner/worker.js', import.meta.url), { workerData });
  const url = new URL('./runner/worker.ts', import.meta.url).href;
  const boot = `(async () => { const { register } = await import('tsx/esm/api'); register(); await import(${JSON.stringify(url)}); })();`;
  return new Worker(boot, { eval: true, workerData });
}

export function createTurnService(opts: TurnServiceOptions): TurnService {
  return new EmbeddedTurn(opts);
}

class EmbeddedTurn implements TurnService {
  ports: { udp: number; tcp: number; tls?: number } = { udp: 0, tcp: 0 };
  native = false;
  private readonly log: Logger;
  private udp: dgram.Socket | undefined;
  private udp6: dgram.Socket | undefined;
  private dtls: DtlsListener | undefined;
  private servers: net.Server[] = [];
  private streams: StreamConnections | undefined;
  private shard: Shard | undefined;
  private workers: Worker[] = [];
  private workerStats: StatsSnapshot[] = [];
  private readonly pins = new Map<string, { w: number; at: number }>();
  private pinTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: TurnServiceOptions) {
    this.log = opts.logger.child({ module: 'turn' });
  }

  async start(): Promise<void> {
    const c = this.opts.config;
    if (c.allowLoopbackPeers) this.log.warn('turn.allowLoopbackPeers is on: loopback peers are relayed (tests only)');
    const quotaBuffer = SharedQuota.buffer();
    const nonceKey = randomBytes(20);
    const core: Omit<CoreOptions, 'quota' | 'nonceKey'> = {
      realm: c.realm,
      users: parseUsers(c.users),
      secret: this.opts.secret,
      software: c.software,
      allowLoopbackPeers: c.allowLoopbackPeers,
      allowPeers: c.allowPeers,
      denyPeers: c.denyPeers,
      internalPeers: this.opts.internalPeers,
      maxPermissionsPerAllocation: c.maxPermissionsPerAllocation,
      maxBitrate: c.maxBitrate,
      ipv6Relay: false,
    };
    const range = { ip: c.relayIp ?? c.listenIp, min: c.relayPortMin, max: c.relayPortMax };
    const advertisedIp = advertisedAddress(c);
    const range6 = await this.ipv6Range(c);
    const advertisedIp6 = range6 && (c.publicIp6 ?? range6.ip);
    core.ipv6Relay = range6 !== undefined;
    const nWorkers = c.workers > 0 ? c.workers : os.availableParallelism() > 1 ? os.availableParallelism() : 0;
    this.native = c.native && nWorkers > 0 && nativeTurnRelayAvailable();

    // UDP and TCP share one port; with port 0 pick one that is free for both
    const streams = new StreamConnections({
      onFrame: (f, src) => this.shard?.fromClient(f, src),
      onClose: (src) => this.shard?.clientClosed(src),
      onDrop: (reason) => this.shard?.core.stats.drop(reason),
    });
    this.streams = streams;
    let udp: dgram.Socket | undefined;
    let udp6: dgram.Socket | undefined;
    for (let attempt = 0; !udp; attempt++) {
      const u = await bindListener(c.listenIp, c.port);
      const port = u.address().port;
      const bound: net.Server[] = [];
      let u6: dgram.Socket | undefined;
      try {
        bound.push(await listenTcp(c.listenIp, port, (s) => streams.accept(s, 'tcp')));
        if (c.listenIp6) {
          u6 = await bindListener(c.listenIp6, port);
          bound.push(await listenTcp(c.listenIp6, port, (s) => streams.accept(s, 'tcp')));
        }
        this.servers.push(...bound);
        udp = u;
        udp6 = u6;
      } catch (err) {
        u.close();
        u6?.close();
        for (const b of bound) b.close();
        if (c.port !== 0 || attempt >= 20) throw err;
      }
    }
    this.udp = udp;
    this.udp6 = udp6;
    udp.on('error', (err) => this.log.warn({ err }, 'turn udp socket error'));
    udp6?.on('error', (err) => this.log.warn({ err }, 'turn udp6 socket error'));
    const udpPort = udp.address().port;
    const sendUdp = (data: Uint8Array, port: number, ip: string): void => {
      if (!ip.includes(':')) udp.send(data, port, ip);
      else udp6?.send(data, port, ip);
    };

    this.shard = new Shard({
      core: { ...core, quota: new SharedQuota(quotaBuffer, c.maxAllocationsPerUser, c.maxAllocations), nonceKey },
      range,
      advertisedIp,
      range6,
      advertisedIp6,
      index: 255,
      io: {
        send: (to: Source, data: Buffer) => {
          if (to.transport === 'udp') sendUdp(data, to.address.port, to.address.ip);
          else if (to.transport === 'dtls') this.dtls?.send(to, data);
          else streams.send(to, data);
        },
        close: (to) => (to.transport === 'dtls' ? this.dtls?.close(to) : streams.close(to)),
        pipe: (to, peer) => streams.pipe(to, peer),
      },
    });
    const shard = this.shard;

    this.ports = { udp: udpPort, tcp: udpPort };
    if (this.opts.tls) await this.startTls(c, this.opts.tls, streams);

    for (let i = 0; i < nWorkers; i++) {
      const init: WorkerInit = {
        core, quotaBuffer, maxPerUser: c.maxAllocationsPerUser, maxTotal: c.maxAllocations, nonceKey,
        range, advertisedIp, range6, advertisedIp6, index: i, listenIp: c.listenIp, listenIp6: c.listenIp6, listenPort: udpPort,
        native: this.native, workers: nWorkers,
      };
      const w = startWorker(init);
      this.workerStats.push(shard.core.stats.snapshot());
      w.on('message', (m: FromWorker) => {
        if (m.t === 'send') sendUdp(m.d, m.port, m.ip);
        else if (m.t === 'stray') this.onUdp(Buffer.from(m.d.buffer, m.d.byteOffset, m.d.byteLength), { address: m.ip, port: m.port, family: m.ip.includes(':') ? 'IPv6' : 'IPv4', size: m.d.byteLength });
        else if (m.t === 'stats') this.workerStats[i] = m.s;
        else if (m.t === 'fwd') this.workers[m.w]?.postMessage({ t: 'pkt', d: m.d, ip: m.ip, port: m.port } satisfies ToWorker);
      });
      w.on('error', (err) => this.log.error({ err, worker: i }, 'turn relay worker failed'));
      await new Promise<void>((resolve, reject) => {
        w.once('error', reject);
        w.once('message', () => resolve());
      });
      this.workers.push(w);
    }
    this.workerStats = this.workerStats.map((s) => ({ ...s, allocationsCreated: 0, allocationsActive: 0, packetsToPeer: 0, bytesToPeer: 0, packetsToClient: 0, bytesToClient: 0, authFailures: {}, refusedPeers: {}, drops: {} }));

    if (this.native) {
      // the workers' SO_REUSEPORT sockets are bound on the port now: the main thread takes no UDP
      await Promise.all([udp, udp6].map((u) => new Promise<void>((resolve) => (u ? u.close(() => resolve()) : resolve()))));
      this.udp = undefined;
      this.udp6 = undefined;
    } else {
      udp.on('message', (msg, rinfo) => this.onUdp(msg, rinfo));
      udp6?.on('message', (msg, rinfo) => this.onUdp(msg, rinfo));
    }
    this.pinTimer = setInterval(() => {
      const old = Date.now() - 60_000;
      for (const [k, p] of this.pins) if (p.at < old) this.pins.delete(k);
    }, 10_000);
    this.pinTimer.unref();

    registerTurnMetrics(this.opts.registry, () => mergeSnapshots([shard.core.stats.snapshot(), ...this.workerStats]));
    this.log.info({ ports: this.ports, workers: nWorkers, native: this.native, relay: range, advertisedIp, relay6: range6, advertisedIp6 }, 'turn server listening');
  }

  /**
   * TLS listeners (TCP) and, unless turn.dtls is off, DTLS (RFC 7350) on the same port number over
   * UDP; with port 0 both must get the same free number.
   */
  private async startTls(c: Config['turn'], files: { cert: string; key: string }, streams: StreamConnections): Promise<void> {
    const [cert, key] = [readFileSync(files.cert), readFileSync(files.key)];
    let dtls: DtlsListener | undefined;
    if (c.dtls) {
      const made = await DtlsListener.create(cert.toString('utf8'), key.toString('utf8'), {
        onMessage: (msg, src) => this.shard?.fromClient(msg, src),
        onClose: (src) => this.shard?.clientClosed(src),
        onDrop: (reason) => this.shard?.core.stats.drop(reason),
      });
      if (typeof made === 'string') this.log.warn(`turn: no DTLS on the TLS port: ${made}`);
      else dtls = made;
    }
    for (let attempt = 0; ; attempt++) {
      const tls = await listenTls(c.listenIp, c.tlsPort, cert, key, (s) => streams.accept(s, 'tls'));
      const a = tls.address();
      const port = typeof a === 'object' && a ? a.port : c.tlsPort;
      const bound: net.Server[] = [tls];
      try {
        if (c.listenIp6) bound.push(await listenTls(c.listenIp6, port, cert, key, (s) => streams.accept(s, 'tls')));
        if (dtls) {
          await dtls.listen(c.listenIp, port);
          if (c.listenIp6) await dtls.listen(c.listenIp6, port);
        }
      } catch (err) {
        for (const b of bound) b.close();
        dtls?.closeSockets();
        if (c.tlsPort !== 0 || attempt >= 20) throw err;
        continue;
      }
      this.servers.push(...bound);
      this.ports.tls = port;
      this.dtls = dtls;
      return;
    }
  }

  /** The IPv6 relay port range, if the host has a usable IPv6 relay address (a configured one must bind). */
  private async ipv6Range(c: Config['turn']): Promise<PortRange | undefined> {
    const ip = ipv6RelayAddress(c);
    if (!ip) return undefined;
    if (!(await canBind(ip))) {
      if (c.relayIp6 !== 'auto') throw new ParleyError('CONFIG_INVALID', `turn.relayIp6 (PARLEY_TURN_RELAY_IP6): cannot bind ${ip} (not an address of this host?)`);
      this.log.warn({ ip }, 'turn: IPv6 relay address not bindable, IPv6 relays disabled (440)');
      return undefined;
    }
    return { ip, min: c.relayPortMin, max: c.relayPortMax };
  }

  /** Datagrams on the shared listening socket: Binding here, everything else to the client's worker. */
  private onUdp(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const shard = this.shard;
    if (!shard) return;
    const ip = rinfo.address;
    const key = `udp|${ip}|${rinfo.port}`;
    if (this.workers.length === 0 || (msg.length >= 20 && msg[0] === 0x00 && msg[1] === 0x01)) {
      return shard.fromClient(msg, { key, transport: 'udp', address: { family: rinfo.family === 'IPv6' ? 6 : 4, ip, port: rinfo.port } });
    }
    let w = this.pins.get(key)?.w;
    if (w === undefined && msg.length >= 20 && (msg[0] as number) < 0x40 && (msg.readUInt16BE(0) & 0x0110) === 0) {
      const p = parse(msg);
      // Unauthenticated requests only earn a 401 challenge (stateless nonce): answer here, no thread hop.
      if (p.ok && p.msg.integrityAt < 0) {
        return shard.fromClient(msg, { key, transport: 'udp', address: { family: rinfo.family === 'IPv6' ? 6 : 4, ip, port: rinfo.port } });
      }
      // Allocate with RESERVATION-TOKEN goes to the worker holding the reserved port (token byte 0)
      const token = p.ok && p.msg.method === Method.Allocate ? getAttr(p.msg, Attr.ReservationToken) : undefined;
      if (token && token.length === 8) {
        w = (token[0] as number) % this.workers.length;
        this.pins.set(key, { w, at: Date.now() });
      }
    }
    w ??= hashKey(ip, rinfo.port) % this.workers.length;
    const m: ToWorker = { t: 'pkt', d: msg, ip, port: rinfo.port };
    this.workers[w]?.postMessage(m);
  }

  async close(): Promise<void> {
    if (this.pinTimer) clearInterval(this.pinTimer);
    await Promise.all(this.workers.map((w) => new Promise<void>((resolve) => {
      const t = setTimeout(() => void w.terminate().then(() => resolve()), 2000);
      w.once('exit', () => (clearTimeout(t), resolve()));
      w.postMessage({ t: 'close' } satisfies ToWorker);
    })));
    this.workers = [];
    this.streams?.destroyAll();
    this.dtls?.closeAll();
    this.dtls = undefined;
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.servers = [];
    await this.shard?.close();
    await Promise.all([this.udp, this.udp6].map((u) => new Promise<void>((resolve) => (u ? u.close(() => resolve()) : resolve()))));
    this.udp = undefined;
    this.udp6 = undefined;
  }
}

function bindListener(ip: string, port: number): Promise<dgram.Socket> {
  const udp = dgram.createSocket({ type: ip.includes(':') ? 'udp6' : 'udp4', ipv6Only: ip.includes(':'), reuseAddr: true, lookup: literalLookup as never, recvBufferSize: 1 << 20, sendBufferSize: 1 << 20 });
  return new Promise((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, ip, () => {
      udp.off('error', reject);
      resolve(udp);
    });
  });
}

function hashKey(ip: string, port: number): number {
  let h = 0x811c9dc5 ^ port;
  for (let i = 0; i < ip.length; i++) h = Math.imul(h ^ ip.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}
