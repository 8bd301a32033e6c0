/**
 * The relay workers' two client paths on a running server, same checks for both: the native relay
 * engine (turn.native, the default where the addon is built) and the TypeScript dgram path. Clients
 * spread over two workers; ChannelData, Send/Data indications, RESERVATION-TOKEN allocations whose
 * reserved port lives in another worker, metrics, and fuzz at the relay path of a live allocation.
 */
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeTurnRelayAvailable } from '../../../src/native/turn-relay.js';
import type { TransportAddress } from '../../../src/turn/stun/address.js';
import { decodeXorAddress, encodeXorAddress } from '../../../src/turn/stun/attributes.js';
import { Attr, Class, Method } from '../../../src/turn/stun/constants.js';
import { encode, getAttr, parse, type OutAttr } from '../../../src/turn/stun/message.js';
import { startTurn, type RunningTurn } from './harness.js';
import { bound, channelRoundTrip, errorCodeOf, nextOn, relayedAddresses, TurnTestClient, udpChannel } from './turn-client.js';

const UDP: OutAttr = { type: Attr.RequestedTransport, value: Buffer.from([17, 0, 0, 0]) };

class Client extends TurnTestClient {
  relay: TransportAddress | undefined;
  token: Buffer | undefined;

  constructor(readonly socket: dgram.Socket, port: number) {
    super(udpChannel(socket, port, '127.0.0.1'), 'test', 'testpass', 'parley');
  }

  static async allocate(port: number, extra: OutAttr[] = []): Promise<Client> {
    const c = new Client(await bound('udp4', '127.0.0.1'), port);
    const r = await c.request(Method.Allocate, [UDP, ...extra]);
    expect(r.cls, `Allocate error ${errorCodeOf(r)}`).toBe(Class.Success);
    c.relay = relayedAddresses(r)[0];
    c.token = getAttr(r, Attr.ReservationToken);
    return c;
  }
}

async function peerSocket(): Promise<dgram.Socket> {
  return bound('udp4', '127.0.0.1');
}

const modes = [
  { name: 'native relay engine', native: true },
  { name: 'TypeScript dgram path', native: false },
];

