/**
 * IPv6 relays on a running server (RFC 8656 §7.2, RFC 6156): an IPv4 client asks for an IPv6 relay
 * (REQUESTED-ADDRESS-FAMILY) or for both families (ADDITIONAL-ADDRESS-FAMILY) and exchanges UDP with
 * peers on ::1 and 127.0.0.1 through it.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { longTermKey } from '../../../src/turn/core/auth.js';
import type { TransportAddress } from '../../../src/turn/stun/address.js';
import { decodeErrorCode, decodeXorAddress, encodeChannel, encodeXorAddress } from '../../../src/turn/stun/attributes.js';
import { Attr, Class, Method } from '../../../src/turn/stun/constants.js';
import { encode, getAttr, parse, type OutAttr, type StunMessage } from '../../../src/turn/stun/message.js';
import { startTurn, type RunningTurn } from './harness.js';

const USER = 'test';
const PASS = 'testpass';
const REALM = 'parley';
const UDP: OutAttr = { type: Attr.RequestedTransport, value: Buffer.from([17, 0, 0, 0]) };
const family = (type: number, f: 1 | 2): OutAttr => ({ type, value: Buffer.from([f, 0, 0, 0]) });

/** Resolve with the next datagram on `s` that `accept` takes, or reject after `ms`. */
function next<T>(s: dgram.Socket, accept: (msg: Buffer, rinfo: dgram.RemoteInfo) => T | undefined, ms = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (s.off('message', on), reject(new Error('timed out waiting for a datagram'))), ms);
    const on = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
      const v = accept(msg, rinfo);
      if (v === undefined) return;
      clearTimeout(timer);
      s.off('message', on);
      resolve(v);
    };
    s.on('message', on);
  });
}

async function bound(type: 'udp4' | 'udp6', ip: string): Promise<dgram.Socket> {
  const s = dgram.createSocket(type);
  await new Promise<void>((r) => s.bind(0, ip, () => r()));
  return s;
}

/** A minimal UDP TURN client with long-term credentials. */
class Client {
  private nonce = '';
  private readonly key = longTermKey(USER, REALM, PASS);
  private constructor(readonly socket: dgram.Socket, private readonly port: number, private readonly host: string) {}

  /** A client on 127.0.0.1, or on ::1 talking to the server's IPv6 listener. */
  static async open(port: number, host = '127.0.0.1'): Promise<Client> {
    return new Client(await bound(host.includes(':') ? 'udp6' : 'udp4', host), port, host);
  }

  async request(method: number, attrs: (OutAttr | ((tid: Buffer) => OutAttr))[]): Promise<StunMessage> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const tid = randomBytes(12);
      const all = attrs.map((a) => (typeof a === 'function' ? a(tid) : a));
      const auth = this.nonce !== '';
      if (auth) all.push({ type: Attr.Username, value: Buffer.from(USER) }, { type: Attr.Realm, value: Buffer.from(REALM) }, { type: Attr.Nonce, value: Buffer.from(this.nonce) });
      const reply = next(this.socket, (m) => {
        const p = parse(m);
        return p.ok && p.msg.tid.equals(tid) ? p.msg : undefined;
      });
      this.socket.send(encode(method, Class.Request, tid, all, { key: auth ? this.key : undefined, fingerprint: true }), this.port, this.host);
      const r = await reply;
      const nonce = getAttr(r, Attr.Nonce);
      if (!auth && nonce && code(r) === 401) {
        this.nonce = nonce.toString();
        continue;
      }
      return r;
    }
    throw new Error('no answer after the 401 challenge');
  }

  permission(peer: TransportAddress): Promise<StunMessage> {
    return this.request(Method.CreatePermission, [(tid) => ({ type: Attr.XorPeerAddress, value: encodeXorAddress(peer, tid) })]);
  }

  channelBind(n: number, peer: TransportAddress): Promise<StunMessage> {
    return this.request(Method.ChannelBind, [{ type: Attr.ChannelNumber, value: encodeChannel(n) }, (tid) => ({ type: Attr.XorPeerAddress, value: encodeXorAddress(peer, tid) })]);
  }

  sendChannel(n: number, data: Buffer): void {
    const h = Buffer.alloc(4);
    h.writeUInt16BE(n, 0);
    h.writeUInt16BE(data.length, 2);
    this.socket.send(Buffer.concat([h, data]), this.port, this.host);
  }

  nextChannelData(n: number): Promise<Buffer> {
    return next(this.socket, (m) => (m.length >= 4 && m.readUInt16BE(0) === n ? m.subarray(4, 4 + m.readUInt16BE(2)) : undefined));
  }
}

const code = (m: StunMessage): number | undefined => {
  const v = getAttr(m, Attr.ErrorCode);
  return v ? decodeErrorCode(v)?.code : undefined;
};

