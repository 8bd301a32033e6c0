/**
 * The native TURN relay engine (src/native/turn-relay.ts) through real sockets on loopback: a client,
 * a listening socket, an adopted relay socket and peers. Skipped when the addon is not built (the
 * test script builds it and fails without it).
 */
import dgram from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NativeTurnRelay, nativeTurnRelayAvailable, type NativeDatagram } from '../../../src/native/turn-relay.js';
import { decodeXorAddress } from '../../../src/turn/stun/attributes.js';
import { Attr, Class, Method } from '../../../src/turn/stun/constants.js';
import { encode, getAttr, parse } from '../../../src/turn/stun/message.js';

async function udp(ip = '127.0.0.1'): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, ip, () => r()));
  return s;
}

/** The next datagram on `s` that `accept` takes (or a timeout). */
function next(s: dgram.Socket, accept: (m: Buffer, r: dgram.RemoteInfo) => boolean = () => true, ms = 2000): Promise<{ msg: Buffer; rinfo: dgram.RemoteInfo }> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => (s.off('message', on), reject(new Error('timed out'))), ms);
    const on = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
      if (!accept(msg, rinfo)) return;
      clearTimeout(t);
      s.off('message', on);
      resolve({ msg, rinfo });
    };
    s.on('message', on);
  });
}

const channelData = (n: number, payload: Buffer): Buffer => {
  const b = Buffer.alloc(4 + payload.length);
  b.writeUInt16BE(n, 0);
  b.writeUInt16BE(payload.length, 2);
  payload.copy(b, 4);
  return b;
};