describe.each(modes)('TURN relay workers: $name', ({ native }) => {
  let turn: RunningTurn;
  let stderr = '';
  const sockets: dgram.Socket[] = [];

  beforeAll(async () => {
    turn = await startTurn({ listenIp: '127.0.0.1', port: 0, users: ['test:testpass'], allowLoopbackPeers: true, relayPortMin: 42000, relayPortMax: 43999, maxAllocationsPerUser: 1000, workers: 2, native });
    turn.proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await turn?.stop();
  });

  const client = async (extra: OutAttr[] = []): Promise<Client> => {
    const c = await Client.allocate(turn.ports.udp, extra);
    sockets.push(c.socket);
    return c;
  };
  const peer = async (): Promise<dgram.Socket> => {
    const p = await peerSocket();
    sockets.push(p);
    return p;
  };
  const addr = (s: dgram.Socket): TransportAddress => ({ family: 4, ip: '127.0.0.1', port: s.address().port });

  it('runs the mode asked for', () => {
    expect(turn.native).toBe(native && nativeTurnRelayAvailable());
  });

  it('relays ChannelData for clients spread over the workers', async () => {
    const p = await peer();
    const clients = await Promise.all(Array.from({ length: 8 }, () => client()));
    for (const [i, c] of clients.entries()) {
      const n = 0x4000 + i;
      expect((await c.channelBind(n, addr(p))).cls).toBe(Class.Success);
      const r = await channelRoundTrip(c, n, p, c.relay as TransportAddress);
      expect(r).toEqual({ atPeer: { data: `to-peer-${n}`, from: '127.0.0.1', port: c.relay?.port }, atClient: `to-client-${n}` });
    }
  });

  it('relays Send indications and answers with Data indications', async () => {
    const c = await client();
    const p = await peer();
    expect((await c.permission(addr(p))).cls).toBe(Class.Success);
    const atPeer = new Promise<Buffer>((r) => p.once('message', (d) => r(d)));
    c.channel.send(encode(Method.Send, Class.Indication, Buffer.alloc(12, 3), [
      { type: Attr.XorPeerAddress, value: encodeXorAddress(addr(p), Buffer.alloc(12, 3)) },
      { type: Attr.Data, value: Buffer.from('send-indication') },
    ]));
    expect((await atPeer).toString()).toBe('send-indication');
    const data = nextOn(c.channel, (m) => {
      const x = parse(m);
      return x.ok && x.msg.method === Method.Data ? x.msg : undefined;
    });
    p.send('data-indication', (c.relay as TransportAddress).port, '127.0.0.1');
    const d = await data;
    expect(getAttr(d, Attr.Data)?.toString()).toBe('data-indication');
    expect(decodeXorAddress(getAttr(d, Attr.XorPeerAddress) as Buffer, d.tid)).toEqual(addr(p));
  });

  it('drops peer datagrams without a permission', async () => {
    const c = await client();
    const p = await peer();
    expect((await c.channelBind(0x4100, addr(p))).cls).toBe(Class.Success);
    // 127.0.0.2 has no permission
    const other = dgram.createSocket('udp4');
    await new Promise<void>((r) => other.bind(0, '127.0.0.2', () => r()));
    sockets.push(other);
    let leaked = false;
    c.channel.on((m) => (leaked ||= m.includes(Buffer.from('no-permission'))));
    other.send('no-permission', (c.relay as TransportAddress).port, '127.0.0.1');
    const r = await channelRoundTrip(c, 0x4100, p, c.relay as TransportAddress);
    expect(r.atClient).toBe('to-client-16640');
    expect(leaked).toBe(false);
  });

  it('serves RESERVATION-TOKEN allocations whose reserved port is in another worker', async () => {
    for (let i = 0; i < 6; i++) {
      const first = await client([{ type: Attr.EvenPort, value: Buffer.from([0x80]) }]);
      expect(first.token).toBeDefined();
      expect((first.relay?.port ?? 1) % 2).toBe(0);
      const second = await client([{ type: Attr.ReservationToken, value: first.token as Buffer }]);
      expect(second.relay?.port).toBe((first.relay?.port ?? 0) + 1);
      const p = await peer();
      expect((await second.channelBind(0x4200, addr(p))).cls).toBe(Class.Success);
      const r = await channelRoundTrip(second, 0x4200, p, second.relay as TransportAddress);
      expect(r.atClient).toBe('to-client-16896');
      // a Refresh after the connected socket exists still reaches the right worker
      const refresh = await second.request(Method.Refresh, [{ type: Attr.Lifetime, value: Buffer.from([0, 0, 2, 88]) }]);
      expect(refresh.cls).toBe(Class.Success);
    }
  });

  it('survives fuzz at a live allocation (client and peer side) and keeps relaying', async () => {
    const c = await client();
    const p = await peer();
    expect((await c.channelBind(0x4300, addr(p))).cls).toBe(Class.Success);
    let seed = 7;
    const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const relay = c.relay as TransportAddress;
    p.on('message', () => undefined);
    c.socket.on('message', () => undefined);
    for (let i = 0; i < 20_000; i++) {
      const b = Buffer.alloc(Math.floor(rand() * 300));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(rand() * 256);
      const kind = rand();
      if (b.length >= 4 && kind < 0.4) {
        b.writeUInt16BE(rand() < 0.5 ? 0x4300 : 0x4000 + Math.floor(rand() * 0x4000), 0);
        b.writeUInt16BE(rand() < 0.5 ? b.length - 4 : Math.floor(rand() * 0x10000), 2);
      } else if (b.length >= 20 && kind < 0.6) {
        b.writeUInt16BE(Math.floor(rand() * 0x40), 0);
        b.writeUInt32BE(0x2112a442, 4);
      }
      if (i % 4 === 0) p.send(b, relay.port, '127.0.0.1');
      else c.socket.send(b, turn.ports.udp, '127.0.0.1');
      if (i % 100 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    p.removeAllListeners('message');
    c.socket.removeAllListeners('message');
    await new Promise((r) => setTimeout(r, 200));
    expect(turn.proc.exitCode).toBeNull();
    const r = await channelRoundTrip(c, 0x4300, p, relay);
    expect(r.atClient).toBe('to-client-17152');
  }, 60_000);

  it('reports relayed packets in parley_turn_* metrics', async () => {
    await new Promise((r) => setTimeout(r, 1200)); // workers post their counters every second
    stderr = '';
    turn.proc.kill('SIGUSR2');
    const deadline = Date.now() + 3000;
    while (!stderr.includes('parley_turn_dropped_total') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const value = (re: RegExp): number => Number(re.exec(stderr)?.[1] ?? 0);
    expect(value(/parley_turn_relayed_packets_total\{direction="to_peer"\} (\d+)/)).toBeGreaterThanOrEqual(20);
    expect(value(/parley_turn_relayed_packets_total\{direction="to_client"\} (\d+)/)).toBeGreaterThanOrEqual(20);
    expect(value(/parley_turn_allocations_active (\d+)/)).toBeGreaterThanOrEqual(20);
    expect(value(/parley_turn_dropped_total\{reason="no_permission"\} (\d+)/)).toBeGreaterThanOrEqual(1);
  });
});

describe.each(modes)('TURN bandwidth cap: $name', ({ native }) => {
  let turn: RunningTurn;
  const sockets: dgram.Socket[] = [];

  beforeAll(async () => {
    // 80 kbit/s: a bucket of 10,000 bytes per allocation
    turn = await startTurn({ listenIp: '127.0.0.1', port: 0, users: ['test:testpass'], allowLoopbackPeers: true, relayPortMin: 44000, relayPortMax: 44999, workers: 1, native, maxBitrate: 80_000 });
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await turn?.stop();
  });

  it('gives an allocation one budget, whether its client sends Send indications or ChannelData', async () => {
    const c = await Client.allocate(turn.ports.udp);
    const p = await peerSocket();
    sockets.push(c.socket, p);
    const to: TransportAddress = { family: 4, ip: '127.0.0.1', port: p.address().port };
    expect((await c.permission(to)).cls).toBe(Class.Success);
    expect((await c.channelBind(0x4001, to)).cls).toBe(Class.Success);
    let received = 0;
    p.on('message', () => received++);
    // 20 datagrams of 1000 bytes at once, half of each kind: the bucket holds 10
    for (let i = 0; i < 10; i++) {
      const tid = Buffer.alloc(12, i + 1);
      c.channel.send(encode(Method.Send, Class.Indication, tid, [
        { type: Attr.XorPeerAddress, value: encodeXorAddress(to, tid) },
        { type: Attr.Data, value: Buffer.alloc(1000, i) },
      ]));
      const data = Buffer.alloc(1004, i);
      data.writeUInt16BE(0x4001, 0);
      data.writeUInt16BE(1000, 2);
      c.channel.send(data);
    }
    await new Promise((r) => setTimeout(r, 300));
    // 10 from the full bucket, up to 3 more from its refill while we wait; two budgets let all 20 through
    expect(received).toBeGreaterThanOrEqual(10);
    expect(received).toBeLessThanOrEqual(13);
  });
});
