/**
 * IPv6 relays on a running server (RFC 8656 §7.2, RFC 6156): an IPv4 client asks for an IPv6 relay
 * (REQUESTED-ADDRESS-FAMILY) or for both families (ADDITIONAL-ADDRESS-FAMILY) and exchanges UDP with
 * peers on ::1 and 127.0.0.1 through it; an IPv6 client reaches the server's IPv6 listener.
 */
import { randomBytes } from 'node:crypto';
import type dgram from 'node:dgram';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransportAddress } from '../../../src/turn/stun/address.js';
import { decodeXorAddress } from '../../../src/turn/stun/attributes.js';
import { Attr, Class, Method } from '../../../src/turn/stun/constants.js';
import { encode, getAttr, parse, type OutAttr } from '../../../src/turn/stun/message.js';
import { startTurn, type RunningTurn } from './harness.js';
import { bound, channelRoundTrip, errorCodeOf as code, relayedAddresses as relayed, TurnTestClient, udpChannel } from './turn-client.js';

const USER = 'test';
const PASS = 'testpass';
const REALM = 'parley';
const UDP: OutAttr = { type: Attr.RequestedTransport, value: Buffer.from([17, 0, 0, 0]) };
const family = (type: number, f: 1 | 2): OutAttr => ({ type, value: Buffer.from([f, 0, 0, 0]) });

/** A UDP client on 127.0.0.1, or on ::1 talking to the server's IPv6 listener. */
class Client extends TurnTestClient {
  constructor(readonly socket: dgram.Socket, port: number, host: string) {
    super(udpChannel(socket, port, host), USER, PASS, REALM);
  }

  static async open(port: number, host = '127.0.0.1'): Promise<Client> {
    return new Client(await bound(host.includes(':') ? 'udp6' : 'udp4', host), port, host);
  }
}

async function roundTrip(c: Client, n: number, peer: dgram.Socket, relay: TransportAddress): Promise<void> {
  const r = await channelRoundTrip(c, n, peer, relay);
  expect(r).toEqual({ atPeer: { data: `to-peer-${n}`, from: relay.ip, port: relay.port }, atClient: `to-client-${n}` });
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

  it('takes TCP clients on the IPv6 listener too (Binding over [::1])', async () => {
    const socket = net.connect({ host: '::1', port: turn.ports.tcp });
    try {
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      const tid = randomBytes(12);
      const answer = new Promise<Buffer>((resolve) => {
        let got = Buffer.alloc(0);
        socket.on('data', (d: Buffer) => {
          got = Buffer.concat([got, d]);
          if (got.length >= 20 && got.length >= 20 + got.readUInt16BE(2)) resolve(got);
        });
      });
      socket.write(encode(Method.Binding, Class.Request, tid, []));
      const p = parse(await answer);
      if (!p.ok) throw new Error(p.reason);
      const x = getAttr(p.msg, Attr.XorMappedAddress);
      expect(x && decodeXorAddress(x, p.msg.tid)).toEqual({ family: 6, ip: '::1', port: socket.localPort });
    } finally {
      socket.destroy();
    }
  });
});