const waitFor = async (cond: () => boolean, ms = 2000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe.skipIf(!nativeTurnRelayAvailable())('native TURN relay engine', () => {
  let engine: NativeTurnRelay;
  let got: NativeDatagram[];
  let listenPort: number;
  let client: dgram.Socket;
  let peer: dgram.Socket;
  let relayPort: number;
  const ALLOC = 7;

  beforeEach(async () => {
    got = [];
    engine = NativeTurnRelay.create((d) => got.push(d)) as NativeTurnRelay;
    listenPort = engine.listen('127.0.0.1', 0, true);
    expect(listenPort).toBeGreaterThan(0);
    client = await udp();
    peer = await udp();
    const relay = await udp();
    relayPort = relay.address().port;
    expect(engine.adopt(ALLOC, relay, undefined, { ip: '127.0.0.1', port: client.address().port }, 0)).toBe(true);
    relay.close(); // the engine holds its own descriptor
  });

  afterEach(() => {
    engine.close();
    client.close();
    peer.close();
  });

  const install = (channels: { number: number; port: number }[], permit = ['127.0.0.1']): void => {
    const expires = Date.now() + 60_000;
    engine.install(ALLOC, {
      permissions: new Map(permit.map((ip) => [ip, expires])),
      channels: channels.map((c) => ({ number: c.number, peer: { ip: '127.0.0.1', port: c.port }, expires })),
    });
  };

  it('hands datagrams on the listening socket to JavaScript with their source', async () => {
    const stun = encode(Method.Binding, Class.Request, Buffer.alloc(12, 1), []);
    client.send(stun, listenPort, '127.0.0.1');
    await waitFor(() => got.length === 1);
    expect(got[0]).toMatchObject({ ip: '127.0.0.1', port: client.address().port });
    expect(got[0]?.data.equals(stun)).toBe(true);
    expect(engine.sendFrom('127.0.0.1', client.address().port, Buffer.from('reply'))).toBe(true);
    const r = await next(client);
    expect(r.msg.toString()).toBe('reply');
    expect(r.rinfo.port).toBe(listenPort);
  });

  it('relays ChannelData both ways for the allocation\'s client, and only for it', async () => {
    install([{ number: 0x4001, port: peer.address().port }]);
    client.send(channelData(0x4001, Buffer.from('to the peer')), listenPort, '127.0.0.1');
    const atPeer = await next(peer);
    expect(atPeer.msg.toString()).toBe('to the peer');
    expect(atPeer.rinfo.port).toBe(relayPort);

    peer.send('to the client', relayPort, '127.0.0.1');
    const atClient = await next(client);
    expect(atClient.rinfo.port).toBe(listenPort);
    expect(atClient.msg.readUInt16BE(0)).toBe(0x4001);
    expect(atClient.msg.readUInt16BE(2)).toBe(13);
    expect(atClient.msg.subarray(4).toString()).toBe('to the client');
    expect(got).toEqual([]);
    const s = engine.stats();
    expect(s).toMatchObject({ packetsToPeer: 1, bytesToPeer: 11, packetsToClient: 1, bytesToClient: 13 });

    const other = await udp();
    other.send(channelData(0x4001, Buffer.from('not mine')), listenPort, '127.0.0.1');
    await waitFor(() => got.length === 1);
    expect(got[0]).toMatchObject({ port: other.address().port });
    other.close();
  });

  it('sends a Data indication for a permitted peer without a channel', async () => {
    install([]);
    peer.send(Buffer.from('hello'), relayPort, '127.0.0.1');
    const { msg, rinfo } = await next(client);
    expect(rinfo.port).toBe(listenPort);
    const p = parse(msg);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.msg.method).toBe(Method.Data);
    expect(p.msg.cls).toBe(Class.Indication);
    expect(getAttr(p.msg, Attr.Data)?.toString()).toBe('hello');
    expect(decodeXorAddress(getAttr(p.msg, Attr.XorPeerAddress) as Buffer, p.msg.tid)).toEqual({ family: 4, ip: '127.0.0.1', port: peer.address().port });
  });

  it('drops peers without a permission, expired channels go to JavaScript, and STUN from the client too', async () => {
    install([], ['127.0.0.9']);
    peer.send('nope', relayPort, '127.0.0.1');
    await waitFor(() => (engine.stats().drops.no_permission ?? 0) === 1);

    const expired = Date.now() - 1;
    engine.install(ALLOC, { permissions: new Map([['127.0.0.1', expired]]), channels: [{ number: 0x4002, peer: { ip: '127.0.0.1', port: peer.address().port }, expires: expired }] });
    peer.send('late', relayPort, '127.0.0.1');
    await waitFor(() => (engine.stats().drops.no_permission ?? 0) === 2);

    const stale = channelData(0x4002, Buffer.from('x'));
    const stun = encode(Method.Refresh, Class.Request, Buffer.alloc(12, 2), []);
    const short = Buffer.from([0x40, 0x01, 0x00, 0x09, 1]); // length beyond the datagram
    for (const m of [stale, stun, short]) client.send(m, listenPort, '127.0.0.1');
    await waitFor(() => got.length === 3);
    expect(got.map((d) => d.port)).toEqual(Array(3).fill(client.address().port));
    expect(got.map((d) => d.data.length)).toEqual([stale.length, stun.length, short.length]);
  });

  it('enforces the bandwidth budget it was given', async () => {
    const c2 = await udp();
    const relay = await udp();
    const port2 = relay.address().port;
    expect(engine.adopt(9, relay, undefined, { ip: '127.0.0.1', port: c2.address().port }, 1000)).toBe(true);
    relay.close();
    engine.install(9, { permissions: new Map([['127.0.0.1', Date.now() + 60_000]]), channels: [] });
    for (let i = 0; i < 5; i++) peer.send(Buffer.alloc(400), port2, '127.0.0.1');
    await waitFor(() => (engine.stats().drops.bandwidth ?? 0) >= 3);
    expect(engine.stats().packetsToClient).toBe(2);
    c2.close();
  });

  it('spends one budget for the ChannelData it relays and the Send indications handed to it', async () => {
    const c2 = await udp();
    const relay = await udp();
    expect(engine.adopt(9, relay, undefined, { ip: '127.0.0.1', port: c2.address().port }, 1000)).toBe(true);
    relay.close();
    const expires = Date.now() + 60_000;
    engine.install(9, {
      permissions: new Map([['127.0.0.1', expires]]),
      channels: [{ number: 0x4001, peer: { ip: '127.0.0.1', port: peer.address().port }, expires }],
    });
    const atPeer: Buffer[] = [];
    peer.on('message', (m) => atPeer.push(m));
    // 1000 bytes a second: two 400-byte ChannelData fit, then a 400-byte Send indication does not
    for (let i = 0; i < 2; i++) c2.send(channelData(0x4001, Buffer.alloc(400, i)), listenPort, '127.0.0.1');
    await waitFor(() => atPeer.length === 2);
    const before = engine.stats();
    engine.toPeer(9, '127.0.0.1', peer.address().port, Buffer.alloc(400, 9));
    const after = engine.stats();
    expect((after.drops.bandwidth ?? 0) - (before.drops.bandwidth ?? 0)).toBe(1);
    expect(after.packetsToPeer).toBe(before.packetsToPeer);
    // a small one still fits (the rest of the second's budget), and is counted where ChannelData is
    engine.toPeer(9, '127.0.0.1', peer.address().port, Buffer.alloc(100, 7));
    await waitFor(() => atPeer.length === 3);
    expect(atPeer[2]?.equals(Buffer.alloc(100, 7))).toBe(true);
    expect(engine.stats().packetsToPeer).toBe(before.packetsToPeer + 1);
    expect(engine.stats().bytesToPeer).toBe(before.bytesToPeer + 100);
    c2.close();
  });

  it('stops relaying when the allocation is freed, refuses bad arguments, survives fuzz', async () => {
    install([{ number: 0x4001, port: peer.address().port }]);
    // fuzz: random datagrams at the connected socket and the relay socket, then the relay still works
    let seed = 1;
    const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    peer.on('message', () => undefined);
    client.on('message', () => undefined);
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.alloc(Math.floor(rand() * 200));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(rand() * 256);
      if (b.length > 0 && rand() < 0.5) b[0] = 0x40 + Math.floor(rand() * 0x40);
      (i % 2 ? client : peer).send(b, i % 2 ? listenPort : relayPort, '127.0.0.1');
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 1)); // let the engine read (socket buffers are small)
    }
    expect(got.length).toBeGreaterThan(500);
    client.removeAllListeners('message');
    peer.removeAllListeners('message');
    await new Promise((r) => setTimeout(r, 100)); // socket buffers drained
    client.send(channelData(0x4001, Buffer.from('still')), listenPort, '127.0.0.1');
    expect((await next(peer, (m) => m.toString() === 'still')).msg.toString()).toBe('still');

    expect(() => engine.install(ALLOC, { permissions: new Map([['not an ip', 1]]), channels: [] })).not.toThrow();
    const addon = engine as unknown as { n: Record<string, (...a: unknown[]) => unknown> };
    expect(() => addon.n.turnRelayListen?.({}, '127.0.0.1', 0, true)).toThrow(TypeError);
    expect(() => addon.n.turnRelayToPeer?.(undefined, 1, '127.0.0.1', 1, Buffer.alloc(1))).toThrow(TypeError);
    expect(engine.listen('127.0.0.1', 0, true)).toBeLessThan(0); // one listening socket per family

    engine.free(ALLOC);
    got.length = 0;
    client.send(channelData(0x4001, Buffer.from('after free')), listenPort, '127.0.0.1');
    await waitFor(() => got.length === 1); // no allocation for this client any more: JavaScript decides
    peer.send('after free', relayPort, '127.0.0.1');
    await expect(next(client, () => true, 300)).rejects.toThrow('timed out');
  });
});
