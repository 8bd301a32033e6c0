/** A minimal TURN client with long-term credentials over any datagram channel (UDP, DTLS), for integration tests. */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { longTermKey } from '../../../src/turn/core/auth.js';
import type { TransportAddress } from '../../../src/turn/stun/address.js';
import { decodeErrorCode, decodeXorAddress, encodeChannel, encodeXorAddress } from '../../../src/turn/stun/attributes.js';
import { Attr, Class } from '../../../src/turn/stun/constants.js';
import { encode, getAttr, parse, type OutAttr, type StunMessage } from '../../../src/turn/stun/message.js';
import { Method } from '../../../src/turn/stun/constants.js';

/** How the client sends a message and hears the server's. */
export interface Channel {
  send(data: Buffer): void;
  on(listener: (data: Buffer) => void): void;
  off(listener: (data: Buffer) => void): void;
}

/** Resolve with the first value `accept` returns for a message on `ch`, or reject after `ms`. */
export function nextOn<T>(ch: Channel, accept: (msg: Buffer) => T | undefined, ms = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (ch.off(on), reject(new Error('timed out waiting for a message'))), ms);
    const on = (msg: Buffer): void => {
      const v = accept(msg);
      if (v === undefined) return;
      clearTimeout(timer);
      ch.off(on);
      resolve(v);
    };
    ch.on(on);
  });
}

/** A UDP socket bound to `ip` (port 0). */
export async function bound(type: 'udp4' | 'udp6', ip: string): Promise<dgram.Socket> {
  const s = dgram.createSocket(type);
  await new Promise<void>((r) => s.bind(0, ip, () => r()));
  return s;
}

/** A UDP socket as a Channel to host:port. */
export function udpChannel(s: dgram.Socket, port: number, host: string): Channel {
  const wrap = new Map<(d: Buffer) => void, (d: Buffer) => void>();
  return {
    send: (data) => s.send(data, port, host),
    on: (l) => {
      const w = (d: Buffer): void => l(d);
      wrap.set(l, w);
      s.on('message', w);
    },
    off: (l) => {
      const w = wrap.get(l);
      if (w) s.off('message', w);
      wrap.delete(l);
    },
  };
}

export const errorCodeOf = (m: StunMessage): number | undefined => {
  const v = getAttr(m, Attr.ErrorCode);
  return v ? decodeErrorCode(v)?.code : undefined;
};

export const relayedAddresses = (m: StunMessage): TransportAddress[] =>
  m.attrs.filter((a) => a.type === Attr.XorRelayedAddress).flatMap((a) => decodeXorAddress(a.value, m.tid) ?? []);

export class TurnTestClient {
  private nonce = '';
  private readonly key: Buffer;

  constructor(readonly channel: Channel, private readonly user: string, password: string, private readonly realm: string) {
    this.key = longTermKey(user, realm, password);
  }

  /** A request; the first 401 is answered with credentials and the nonce. */
  async request(method: number, attrs: (OutAttr | ((tid: Buffer) => OutAttr))[]): Promise<StunMessage> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const tid = randomBytes(12);
      const all = attrs.map((a) => (typeof a === 'function' ? a(tid) : a));
      const auth = this.nonce !== '';
      if (auth) all.push({ type: Attr.Username, value: Buffer.from(this.user) }, { type: Attr.Realm, value: Buffer.from(this.realm) }, { type: Attr.Nonce, value: Buffer.from(this.nonce) });
      const reply = nextOn(this.channel, (m) => {
        const p = parse(m);
        return p.ok && p.msg.tid.equals(tid) ? p.msg : undefined;
      });
      this.channel.send(encode(method, Class.Request, tid, all, { key: auth ? this.key : undefined, fingerprint: true }));
      const r = await reply;
      const nonce = getAttr(r, Attr.Nonce);
      if (!auth && nonce && errorCodeOf(r) === 401) {
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
    this.channel.send(Buffer.concat([h, data]));
  }

  nextChannelData(n: number): Promise<Buffer> {
    return nextOn(this.channel, (m) => (m.length >= 4 && m.readUInt16BE(0) === n ? m.subarray(4, 4 + m.readUInt16BE(2)) : undefined));
  }
}

/** Peer → relay and relay → peer through channel `n`: the peer sees the relay's address, the client the data. */
export async function channelRoundTrip(c: TurnTestClient, n: number, peer: dgram.Socket, relay: TransportAddress): Promise<{ atPeer: { data: string; from: string; port: number }; atClient: string }> {
  const peerCh = { on: (l: (d: Buffer, r: dgram.RemoteInfo) => void) => peer.on('message', l), off: (l: (d: Buffer, r: dgram.RemoteInfo) => void) => peer.off('message', l) };
  const atPeer = new Promise<{ data: string; from: string; port: number }>((resolve, reject) => {
    const t = setTimeout(() => (peerCh.off(on), reject(new Error('peer got nothing'))), 3000);
    const on = (d: Buffer, r: dgram.RemoteInfo): void => (clearTimeout(t), peerCh.off(on), resolve({ data: d.toString(), from: r.address, port: r.port }));
    peerCh.on(on);
  });
  c.sendChannel(n, Buffer.from(`to-peer-${n}`));
  const got = await atPeer;
  const atClient = c.nextChannelData(n);
  peer.send(`to-client-${n}`, relay.port, relay.ip);
  return { atPeer: got, atClient: (await atClient).toString() };
}
