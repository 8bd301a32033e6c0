/**
 * The TURN protocol core (RFC 8489 STUN, RFC 8656 TURN, RFC 6062 TCP allocations): bytes, a source
 * and the time in; actions out. One handler per method in one table. No sockets, no timers: the
 * runner calls tick() and reports the outcome of asynchronous actions (relayOpened, tcpConnected).
 */
import { randomBytes } from 'node:crypto';
import { addrKey, type TransportAddress } from '../stun/address.js';
import { decodeChannel, decodeFamily, decodeXorAddress, encodeAddressErrorCode, encodeXorAddress, readU32, u32 } from '../stun/attributes.js';
import { Attr, Class, ErrorReason, KNOWN_REQUIRED, Method, Transport } from '../stun/constants.js';
import { encode, getAttr, looksLikeStun, parse, type OutAttr, type StunMessage } from '../stun/message.js';
import { Allocation, type TcpConnection } from './allocation.js';
import { Authenticator, type Authed } from './authenticate.js';
import { PeerPolicy } from './policy.js';
import { failure, success, unknownAttrs, type ReplyContext } from './reply.js';
import { TurnStats } from './stats.js';
import { allocationFamilies } from './families.js';
import { clampLifetime, methodName, type RequestMethod } from './methods.js';
import { isDatagram, Lifetime, type Action, type CoreOptions, type RelayResult, type Source } from './types.js';

type Handler = (req: StunMessage, src: Source, now: number, out: Action[]) => void;

const MIN_CHANNEL = 0x4000;
const MAX_CHANNEL = 0x7fff; // RFC 5766 range; RFC 8656 narrowed it to 0x4FFF but clients still use 0x5000+

export class TurnCore {
  readonly stats = new TurnStats();
  private readonly auth: Authenticator;
  private readonly policy: PeerPolicy;
  private readonly ctx: ReplyContext;
  private readonly bySource = new Map<string, Allocation>();
  private readonly byId = new Map<number, Allocation>();
  private readonly tcpById = new Map<number, Allocation>();
  private nextAlloc: number;
  private nextConnection = 1;

  private readonly requests = {
    Binding: (r, s, n, o) => this.binding(r, s, o),
    Allocate: (r, s, n, o) => this.allocate(r, s, n, o),
    Refresh: (r, s, n, o) => this.refresh(r, s, n, o),
    CreatePermission: (r, s, n, o) => this.createPermission(r, s, n, o),
    ChannelBind: (r, s, n, o) => this.channelBind(r, s, n, o),
    Connect: (r, s, n, o) => this.connect(r, s, n, o),
    ConnectionBind: (r, s, n, o) => this.connectionBind(r, s, n, o),
  } satisfies Record<RequestMethod, Handler>;

  constructor(private readonly opts: CoreOptions) {
    this.policy = new PeerPolicy(opts);
    this.ctx = { software: opts.software ? Buffer.from(opts.software) : undefined };
    this.auth = new Authenticator(opts, this.ctx, this.stats);
    this.nextAlloc = opts.allocIdBase ?? 1;
  }

  get allocationCount(): number {
    return this.byId.size;
  }

  allocationOf(src: Source): Allocation | undefined {
    return this.bySource.get(src.key);
  }

  /** Whether the allocation `alloc` exists and its client may receive from `ip` (for runners' fast paths). */
  allocation(id: number): Allocation | undefined {
    return this.byId.get(id);
  }

  // ---------------------------------------------------------------- entry points

