/**
 * A shard: one TurnCore plus the relay sockets it owns; applies the core's actions. The main thread
 * runs one shard (TCP/TLS clients, and UDP clients when there are no workers); each relay worker
 * runs one for the UDP clients hashed to it. Client-side I/O is injected (ClientIo).
 */
import { randomBytes } from 'node:crypto';
import type dgram from 'node:dgram';
import net from 'node:net';
import { NativeRelaySocket, type NativeTurnRelay, type RelaySocket } from '../../native/turn-relay.js';
import type { TransportAddress } from '../stun/address.js';
import { Method } from '../stun/constants.js';
import { TurnCore } from '../core/core.js';
import type { Action, CoreOptions, Source } from '../core/types.js';
import { bindDgram, bindTcpRelay, bindUdpRelay, whenReady, type Eventually, type PortRange, type UdpBinder } from './relay-ports.js';

export interface ClientIo {
  send(to: Source, data: Buffer): void;
  close(to: Source): void;
  /** RFC 6062: make the client connection `to` a raw pipe to `peer`. */
  pipe(to: Source, peer: net.Socket): void;
  /**
   * A UDP allocation got its first permission, i.e. is about to relay / went away (workers open a
   * connected socket for it then: allocations that never relay, such as probes, cost no socket).
   */
  allocationActive?(src: Source, alloc: number): void;
  allocationGone?(src: Source): void;
}

interface Relay {
  udp4?: dgram.Socket | undefined;
  udp6?: dgram.Socket | undefined;
  tcp?: net.Server;
  src: Source;
  /** The native engine holds this UDP allocation's relay sockets and relays its data itself. */
  native?: boolean;
}

interface Reserved {
  socket: RelaySocket;
  family: 4 | 6;
  port: number;
  expires: number;
}

const isDgram = (s: RelaySocket | undefined): s is dgram.Socket | undefined => !(s instanceof NativeRelaySocket);

const udpFor = (r: Relay | undefined, family: 4 | 6): dgram.Socket | undefined => (family === 6 ? r?.udp6 : r?.udp4);

interface PeerConn {
  socket: net.Socket;
  pending: Buffer[];
}

const TOKEN_TTL_MS = 30_000;

type OpenRelay = Extract<Action, { kind: 'openRelay' }>;

/** A bound UDP relay socket, its port and family (and the RESERVATION-TOKEN of the port it reserved). */
interface BoundRelay {
  socket: RelaySocket;
  port: number;
  family: 4 | 6;
  token?: Buffer | undefined;
}

export interface ShardOptions {
  core: CoreOptions;
  range: PortRange;
  /** Address put in XOR-RELAYED-ADDRESS (public IP behind 1:1 NAT), default range.ip. */
  advertisedIp: string;
  /** IPv6 relay sockets (RFC 6156 / RFC 8656 §7.2); without it IPv6 relays get 440. */
  range6?: PortRange | undefined;
  advertisedIp6?: string | undefined;
  /** Shard index, stored in the first byte of RESERVATION-TOKENs so the dispatcher can route them. */
  index: number;
  io: ClientIo;
  onDrop?: (reason: string) => void;
  /**
   * The thread's native relay engine (src/native/turn-relay.ts): UDP allocations of UDP clients
   * hand their relay sockets to it, and the shard installs their permissions and channels there.
   */
  native?: NativeTurnRelay | undefined;
}

export class Shard {
  readonly core: TurnCore;
  private readonly relays = new Map<number, Relay>();
  /** UDP allocations announced to io.allocationActive (those with a permission). */
  private readonly relaying = new Set<number>();
  private readonly tokens = new Map<string, Reserved>();
  private readonly peerConns = new Map<number, PeerConn>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  /** Relay sockets: bound by the native engine in native mode (UDP clients only), else dgram sockets. */
  private readonly binder: UdpBinder<RelaySocket>;