const relayed = (m: StunMessage): TransportAddress[] =>
  m.attrs.filter((a) => a.type === Attr.XorRelayedAddress).flatMap((a) => decodeXorAddress(a.value, m.tid) ?? []);

/** Peer → relay and relay → peer through channel `n`: the peer sees the relay's address, the client the data. */
async function roundTrip(c: Client, n: number, peer: dgram.Socket, relay: TransportAddress): Promise<void> {
  const atPeer = next(peer, (m, rinfo) => ({ data: m.toString(), from: rinfo.address, port: rinfo.port }));
  c.sendChannel(n, Buffer.from(`to-peer-${n}`));
  expect(await atPeer).toEqual({ data: `to-peer-${n}`, from: relay.ip, port: relay.port });
  const atClient = c.nextChannelData(n);
  peer.send(`to-client-${n}`, relay.port, relay.ip);
  expect((await atClient).toString()).toBe(`to-client-${n}`);
}

describe('TURN IPv6 relay on a running server', () => {
  let turn: RunningTurn;
  const sockets: dgram.Socket[] = [];

  beforeAll(async () => {
    turn = await startTurn({ listenIp: '127.0.0.1', listenIp6: '::1', port: 0, users: [`${USER}:${PASS}`], realm: REALM, relayIp6: '::1', allowLoopbackPeers: true, relayPortMin: 40000, relayPortMax: 47999 });
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await turn?.stop();
  });

  const track = <T extends dgram.Socket | Client>(x: T): T => (sockets.push(x instanceof Client ? x.socket : x), x);

  it('REQUESTED-ADDRESS-FAMILY IPv6: relays UDP between an IPv4 client and an IPv6 peer on ::1; an IPv4 peer gets 443', async () => {
    const c = track(await Client.open(turn.ports.udp));
    const peer = track(await bound('udp6', '::1'));
    const alloc = await c.request(Method.Allocate, [UDP, family(Attr.RequestedAddressFamily, 2)]);
    expect(alloc.cls, `error ${code(alloc)}`).toBe(Class.Success);
    const [relay] = relayed(alloc);
    expect(relay).toMatchObject({ family: 6, ip: '::1' });
    if (!relay) return;
    const peerAddr: TransportAddress = { family: 6, ip: '::1', port: peer.address().port };
    expect((await c.channelBind(0x4001, peerAddr)).cls).toBe(Class.Success);
    await roundTrip(c, 0x4001, peer, relay);
    expect(code(await c.permission({ family: 4, ip: '127.0.0.1', port: 3480 }))).toBe(443);
  });

  it('ADDITIONAL-ADDRESS-FAMILY: one allocation relays to an IPv4 and an IPv6 peer', async () => {
    const c = track(await Client.open(turn.ports.udp));
    const peer4 = track(await bound('udp4', '127.0.0.1'));
    const peer6 = track(await bound('udp6', '::1'));
    const alloc = await c.request(Method.Allocate, [UDP, family(Attr.AdditionalAddressFamily, 2)]);
    expect(alloc.cls, `error ${code(alloc)}`).toBe(Class.Success);
    expect(getAttr(alloc, Attr.AddressErrorCode)).toBeUndefined();
    const [r4, r6] = relayed(alloc);
    expect(r4).toMatchObject({ family: 4, ip: '127.0.0.1' });
    expect(r6).toMatchObject({ family: 6, ip: '::1' });
    if (!r4 || !r6) return;
    expect((await c.channelBind(0x4002, { family: 4, ip: '127.0.0.1', port: peer4.address().port })).cls).toBe(Class.Success);
    expect((await c.channelBind(0x4003, { family: 6, ip: '::1', port: peer6.address().port })).cls).toBe(Class.Success);
    await roundTrip(c, 0x4002, peer4, r4);
    await roundTrip(c, 0x4003, peer6, r6);
  });

  it('listens on IPv6 too (turn.listenIp6): an IPv6 client gets its IPv6 mapped address and relays to an IPv6 peer', async () => {
    const c = track(await Client.open(turn.ports.udp, '::1'));
    const binding = await c.request(Method.Binding, []);
    const mapped = getAttr(binding, Attr.XorMappedAddress);
    expect(mapped && decodeXorAddress(mapped, binding.tid)).toEqual({ family: 6, ip: '::1', port: c.socket.address().port });
    const peer = track(await bound('udp6', '::1'));
    const alloc = await c.request(Method.Allocate, [UDP, family(Attr.RequestedAddressFamily, 2)]);
    const [relay] = relayed(alloc);
    expect(relay).toMatchObject({ family: 6, ip: '::1' });
    if (!relay) return;
    expect((await c.channelBind(0x4004, { family: 6, ip: '::1', port: peer.address().port })).cls).toBe(Class.Success);
    await roundTrip(c, 0x4004, peer, relay);
  });
});