  /** A datagram or framed message from a client. */
  handle(buf: Buffer, src: Source, now: number): Action[] {
    const out: Action[] = [];
    const b0 = buf[0];
    if (b0 === undefined) return out;
    if (b0 >= 0x40 && b0 <= 0x7f) {
      this.channelData(buf, src, now, out);
      return out;
    }
    if (!looksLikeStun(buf)) {
      this.stats.drop('not_stun');
      return out;
    }
    const p = parse(buf);
    if (!p.ok) {
      this.stats.drop(`parse_${p.reason}`);
      return out;
    }
    const msg = p.msg;
    if (msg.cls === Class.Indication) {
      if (msg.method === Method.Send) this.sendIndication(msg, src, now, out);
      else this.stats.drop('unexpected_indication');
      return out;
    }
    if (msg.cls !== Class.Request) {
      this.stats.drop('unexpected_response');
      return out;
    }
    let unknown: number[] | undefined;
    for (const a of msg.attrs) if (a.type < 0x8000 && !KNOWN_REQUIRED.has(a.type)) (unknown ??= []).push(a.type);
    if (unknown) {
      out.push({ kind: 'send', to: src, data: failure(this.ctx, msg, 420, [unknownAttrs(unknown)]) });
      return out;
    }
    const name = methodName(msg.method);
    if (!name) {
      out.push({ kind: 'send', to: src, data: failure(this.ctx, msg, 400) });
      return out;
    }
    const a = isDatagram(src.transport) && name !== 'Allocate' ? this.bySource.get(src.key) : undefined;
    if (a?.lastResponse && a.lastTid?.equals(msg.tid)) {
      out.push({ kind: 'send', to: src, data: a.lastResponse });
      return out;
    }
    this.requests[name](msg, src, now, out);
    const reply = out.length === 1 ? out[0] : undefined;
    if (a && reply?.kind === 'send' && this.byId.has(a.id)) {
      a.lastTid = Buffer.from(msg.tid);
      a.lastResponse = reply.data;
    }
    return out;
  }

  /** The relay socket of `alloc` is bound (or could not be). */
  relayOpened(allocId: number, result: RelayResult, now: number): Action[] {
    const a = this.byId.get(allocId);
    if (!a || a.state !== 'pending') return result.ok ? [{ kind: 'closeRelay', alloc: allocId }] : [];
    const req = { method: Method.Allocate, tid: a.allocateTid, hasFingerprint: a.allocateFingerprint } as StunMessage;
    if (!result.ok) {
      this.removeAllocation(a, false);
      return [{ kind: 'send', to: a.source, data: failure(this.ctx, req, result.code, [], a.key) }];
    }
    a.state = 'active';
    a.relays = result.relays;
    a.families = result.relays.map((r) => r.family);
    a.reservationToken = result.token;
    this.stats.allocationsCreated++;
    const attrs: OutAttr[] = result.relays.map((r) => ({ type: Attr.XorRelayedAddress, value: encodeXorAddress(r, a.allocateTid) }));
    attrs.push(
      { type: Attr.Lifetime, value: u32(Math.round((a.expires - now) / 1000)) },
      { type: Attr.XorMappedAddress, value: encodeXorAddress(a.source.address, a.allocateTid) },
    );
    const addressError = a.additionalRefused ? 440 : result.additionalError;
    if (addressError) attrs.push({ type: Attr.AddressErrorCode, value: encodeAddressErrorCode(6, addressError, ErrorReason[addressError] ?? 'Error') });
    if (result.token) attrs.push({ type: Attr.ReservationToken, value: result.token });
    a.allocateResponse = success(this.ctx, req, attrs, a.key);
    return [{ kind: 'send', to: a.source, data: a.allocateResponse }];
  }

  /** A datagram from `peer` arrived at the UDP relay socket of `allocId`. */
  fromPeer(allocId: number, peer: TransportAddress, data: Buffer, now: number): Action | undefined {
    const a = this.byId.get(allocId);
    if (!a || a.state !== 'active') return this.dropped('no_allocation');
    if (!a.hasPermission(peer.ip, now)) return this.dropped('no_permission');
    if (!this.spend(a, data.length, now)) return this.dropped('bandwidth');
    const ch = a.channelByPeer.get(addrKey(peer));
    let msg: Buffer;
    if (ch && ch.expires > now) {
      const padded = isDatagram(a.source.transport) ? data.length : (data.length + 3) & ~3;
      msg = Buffer.allocUnsafe(4 + padded);
      msg.writeUInt16BE(ch.number, 0);
      msg.writeUInt16BE(data.length, 2);
      data.copy(msg, 4);
      if (padded > data.length) msg.fill(0, 4 + data.length);
    } else {
      const tid = this.indicationTid();
      msg = encode(Method.Data, Class.Indication, tid, [
        { type: Attr.XorPeerAddress, value: encodeXorAddress(peer, tid) },
        { type: Attr.Data, value: data },
      ]);
    }
    this.stats.packetsToClient++;
    this.stats.bytesToClient += data.length;
    return { kind: 'send', to: a.source, data: msg };
  }