  constructor(private readonly o: ShardOptions) {
    this.core = new TurnCore(o.core);
    const n = o.native;
    this.binder = n ? (ip, port) => n.bind(ip, port) : bindDgram;
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  /** A packet (datagram or frame) from a client. */
  fromClient(buf: Buffer, src: Source): void {
    const b0 = buf[0];
    if (b0 !== undefined && b0 >= 0x40 && b0 <= 0x7f) {
      const r = this.core.channelRelay(buf, src, Date.now());
      if (r && r.kind === 'relay') this.toPeer(r.alloc, r.peer, r.data);
      return;
    }
    const actions = this.core.handle(buf, src, Date.now());
    for (let i = 0; i < actions.length; i++) this.apply(actions[i] as Action);
    // CreatePermission and ChannelBind change what may be relayed: the native engine relays what the core allows
    if (this.o.native && buf.length >= 20 && b0 === 0x00 && (buf[1] === Method.CreatePermission || buf[1] === Method.ChannelBind)) this.installNative(src);
    if (this.o.io.allocationActive && src.transport === 'udp') {
      const a = this.core.allocationOf(src);
      if (a && a.permissions.size > 0 && !this.relaying.has(a.id) && this.relays.has(a.id)) {
        this.relaying.add(a.id);
        this.o.io.allocationActive(src, a.id);
      }
    }
  }

  clientClosed(src: Source): void {
    for (const a of this.core.sourceClosed(src)) this.apply(a);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    for (const id of [...this.relays.keys()]) this.closeRelay(id);
    for (const t of this.tokens.values()) t.socket.close();
    this.tokens.clear();
    for (const c of this.peerConns.values()) c.socket.destroy();
    this.peerConns.clear();
  }

  private tick(): void {
    const now = Date.now();
    for (const a of this.core.tick(now)) this.apply(a);
    for (const [k, t] of this.tokens) if (t.expires <= now) (t.socket.close(), this.tokens.delete(k));
  }

  private apply(a: Action): void {
    switch (a.kind) {
      case 'send':
        this.o.io.send(a.to, a.data);
        return;
      case 'relay':
        this.toPeer(a.alloc, a.peer, a.data);
        return;
      case 'openRelay':
        this.openRelay(a);
        return;
      case 'closeRelay':
        this.closeRelay(a.alloc);
        return;
      case 'tcpConnect':
        this.tcpConnect(a.alloc, a.connectionId, a.peer);
        return;
      case 'tcpBind': {
        const c = this.peerConns.get(a.connectionId);
        if (!c) return this.o.io.close(a.to);
        for (const b of c.pending) this.o.io.send(a.to, b);
        c.pending = [];
        this.o.io.pipe(a.to, c.socket);
        c.socket.resume();
        return;
      }
      case 'tcpClose': {
        this.peerConns.get(a.connectionId)?.socket.destroy();
        this.peerConns.delete(a.connectionId);
        return;
      }
      case 'closeSource':
        this.o.io.close(a.to);
        return;
    }
  }

  private rangeFor(family: 4 | 6): PortRange | undefined {
    return family === 4 ? this.o.range : this.o.range6;
  }

  private advertised(family: 4 | 6, port: number): TransportAddress {
    const ip = family === 4 ? this.o.advertisedIp : (this.o.advertisedIp6 ?? this.o.range6?.ip ?? '::');
    return { family, ip, port };
  }

  /** Binds the allocation's relay socket(s): in this turn with the native engine's binder, later with dgram or TCP. */
  private openRelay(a: OpenRelay): void {
    const id = a.alloc;
    const src = this.core.allocation(id)?.source;
    if (!src) return;
    const [primary = 4, additional] = a.families;
    const range = this.rangeFor(primary);
    if (!range) return this.relayFailed(id, 440);
    if (a.transport === 'tcp') return void this.openTcpRelay(id, src, primary, range);
    void whenReady(this.bindFirst(a, primary, range), (first) => {
      const r6 = first && additional !== undefined ? this.rangeFor(additional) : undefined;
      return whenReady(r6 && bindUdpRelay(this.binder, r6, a.evenPort, false), (second) => {
        const extra = second && additional !== undefined ? { socket: second.socket, port: second.port, family: additional } : undefined;
        const additionalError = first && additional !== undefined && !second ? (r6 ? 508 : 440) : undefined;
        this.udpRelayBound(id, src, first, extra, additionalError);
      });
    });
  }

  private relayFailed(id: number, code: 440 | 508): void {
    this.applyAll(this.core.relayOpened(id, { ok: false, code }, Date.now()));
  }

  private async openTcpRelay(id: number, src: Source, family: 4 | 6, range: PortRange): Promise<void> {
    const b = await bindTcpRelay(range);
    if (!b || this.closed) return (b?.server.close(), this.relayFailed(id, 508));
    this.relays.set(id, { tcp: b.server, src });
    b.server.on('connection', (s) => this.tcpIncoming(id, s));
    this.applyAll(this.core.relayOpened(id, { ok: true, relays: [this.advertised(family, b.port)] }, Date.now()));
  }

  /** The UDP relay socket(s) are bound (or the first could not be): hand them to the engine or listen, then answer. */
  private udpRelayBound(id: number, src: Source, first: BoundRelay | undefined, second: BoundRelay | undefined, additionalError: 440 | 508 | undefined): void {
    if (!first || this.closed) {
      first?.socket.close();
      second?.socket.close();
      return this.relayFailed(id, 508);
    }
    const relay: Relay = { src };
    const relays = [this.advertised(first.family, first.port)];
    if (second) relays.push(this.advertised(second.family, second.port));
    if (!this.adoptNative(id, relay, first, second)) {
      const [s1, s2] = [first.socket, second?.socket];
      if (!isDgram(s1) || !isDgram(s2)) {
        s1.close();
        s2?.close();
        return this.relayFailed(id, 508);
      }
      this.listen(id, relay, s1, first.family);
      if (s2 && second) this.listen(id, relay, s2, second.family);
    }
    this.relays.set(id, relay);
    this.applyAll(this.core.relayOpened(id, { ok: true, relays, token: first.token, additionalError }, Date.now()));
  }

  /** The UDP relay socket of the first family: a reserved one (RESERVATION-TOKEN) or a fresh bind (EVEN-PORT, R bit). */
  private bindFirst(a: OpenRelay, family: 4 | 6, range: PortRange): Eventually<BoundRelay | undefined> {
    if (a.token) {
      const key = a.token.toString('hex');
      const t = this.tokens.get(key);
      this.tokens.delete(key);
      // the token's socket decides the family (the request cannot carry REQUESTED-ADDRESS-FAMILY)
      return t && { socket: t.socket, port: t.port, family: t.family };
    }
    return whenReady(bindUdpRelay(this.binder, range, a.evenPort, a.reserveNext), (b) => {
      if (!b) return undefined;
      if (!b.reserved) return { socket: b.socket, port: b.port, family };
      const token = randomBytes(8);
      token[0] = this.o.index;
      this.tokens.set(token.toString('hex'), { socket: b.reserved, family, port: b.port + 1, expires: Date.now() + TOKEN_TTL_MS });
      return { socket: b.socket, port: b.port, family, token };
    });
  }

  /**
   * Native mode: the engine takes the relay sockets (those it bound, or duplicates of dgram
   * sockets' descriptors, the dgram sockets then closed) and relays for the allocation. False when
   * there is no engine or it could not.
   */
  private adoptNative(id: number, relay: Relay, first: { socket: RelaySocket; family: 4 | 6 }, second: { socket: RelaySocket; family: 4 | 6 } | undefined): boolean {
    const n = this.o.native;
    if (!n || relay.src.transport !== 'udp') return false;
    const byFamily = (f: 4 | 6): RelaySocket | undefined => (first.family === f ? first.socket : second?.family === f ? second.socket : undefined);
    if (!n.adopt(id, byFamily(4), byFamily(6), relay.src.address, this.o.core.maxBitrate / 8)) return false;
    first.socket.close(); // a dgram socket (the engine has a duplicate), or a no-op
    second?.socket.close();
    relay.native = true;
    const allocation = this.core.allocation(id);
    if (allocation) allocation.meteredNatively = true;
    return true;
  }

  /** Install the permissions and channels of `src`'s allocation in the native engine (after a request). */
  private installNative(src: Source): void {
    const a = this.core.allocationOf(src);
    if (a && this.relays.get(a.id)?.native) this.o.native?.install(a.id, { permissions: a.permissions, channels: a.channels.values() });
  }

  private toPeer(alloc: number, peer: TransportAddress, data: Buffer): void {
    const r = this.relays.get(alloc);
    if (r?.native) this.o.native?.toPeer(alloc, peer.ip, peer.port, data);
    else udpFor(r, peer.family)?.send(data, peer.port, peer.ip);
  }

  private listen(id: number, relay: Relay, s: dgram.Socket, family: 4 | 6): void {
    s.on('message', (msg, rinfo) => {
      const act = this.core.fromPeer(id, { family, ip: rinfo.address, port: rinfo.port }, msg, Date.now());
      if (act && act.kind === 'send') this.o.io.send(act.to, act.data);
    });
    s.on('error', () => this.o.onDrop?.('relay_socket_error'));
    if (family === 6) relay.udp6 = s;
    else relay.udp4 = s;
  }

  private applyAll(actions: Action[]): void {
    for (const a of actions) this.apply(a);
  }

  private closeRelay(id: number): void {
    const r = this.relays.get(id);
    if (!r) return;
    this.relays.delete(id);
    if (r.native) this.o.native?.free(id);
    r.udp4?.close();
    r.udp6?.close();
    r.tcp?.close();
    if (this.relaying.delete(id)) this.o.io.allocationGone?.(r.src);
  }

  private tcpConnect(alloc: number, connectionId: number, peer: TransportAddress): void {
    const socket = net.connect({ host: peer.ip, port: peer.port, localAddress: this.rangeFor(peer.family)?.ip ?? this.o.range.ip });
    socket.setNoDelay(true);
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.pause();
      this.trackPeer(alloc, connectionId, socket);
      this.applyAll(this.core.tcpConnected(alloc, connectionId, true, Date.now()));
    });
    socket.once('error', () => {
      clearTimeout(timer);
      if (!this.peerConns.has(connectionId)) this.applyAll(this.core.tcpConnected(alloc, connectionId, false, Date.now()));
    });
  }

  private tcpIncoming(alloc: number, socket: net.Socket): void {
    const ip = socket.remoteAddress?.replace(/^::ffff:(?=\d+\.)/, '') ?? '';
    const peer: TransportAddress = { family: ip.includes(':') ? 6 : 4, ip, port: socket.remotePort ?? 0 };
    const r = this.core.tcpIncoming(alloc, peer, Date.now());
    if (!r) return void socket.destroy();
    socket.setNoDelay(true);
    this.trackPeer(alloc, r.connectionId, socket);
    this.applyAll(r.actions);
  }

  private trackPeer(alloc: number, connectionId: number, socket: net.Socket): void {
    const c: PeerConn = { socket, pending: [] };
    this.peerConns.set(connectionId, c);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => {
      this.peerConns.delete(connectionId);
      this.core.tcpClosed(alloc, connectionId);
    });
  }
}