  /** RFC 6062 §5.2: the relay's TCP connection to the peer succeeded or failed. */
  tcpConnected(allocId: number, connectionId: number, ok: boolean, now: number): Action[] {
    const a = this.byId.get(allocId);
    const c = a?.tcp.get(connectionId);
    if (!a || !c || c.state !== 'connecting' || !c.connectTid) return ok ? [{ kind: 'tcpClose', alloc: allocId, connectionId }] : [];
    const req = { method: Method.Connect, tid: c.connectTid, hasFingerprint: c.connectFingerprint ?? false } as StunMessage;
    if (!ok) {
      a.tcp.delete(connectionId);
      this.tcpById.delete(connectionId);
      return [{ kind: 'send', to: a.source, data: failure(this.ctx, req, 447, [], a.key) }];
    }
    c.state = 'waiting_bind';
    c.connectTid = undefined;
    c.bindDeadline = now + Lifetime.connectionBindTimeout * 1000;
    return [{ kind: 'send', to: a.source, data: success(this.ctx, req, [{ type: Attr.ConnectionId, value: u32(connectionId) }], a.key) }];
  }

  /** RFC 6062 §5.3: a peer connected to the TCP relay of `allocId`. Returns the connection id, or undefined to refuse. */
  tcpIncoming(allocId: number, peer: TransportAddress, now: number): { connectionId: number; actions: Action[] } | undefined {
    const a = this.byId.get(allocId);
    if (!a || a.state !== 'active' || a.transport !== 'tcp') return undefined;
    if (!a.hasPermission(peer.ip, now)) {
      this.stats.drop('no_permission');
      return undefined;
    }
    const id = this.newConnection(a, peer, 'waiting_bind', now);
    const tid = randomBytes(12);
    const ind = encode(Method.ConnectionAttempt, Class.Indication, tid, [
      { type: Attr.ConnectionId, value: u32(id) },
      { type: Attr.XorPeerAddress, value: encodeXorAddress(peer, tid) },
    ]);
    return { connectionId: id, actions: [{ kind: 'send', to: a.source, data: ind }] };
  }

  /** A TCP connection (peer side) of an RFC 6062 allocation closed. */
  tcpClosed(allocId: number, connectionId: number): void {
    this.byId.get(allocId)?.tcp.delete(connectionId);
    this.tcpById.delete(connectionId);
  }

  /** A client TCP/TLS connection closed: its allocation goes with it (RFC 8656 §3.1). */
  sourceClosed(src: Source): Action[] {
    const a = this.bySource.get(src.key);
    if (!a) return [];
    return this.removeAllocation(a, true);
  }

  /** Expire allocations, permissions, channels and unbound TCP connections. Call about once a second. */
  tick(now: number): Action[] {
    const out: Action[] = [];
    for (const a of this.byId.values()) {
      if (a.expires <= now) {
        out.push(...this.removeAllocation(a, true));
        continue;
      }
      for (const [ip, e] of a.permissions) if (e <= now) a.permissions.delete(ip);
      for (const [n, c] of a.channels) {
        if (c.expires <= now) {
          a.channels.delete(n);
          a.channelByPeer.delete(c.peerKey);
        }
      }
      for (const c of a.tcp.values()) {
        if (c.state === 'waiting_bind' && c.bindDeadline <= now) {
          a.tcp.delete(c.id);
          this.tcpById.delete(c.id);
          out.push({ kind: 'tcpClose', alloc: a.id, connectionId: c.id });
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- STUN Binding (RFC 8489 §6.3)

  private binding(req: StunMessage, src: Source, out: Action[]): void {
    out.push({ kind: 'send', to: src, data: success(this.ctx, req, [{ type: Attr.XorMappedAddress, value: encodeXorAddress(src.address, req.tid) }]) });
  }

  private authenticate(req: StunMessage, src: Source, now: number, out: Action[]): Authed | undefined {
    return this.auth.authenticate(req, src, now, out);
  }

  /** Authenticate a request that must belong to the existing allocation of its 5-tuple. */
  private authInAllocation(req: StunMessage, src: Source, now: number, out: Action[]): { a: Allocation; auth: Authed } | undefined {
    const auth = this.authenticate(req, src, now, out);
    if (!auth) return undefined;
    const a = this.bySource.get(src.key);
    if (!a || a.state !== 'active') {
      out.push({ kind: 'send', to: src, data: failure(this.ctx, req, 437, [], auth.key) });
      return undefined;
    }
    if (a.username !== auth.username) {
      out.push({ kind: 'send', to: src, data: failure(this.ctx, req, 441, [], auth.key) });
      return undefined;
    }
    return { a, auth };
  }

  // ---------------------------------------------------------------- Allocate (RFC 8656 §7.2, RFC 6062 §5.1)

  private allocate(req: StunMessage, src: Source, now: number, out: Action[]): void {
    const existing = this.bySource.get(src.key);
    if (existing && existing.allocateTid.equals(req.tid)) {
      // retransmission: resend the stored response, or wait for the relay socket
      if (existing.allocateResponse) out.push({ kind: 'send', to: src, data: existing.allocateResponse });
      return;
    }
    const auth = this.authenticate(req, src, now, out);
    if (!auth) return;
    const fail = (code: number, extra: OutAttr[] = []): void => {
      out.push({ kind: 'send', to: src, data: failure(this.ctx, req, code, extra, auth.key) });
    };
    if (existing) return fail(437);
    const rt = getAttr(req, Attr.RequestedTransport);
    if (!rt || rt.length !== 4) return fail(400);
    const proto = rt[0];
    if (proto !== Transport.UDP && proto !== Transport.TCP) return fail(442);
    if (proto === Transport.TCP && isDatagram(src.transport)) return fail(400);
    const evenPort = getAttr(req, Attr.EvenPort);
    const token = getAttr(req, Attr.ReservationToken);
    const famAttr = getAttr(req, Attr.RequestedAddressFamily);
    const addAttr = getAttr(req, Attr.AdditionalAddressFamily);
    if (token && (evenPort || famAttr || addAttr)) return fail(400);
    if (token && token.length !== 8) return fail(400);
    if (evenPort && evenPort.length !== 1 && evenPort.length !== 4) return fail(400);
    const fam = allocationFamilies(famAttr, addAttr, proto === Transport.TCP, this.opts.ipv6Relay);
    if (typeof fam === 'number') return fail(fam);
    if (proto === Transport.TCP && (evenPort || token)) return fail(400);
    if (!this.opts.quota.tryAcquire(auth.quotaUser)) return fail(486);
    const lifetime = clampLifetime(readU32(getAttr(req, Attr.Lifetime)));
    const a = new Allocation(
      this.nextAlloc++, src, auth.username, auth.quotaUser, auth.key,
      proto === Transport.TCP ? 'tcp' : 'udp', fam.families, lifetime, now, req.tid, req.hasFingerprint,
    );
    a.additionalRefused = fam.additionalRefused;
    this.bySource.set(src.key, a);
    this.byId.set(a.id, a);
    this.stats.allocationsActive = this.byId.size;
    out.push({
      kind: 'openRelay', alloc: a.id, transport: a.transport, families: a.families,
      evenPort: evenPort !== undefined, reserveNext: evenPort !== undefined && ((evenPort[0] as number) & 0x80) !== 0,
      token: token ? Buffer.from(token) : undefined,
    });
  }

  // ---------------------------------------------------------------- Refresh (RFC 8656 §8)

  private refresh(req: StunMessage, src: Source, now: number, out: Action[]): void {
    const r = this.authInAllocation(req, src, now, out);
    if (!r) return;
    const { a, auth } = r;
    const fam = getAttr(req, Attr.RequestedAddressFamily);
    const family = fam && decodeFamily(fam);
    if (family === 'malformed') return void out.push({ kind: 'send', to: src, data: failure(this.ctx, req, 400, [], auth.key) });
    if (family !== undefined && (family === 'unknown' || !a.hasFamily(family))) {
      out.push({ kind: 'send', to: src, data: failure(this.ctx, req, 443, [], auth.key) });
      return;
    }
    const requested = readU32(getAttr(req, Attr.Lifetime));
    if (requested === 0) {
      out.push(...this.removeAllocation(a, true));
      out.push({ kind: 'send', to: src, data: success(this.ctx, req, [{ type: Attr.Lifetime, value: u32(0) }], auth.key) });
      return;
    }
    const lifetime = clampLifetime(requested); // RFC 8656 §8: max(default, min(requested, max))
    a.expires = now + lifetime * 1000;
    out.push({ kind: 'send', to: src, data: success(this.ctx, req, [{ type: Attr.Lifetime, value: u32(lifetime) }], auth.key) });
  }

  // ---------------------------------------------------------------- CreatePermission (RFC 8656 §10)

  private createPermission(req: StunMessage, src: Source, now: number, out: Action[]): void {
    const r = this.authInAllocation(req, src, now, out);
    if (!r) return;
    const { a, auth } = r;
    const peers: TransportAddress[] = [];
    for (const at of req.attrs) {
      if (at.type !== Attr.XorPeerAddress) continue;
      const p = decodeXorAddress(at.value, req.tid);
      if (!p) return void out.push({ kind: 'send', to: src, data: failure(this.ctx, req, 400, [], auth.key) });
      peers.push(p);
    }
    if (peers.length === 0) return void out.push({ kind: 'send', to: src, data: failure(this.ctx, req, 400, [], auth.key) });
    for (const p of peers) {
      const code = this.peerRefusal(a, p, false);
      if (code) return void out.push({ kind: 'send', to: src, data: failure(this.ctx, req, code, [], auth.key) });
    }
    const fresh = new Set(peers.map((p) => p.ip).filter((ip) => !a.permissions.has(ip)));
    if (a.permissions.size + fresh.size > this.opts.maxPermissionsPerAllocation) {
      return void out.push({ kind: 'send', to: src, data: failure(this.ctx, req, 508, [], auth.key) });
    }
    for (const p of peers) a.permissions.set(p.ip, now + Lifetime.permission * 1000);
    out.push({ kind: 'send', to: src, data: success(this.ctx, req, [], auth.key) });
  }

  /** 443 on a family mismatch, 403 when the policy refuses the peer, else 0; `withPort` where the port is used. */
  private peerRefusal(a: Allocation, p: TransportAddress, withPort: boolean): number {
    if (!a.hasFamily(p.family)) return 443;
    const v = this.policy.check(p.ip, withPort ? p.port : undefined);
    if (v.ok) return 0;
    TurnStats.bump(this.stats.refusedPeers, v.reason);
    return 403;
  }

  // ---------------------------------------------------------------- ChannelBind (RFC 8656 §11)

  private channelBind(req: StunMessage, src: Source, now: number, out: Action[]): void {
    const r = this.authInAllocation(req, src, now, out);
    if (!r) return;
    const { a, auth } = r;
    const fail = (code: number): void => void out.push({ kind: 'send', to: src, data: failure(this.ctx, req, code, [], auth.key) });
    const num = decodeChannel(getAttr(req, Attr.ChannelNumber));
    const peerAttr = getAttr(req, Attr.XorPeerAddress);
    const peer = peerAttr ? decodeXorAddress(peerAttr, req.tid) : undefined;
    if (num === undefined || !peer || num < MIN_CHANNEL || num > MAX_CHANNEL || a.transport !== 'udp') return fail(400);
    const code = this.peerRefusal(a, peer, true);
    if (code) return fail(code);
    const pk = addrKey(peer);
    const byNum = a.channels.get(num);
    const byPeer = a.channelByPeer.get(pk);
    if ((byNum && byNum.peerKey !== pk) || (byPeer && byPeer.number !== num)) return fail(400);
    if (!byNum && !a.permissions.has(peer.ip) && a.permissions.size >= this.opts.maxPermissionsPerAllocation) return fail(508);
    const expires = now + Lifetime.channel * 1000;
    if (byNum) byNum.expires = expires;
    else {
      const ch = { number: num, peer, peerKey: pk, expires };
      a.channels.set(num, ch);
      a.channelByPeer.set(pk, ch);
    }
    a.permissions.set(peer.ip, Math.max(a.permissions.get(peer.ip) ?? 0, now + Lifetime.permission * 1000));
    out.push({ kind: 'send', to: src, data: success(this.ctx, req, [], auth.key) });
  }

  // ---------------------------------------------------------------- Send indication / ChannelData (§12)

  private sendIndication(msg: StunMessage, src: Source, now: number, out: Action[]): void {
    const a = this.bySource.get(src.key);
    if (!a || a.state !== 'active' || a.transport !== 'udp') return void this.dropped('no_allocation');
    const pa = getAttr(msg, Attr.XorPeerAddress);
    const data = getAttr(msg, Attr.Data);
    const peer = pa ? decodeXorAddress(pa, msg.tid) : undefined;
    if (!peer || !data) return void this.dropped('bad_send');
    if (!a.hasFamily(peer.family)) return void this.dropped('family_mismatch');
    const v = this.policy.check(peer.ip, peer.port);
    if (!v.ok) {
      TurnStats.bump(this.stats.refusedPeers, v.reason);
      return void this.dropped('peer_refused');
    }
    if (!a.hasPermission(peer.ip, now)) return void this.dropped('no_permission');
    if (!this.meterToPeer(a, data.length, now)) return void this.dropped('bandwidth');
    out.push({ kind: 'relay', alloc: a.id, peer, data });
  }

  private channelData(buf: Buffer, src: Source, now: number, out: Action[]): void {
    const r = this.channelRelay(buf, src, now);
    if (r) out.push(r);
  }

  /** ChannelData from a client (RFC 8656 §12.6): the relay action, or undefined (counted drop). Hot path. */
  channelRelay(buf: Buffer, src: Source, now: number): Action | undefined {
    if (buf.length < 4) return this.dropped('short_channel_data');
    const a = this.bySource.get(src.key);
    if (!a || a.state !== 'active') return this.dropped('no_allocation');
    const len = buf.readUInt16BE(2);
    if (4 + len > buf.length) return this.dropped('short_channel_data');
    const ch = a.channels.get(buf.readUInt16BE(0));
    if (!ch || ch.expires <= now) return this.dropped('no_channel');
    if (!this.meterToPeer(a, len, now)) return this.dropped('bandwidth');
    return { kind: 'relay', alloc: a.id, peer: ch.peer, data: buf.subarray(4, 4 + len) };
  }

  // ---------------------------------------------------------------- RFC 6062 Connect / ConnectionBind

  private connect(req: StunMessage, src: Source, now: number, out: Action[]): void {
    const r = this.authInAllocation(req, src, now, out);
    if (!r) return;
    const { a, auth } = r;
    const fail = (code: number): void => void out.push({ kind: 'send', to: src, data: failure(this.ctx, req, code, [], auth.key) });
    const pa = getAttr(req, Attr.XorPeerAddress);
    const peer = pa ? decodeXorAddress(pa, req.tid) : undefined;
    if (!peer || a.transport !== 'tcp') return fail(400);
    const code = this.peerRefusal(a, peer, true);
    if (code) return fail(code);
    const pk = addrKey(peer);
    for (const c of a.tcp.values()) if (addrKey(c.peer) === pk) return fail(446);
    const id = this.newConnection(a, peer, 'connecting', now);
    const c = a.tcp.get(id) as TcpConnection;
    c.connectTid = Buffer.from(req.tid);
    c.connectFingerprint = req.hasFingerprint;
    out.push({ kind: 'tcpConnect', alloc: a.id, connectionId: id, peer });
  }

  private connectionBind(req: StunMessage, src: Source, now: number, out: Action[]): void {
    const auth = this.authenticate(req, src, now, out);
    if (!auth) return;
    const fail = (code: number): void => void out.push({ kind: 'send', to: src, data: failure(this.ctx, req, code, [], auth.key) });
    const id = readU32(getAttr(req, Attr.ConnectionId));
    if (isDatagram(src.transport) || id === undefined || this.bySource.has(src.key)) return fail(400);
    const a = this.tcpById.get(id);
    const c = a?.tcp.get(id);
    if (!a || !c || c.state !== 'waiting_bind') return fail(400);
    if (a.username !== auth.username) return fail(441);
    c.state = 'bound';
    out.push({ kind: 'send', to: src, data: success(this.ctx, req, [], auth.key) });
    out.push({ kind: 'tcpBind', to: src, alloc: a.id, connectionId: id });
  }

  // ---------------------------------------------------------------- helpers

  private newConnection(a: Allocation, peer: TransportAddress, state: TcpConnection['state'], now: number): number {
    let id = this.nextConnection;
    this.nextConnection = (this.nextConnection % 0x7fffffff) + 1;
    while (this.tcpById.has(id)) id++;
    a.tcp.set(id, { id, peer, state, bindDeadline: now + Lifetime.connectionBindTimeout * 1000 });
    this.tcpById.set(id, a);
    return id;
  }

  private removeAllocation(a: Allocation, close: boolean): Action[] {
    this.bySource.delete(a.source.key);
    this.byId.delete(a.id);
    for (const id of a.tcp.keys()) this.tcpById.delete(id);
    this.opts.quota.release(a.quotaUser);
    this.stats.allocationsActive = this.byId.size;
    const out: Action[] = [];
    if (close) {
      for (const id of a.tcp.keys()) out.push({ kind: 'tcpClose', alloc: a.id, connectionId: id });
      out.push({ kind: 'closeRelay', alloc: a.id });
    }
    return out;
  }

  /**
   * A client's datagram of `bytes` for a peer: spent from the allocation's budget and counted, or
   * false (over the budget). An allocation the native engine meters is spent and counted there, when
   * the runner hands the datagram to it.
   */
  private meterToPeer(a: Allocation, bytes: number, now: number): boolean {
    if (a.meteredNatively) return true;
    if (!this.spend(a, bytes, now)) return false;
    this.stats.packetsToPeer++;
    this.stats.bytesToPeer += bytes;
    return true;
  }

  private spend(a: Allocation, bytes: number, now: number): boolean {
    const rate = this.opts.maxBitrate / 8;
    if (rate <= 0) return true;
    a.budget = Math.min(rate, a.budget + ((now - a.budgetAt) / 1000) * rate);
    a.budgetAt = now;
    if (a.budget < bytes) return false;
    a.budget -= bytes;
    return true;
  }

  /** Transaction ids of Data indications: a random prefix and a counter (no RNG call per packet). */
  private readonly tidBase = randomBytes(12);
  private tidCounter = 0;
  private indicationTid(): Buffer {
    const tid = Buffer.from(this.tidBase);
    tid.writeUInt32BE((this.tidCounter = (this.tidCounter + 1) >>> 0), 8);
    return tid;
  }

  private dropped(reason: string): undefined {
    this.stats.drop(reason);
    return undefined;
  }
}
