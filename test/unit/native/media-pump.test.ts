import dgram from 'node:dgram';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SrtpSender, type SrtpSendKeys } from '../../../src/media/engine/srtp-send.js';
import { OutgoingHeaderWriter } from '../../../src/media/engine/outgoing-header.js';
import { canonicalInPlace } from '../../../src/media/engine/werift-extensions.js';
import { EXT_URI, findExtensionIn } from '../../../src/media/rtp/extensions.js';
import { buildRtpPacket, rtpHeaderLength } from '../../../src/media/rtp/header.js';
import { writeRewrite, type PacketRewrite } from '../../../src/media/rtp/rewrite.js';
import { pictureIdFields } from '../../../src/media/rtp/picture-id.js';
import {
  NATIVE_SRTP_AES_CM,
  NATIVE_SRTP_GCM,
  udpSocketFd,
  udpSocketHandle,
  type NativePump,
  type NativeSrtpReceiver,
  type NativeSrtpSender,
  type PumpItem,
  type PumpRouteParams,
} from '../../../src/native/index.js';
import { requireNative } from './require-native.js';

const native = requireNative();

const PROFILES = [
  { name: 'AES-128-GCM', profile: 'aes128-gcm', id: NATIVE_SRTP_GCM, salt: 12, tag: 16 },
  { name: 'AES-CM-128-HMAC-SHA1-80', profile: 'aes128-cm-hmac-sha1-80', id: NATIVE_SRTP_AES_CM, salt: 14, tag: 10 },
] as const;
type Profile = (typeof PROFILES)[number];

const IN_SSRC = 0x11223344;
const OUT_SSRC = 0x55667788;
const PUB_PT = 96;
const PUB_IDS = { mid: 3, absSendTime: 2, audioLevel: 5 };
const SUB_IDS = { mid: 4, absSendTime: 9, audioLevel: 10 };
const SUB_URI_TO_ID = new Map<string, number>([
  [EXT_URI.mid, SUB_IDS.mid],
  [EXT_URI.absSendTime, SUB_IDS.absSendTime],
  [EXT_URI.audioLevel, SUB_IDS.audioLevel],
]);
const SUB_MID = 'sub1';

const sockets: dgram.Socket[] = [];
const pumps: NativePump[] = [];

afterEach(() => {
  for (const p of pumps.splice(0)) {
    try {
      native.pumpClose(p);
    } catch {
      // closed by the test
    }
  }
  for (const s of sockets.splice(0)) s.close();
});

async function bound(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  sockets.push(socket);
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return socket;
}

/** One SRTP session's keys as the TypeScript sender and as native contexts. */
function session(p: Profile): { ts: SrtpSender; sender: NativeSrtpSender; receiver: NativeSrtpReceiver } {
  const keys: SrtpSendKeys = {
    profile: p.profile,
    sessionKey: randomBytes(16),
    sessionSalt: randomBytes(p.salt),
    authKey: p.id === NATIVE_SRTP_AES_CM ? randomBytes(20) : undefined,
  };
  const args = [p.id, keys.sessionKey, keys.sessionSalt, keys.authKey] as const;
  return { ts: new SrtpSender(keys), sender: native.srtpSender(...args), receiver: native.srtpReceiver(...args) };
}

function seal(ts: SrtpSender, plain: Buffer, roc: number): Buffer {
  const h = rtpHeaderLength(plain);
  return ts.protect(plain, h, plain, h, plain.length, roc);
}

/** Opens a copy of an SRTP packet: header || plaintext, or undefined when it does not authenticate. */
function open(receiver: NativeSrtpReceiver, packet: Buffer, roc: number): Buffer | undefined {
  const copy = Buffer.from(packet);
  const n = native.srtpOpen(receiver, copy, rtpHeaderLength(copy), roc);
  return n < 0 ? undefined : copy.subarray(0, n);
}

interface PacketOptions {
  seq: number;
  pt?: number;
  payload?: Buffer;
  marker?: boolean;
  padding?: number;
}

function publisherPacket(o: PacketOptions): Buffer {
  const packet = buildRtpPacket({
    payloadType: o.pt ?? PUB_PT,
    sequenceNumber: o.seq & 0xffff,
    timestamp: (o.seq * 960 + 0xfffff000) >>> 0,
    ssrc: IN_SSRC,
    marker: o.marker ?? o.seq % 2 === 0,
    payload: o.payload ?? randomBytes(40 + (o.seq % 7)),
    extensions: [
      { id: PUB_IDS.mid, data: Buffer.from('a0') },
      { id: PUB_IDS.absSendTime, data: Buffer.from([1, 2, 3]) },
      { id: PUB_IDS.audioLevel, data: Buffer.from([0x80 | (o.seq & 0x7f)]) },
    ],
  });
  if (o.padding === undefined) return packet;
  const pad = Buffer.alloc(o.padding);
  pad[o.padding - 1] = o.padding;
  const padded = Buffer.concat([packet, pad]);
  padded[0]! |= 0x20;
  return padded;
}

/** A packet with a two-byte extension block (RFC 8285 4.3), with or without the audio level. */
const twoByteCache = new Map<string, Buffer>();
function twoBytePacket(seq: number, level: boolean): Buffer {
  const key = `${seq}/${level}`;
  const cached = twoByteCache.get(key);
  if (cached !== undefined) return cached;
  const elements = [7, 2, 0xaa, 0xbb, ...(level ? [PUB_IDS.audioLevel, 1, 0x85] : [])];
  const body = Buffer.alloc(Math.ceil(elements.length / 4) * 4);
  Buffer.from(elements).copy(body);
  const fixed = Buffer.alloc(16);
  fixed[0] = 0x90;
  fixed[1] = PUB_PT;
  fixed.writeUInt16BE(seq, 2);
  fixed.writeUInt32BE(123456, 4);
  fixed.writeUInt32BE(IN_SSRC, 8);
  fixed.writeUInt16BE(0x1000, 12);
  fixed.writeUInt16BE(body.length / 4, 14);
  const packet = Buffer.concat([fixed, body, randomBytes(30)]);
  twoByteCache.set(key, packet);
  return packet;
}

function routeParams(over: Partial<PumpRouteParams> = {}): PumpRouteParams {
  return {
    ssrc: OUT_SSRC,
    payloadType: 100,
    seqDelta: 500,
    tsDelta: 12345,
    roc: 0,
    lastSeq: 1499,
    extensions: [
      [SUB_IDS.mid, 0],
      [SUB_IDS.absSendTime, 1],
      [SUB_IDS.audioLevel, 2],
    ],
    mid: Buffer.from(SUB_MID),
    pictureCodec: 0,
    pictureIdDelta: 0,
    tl0Delta: 0,
    ...over,
  };
}

/** The TypeScript path's plaintext for one publisher packet and one subscriber. */
function typescriptPath(plain: Buffer, params: PumpRouteParams): { out: Buffer; headerLength: number } {
  const canonical = canonicalInPlace(Buffer.from(plain), PUB_IDS.audioLevel)!;
  const writer = new OutgoingHeaderWriter(SUB_URI_TO_ID);
  expect(writer.layout(canonical, params.mid?.toString('ascii'))).toBe(true);
  const headerLength = writer.headerLength;
  const out = Buffer.alloc(headerLength + canonical.length - writer.payloadStart);
  writer.write(canonical, out, Date.now());
  canonical.copy(out, headerLength, writer.payloadStart);
  const codec = params.pictureCodec === 1 ? 'vp8' : params.pictureCodec === 2 ? 'vp9' : undefined;
  const fields = codec === undefined ? undefined : pictureIdFields(codec, canonical.subarray(writer.payloadStart));
  const rewrite: PacketRewrite = {
    sequenceNumber: (plain.readUInt16BE(2) + params.seqDelta) & 0xffff,
    timestamp: (plain.readUInt32BE(4) + params.tsDelta) >>> 0,
    ssrc: params.ssrc,
    payloadType: params.payloadType,
    pictureCodec: codec,
    pictureId: fields !== undefined && fields.pictureIdOffset >= 0 ? fields.pictureId + params.pictureIdDelta : undefined,
    tl0PicIdx: fields !== undefined && fields.tl0Offset >= 0 ? fields.tl0PicIdx + params.tl0Delta : undefined,
  };
  writeRewrite(out, headerLength, rewrite);
  return { out, headerLength };
}

/** Values arriving from callbacks, awaited by count. */
class Inbox<T> {
  readonly values: T[] = [];
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  push(...values: T[]): void {
    this.values.push(...values);
    this.waiters = this.waiters.filter((w) => {
      if (this.values.length < w.n) return true;
      w.resolve();
      return false;
    });
  }
  async until(n: number): Promise<T[]> {
    if (this.values.length < n) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out with ${this.values.length} of ${n}`)), 2000);
        this.waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    }
    return this.values.slice(0, n);
  }
}

interface Setup {
  pump: NativePump;
  items: Inbox<PumpItem>;
  calls: PumpItem[][];
  publisher: dgram.Socket;
  inPort: number;
  inFd: number;
  received: Inbox<Buffer>;
  /** The socket the route was armed with. */
  outbound: dgram.Socket;
  pub: ReturnType<typeof session>;
  sub: ReturnType<typeof session>;
  send(data: Buffer): void;
}

async function setup(p: Profile, opts: { batchMs?: number; batch?: boolean; params?: PumpRouteParams; lastSeq?: number; roc?: number } = {}): Promise<Setup> {
  const items = new Inbox<PumpItem>();
  const calls: PumpItem[][] = [];
  const pump = native.pumpCreate((batch) => {
    calls.push(batch);
    items.push(...batch);
  }, opts.batchMs ?? 20);
  pumps.push(pump);
  const [inbound, publisher, outbound, subscriber] = await Promise.all([bound(), bound(), bound(), bound()]);
  (udpSocketHandle(inbound) as { recvStop(): number }).recvStop();
  const inFd = udpSocketFd(inbound)!;
  native.pumpAddSocket(pump, inFd);
  const received = new Inbox<Buffer>();
  subscriber.on('message', (m: Buffer) => received.push(m));
  const pub = session(p);
  const sub = session(p);
  native.pumpSetIngress(pump, IN_SSRC, PUB_PT, pub.receiver, opts.roc ?? 0, opts.lastSeq ?? 999, PUB_IDS.audioLevel, opts.batch ?? false);
  const sockaddr = native.udpAddress('127.0.0.1', subscriber.address().port)!;
  native.pumpArm(pump, 1, IN_SSRC, sub.sender, udpSocketFd(outbound)!, sockaddr, opts.params ?? routeParams());
  const inPort = inbound.address().port;
  return { pump, items, calls, publisher, inPort, inFd, received, outbound, pub, sub, send: (d) => publisher.send(d, inPort, '127.0.0.1') };
}

/** Checks a forwarded packet against the TypeScript path, abs-send-time aside (within a few ms of now). */
function expectTypescriptBytes(s: Setup, plain: Buffer, got: Buffer, params: PumpRouteParams, roc: number): void {
  const { out, headerLength } = typescriptPath(plain, params);
  const abs = findExtensionIn(out, 12 + (out[0]! & 0x0f) * 4, headerLength, SUB_IDS.absSendTime)!;
  got.copy(out, abs.offset, abs.offset, abs.offset + 3);
  expect(got.equals(s.sub.ts.protect(out, headerLength, out, headerLength, out.length, roc))).toBe(true);
  const now = Math.floor((Date.now() * 262144) / 1000) & 0xffffff;
  const diff = (now - got.readUIntBE(abs.offset, 3) + 0x1000000) % 0x1000000;
  expect(diff).toBeLessThan(262144 * 0.05); // 50 ms in 6.18 fixed point
}

describe('media pump', () => {
  it('hands raw datagrams to JavaScript in order, with their sender and socket', async () => {
    const s = await setup(PROFILES[0]);
    const sent = [Buffer.from([0, 1, 0, 8, 0x21, 0x12, 0xa4, 0x42]), randomBytes(30).fill(0x16, 0, 1), Buffer.from('x')];
    for (const d of sent) s.send(d);
    const items = await s.items.until(3);
    const before = Date.now();
    expect(items.map((i) => i.kind)).toEqual([0, 0, 0]);
    for (const [i, item] of items.entries()) {
      expect(item.data.equals(sent[i]!)).toBe(true);
      expect(item).toMatchObject({ address: '127.0.0.1', port: s.publisher.address().port, family: 'IPv4', fd: s.inFd });
      expect(Math.abs(item.arrivalMs - before)).toBeLessThan(1000);
    }
    expect(native.pumpStats(s.pump)).toMatchObject({ received: 3, forwarded: 0, sent: 0 });
  });

  it.each(PROFILES)('forwards the steady state byte for byte as the TypeScript path (%s)', async (p) => {
    const params = routeParams();
    const s = await setup(p, { params });
    const plains = [1000, 1001, 1002, 1003].map((seq) => publisherPacket({ seq }));
    for (const plain of plains) s.send(seal(s.pub.ts, plain, 0));
    const got = await s.received.until(4);
    const items = await s.items.until(4);
    for (const [i, plain] of plains.entries()) {
      expectTypescriptBytes(s, plain, got[i]!, params, 0);
      expect(items[i]).toMatchObject({ kind: 2, routes: [1], roc: 0 });
      expect(items[i]!.data.equals(plain)).toBe(true);
    }
    expect(native.pumpStats(s.pump)).toMatchObject({ received: 4, forwarded: 4, sent: 4, sendFailures: 0 });
  });

  it.each([
    ['a two-byte block stays two-byte', twoBytePacket(1000, true)],
    ['without the audio level the block is one-byte', twoBytePacket(1000, false)],
    ['no extension at all', buildRtpPacket({ payloadType: PUB_PT, sequenceNumber: 1000, timestamp: 1, ssrc: IN_SSRC, payload: randomBytes(33) })],
  ] as const)('writes the extension profile as the TypeScript path: %s', async (_, plain) => {
    const params = routeParams();
    const s = await setup(PROFILES[0], { params });
    s.send(seal(s.pub.ts, plain, 0));
    const [got] = await s.received.until(1);
    expectTypescriptBytes(s, plain, got!, params, 0);
    expect(got!.readUInt16BE(12)).toBe(plain === twoBytePacket(1000, true) ? 0x1000 : 0xbede);
  });

  it('drops a packet that does not authenticate', async () => {
    const s = await setup(PROFILES[1]);
    const bad = seal(s.pub.ts, publisherPacket({ seq: 1000 }), 0);
    bad[bad.length - 1]! ^= 1;
    s.send(bad);
    s.send(Buffer.from('after'));
    const items = await s.items.until(1);
    expect(items[0]!.kind).toBe(0);
    expect(native.pumpStats(s.pump)).toMatchObject({ authFailures: 1, forwarded: 0 });
  });

  it.each([
    ['a sequence gap', { seq: 1002 }],
    ['another payload type', { seq: 1001, pt: 97 }],
    ['a padded packet', { seq: 1001, padding: 4 }],
  ] as const)('holds the ingress on %s until pumpRelease', async (_, cause) => {
    const s = await setup(PROFILES[0]);
    s.send(seal(s.pub.ts, publisherPacket({ seq: 1000 }), 0));
    await s.received.until(1);
    const odd = publisherPacket(cause);
    s.send(seal(s.pub.ts, odd, 0));
    const later = seal(s.pub.ts, publisherPacket({ seq: cause.seq + 1 }), 0);
    s.send(later);
    const items = await s.items.until(3);
    expect(items.map((i) => i.kind)).toEqual([2, 1, 0]);
    expect(items[1]!.data.equals(odd)).toBe(true);
    expect(items[2]!.data.equals(later)).toBe(true);
    expect(native.pumpStats(s.pump)).toMatchObject({ sent: 1, held: 1 });

    native.pumpRelease(s.pump, IN_SSRC, 0, cause.seq + 1, false);
    const resumed = publisherPacket({ seq: cause.seq + 2 });
    s.send(seal(s.pub.ts, resumed, 0));
    const [, second] = await s.received.until(2);
    expect((await s.items.until(4))[3]).toMatchObject({ kind: 2, routes: [1] });
    expect(open(s.sub.receiver, second!, 0)!.readUInt16BE(2)).toBe((cause.seq + 2 + 500) & 0xffff);
  });

  it('batches forwarded items into one callback within batchMs', async () => {
    const s = await setup(PROFILES[0], { batch: true, batchMs: 30 });
    const start = performance.now();
    for (let seq = 1000; seq < 1004; seq++) s.send(seal(s.pub.ts, publisherPacket({ seq }), 0));
    await s.items.until(4);
    expect(performance.now() - start).toBeLessThan(30 + 200);
    expect(s.calls.map((c) => c.map((i) => i.kind))).toEqual([[2, 2, 2, 2]]);
    expect(s.received.values.length).toBe(4);
  });

  it('drains queued items synchronously, in arrival order with raw datagrams between them', async () => {
    const s = await setup(PROFILES[1], { batch: true, batchMs: 10_000 });
    s.send(seal(s.pub.ts, publisherPacket({ seq: 1000 }), 0));
    s.send(Buffer.from('raw'));
    s.send(seal(s.pub.ts, publisherPacket({ seq: 1001 }), 0));
    s.send(seal(s.pub.ts, publisherPacket({ seq: 1002 }), 0));
    // the raw datagram flushes the forwarded one before it
    expect((await s.items.until(2)).map((i) => i.kind)).toEqual([2, 0]);
    await vi.waitFor(() => expect(native.pumpStats(s.pump).forwarded).toBe(3), { timeout: 2000, interval: 2 });
    const drained = native.pumpDrain(s.pump);
    expect(drained.map((i) => [i.kind, i.data.readUInt16BE(2)])).toEqual([
      [2, 1001],
      [2, 1002],
    ]);
    expect(native.pumpDrain(s.pump)).toEqual([]);
    expect(s.calls.length).toBe(1);
  });

  it.each([
    ['7-bit', [0x90, 0xc0, 0x7e, 250], 5, 10, [0x90, 0xc0, 0x03, 4]],
    ['15-bit', [0x90, 0xc0, 0xff, 0xfe, 200], 3, 100, [0x90, 0xc0, 0x80, 0x01, 44]],
  ] as const)('rewrites the VP8 PictureID (%s) and TL0PICIDX with their deltas, wrapping', async (_, descriptor, pidDelta, tl0Delta, want) => {
    const params = routeParams({ pictureCodec: 1, pictureIdDelta: pidDelta, tl0Delta });
    const s = await setup(PROFILES[0], { params });
    const plain = publisherPacket({ seq: 1000, payload: Buffer.concat([Buffer.from(descriptor), randomBytes(20)]) });
    s.send(seal(s.pub.ts, plain, 0));
    const [got] = await s.received.until(1);
    expectTypescriptBytes(s, plain, got!, params, 0);
    const opened = open(s.sub.receiver, got!, 0)!;
    expect([...opened.subarray(rtpHeaderLength(opened), rtpHeaderLength(opened) + want.length)]).toEqual(want);
  });

  it('keeps both rollover counters across the wrap, as werift would', async () => {
    const params = routeParams({ roc: 7, lastSeq: 65534, seqDelta: 0 });
    const s = await setup(PROFILES[1], { params, lastSeq: 65534, roc: 2 });
    const incoming = [
      [65535, 2],
      [0, 3],
      [1, 3],
    ] as const;
    const plains = incoming.map(([seq]) => publisherPacket({ seq }));
    for (const [i, [, roc]] of incoming.entries()) s.send(seal(s.pub.ts, plains[i]!, roc));
    const got = await s.received.until(3);
    const items = await s.items.until(3);
    expect(items.map((i) => [i.kind, i.roc])).toEqual([
      [2, 2],
      [2, 3],
      [2, 3],
    ]);
    const outRocs = [7, 8, 8];
    for (const [i, packet] of got.entries()) {
      expect(packet.readUInt16BE(2)).toBe([65535, 0, 1][i]);
      expectTypescriptBytes(s, plains[i]!, packet, params, outRocs[i]!);
      expect(open(s.sub.receiver, packet, outRocs[i]!)).toBeDefined();
    }
    expect(open(s.sub.receiver, got[1]!, 7)).toBeUndefined();
    expect(native.pumpDisarm(s.pump, 1)).toEqual({ roc: 8, lastSeq: 1 });
    expect(native.pumpDisarm(s.pump, 1)).toBeUndefined();
  });

  it('turns batching on and off for an ingress (pumpSetBatch)', async () => {
    const s = await setup(PROFILES[0], { batch: false, batchMs: 10_000 });
    s.send(seal(s.pub.ts, publisherPacket({ seq: 1000 }), 0));
    await s.items.until(1);
    s.send(seal(s.pub.ts, publisherPacket({ seq: 1001 }), 0));
    await s.items.until(2);
    expect(s.calls.map((c) => c.length)).toEqual([1, 1]); // each at once
    native.pumpSetBatch(s.pump, IN_SSRC, true);
    s.send(seal(s.pub.ts, publisherPacket({ seq: 1002 }), 0));
    s.send(seal(s.pub.ts, publisherPacket({ seq: 1003 }), 0));
    await s.received.until(4); // forwarded at once, held back from JavaScript
    await vi.waitFor(() => expect(native.pumpStats(s.pump).forwarded).toBe(4), { timeout: 2000, interval: 2 });
    expect(s.calls.length).toBe(2);
    expect(native.pumpDrain(s.pump).map((i) => i.data.readUInt16BE(2))).toEqual([1002, 1003]);
    expect(() => native.pumpSetBatch(s.pump, 0x1234, true)).toThrow(/no such ingress/);
    expect(() => native.pumpSetBatch(s.pump, IN_SSRC, 1 as unknown as boolean)).toThrow(TypeError);
  });

  it('sends on a descriptor of its own: Node closing the socket a route was armed with does not stop the route', async () => {
    const s = await setup(PROFILES[1]);
    sockets.splice(sockets.indexOf(s.outbound), 1);
    s.outbound.close();
    await once(s.outbound, 'close');
    s.send(seal(s.pub.ts, publisherPacket({ seq: 1000 }), 0));
    expect((await s.received.until(1)).length).toBe(1);
    expect(native.pumpStats(s.pump)).toMatchObject({ sent: 1, sendFailures: 0 });
  });

  it('sends nothing to a disarmed route', async () => {
    const s = await setup(PROFILES[0]);
    native.pumpDisarm(s.pump, 1);
    s.send(seal(s.pub.ts, publisherPacket({ seq: 1000 }), 0));
    const [item] = await s.items.until(1);
    expect(item).toMatchObject({ kind: 2, routes: [] });
    expect(native.pumpStats(s.pump).sent).toBe(0);
  });

  it('refuses bad arguments with a TypeError', async () => {
    const s = await setup(PROFILES[0]);
    const call = (name: keyof typeof native, ...args: unknown[]): unknown => (native[name] as unknown as (...a: unknown[]) => unknown)(...args);
    const fd = udpSocketFd(s.publisher)!;
    const addr = native.udpAddress('127.0.0.1', 9)!;
    expect(() => call('pumpCreate', 'x', 10)).toThrow(TypeError);
    expect(() => call('pumpCreate', () => {}, -1)).toThrow(/pumpCreate/);
    expect(() => call('pumpAddSocket', {}, fd)).toThrow(/not a pump/);
    expect(() => call('pumpAddSocket', s.sub.sender, fd)).toThrow(/not a pump/);
    expect(() => call('pumpAddSocket', s.pump, -1)).toThrow(/fd/);
    expect(() => call('pumpAddSocket', s.pump, 1_000_000)).toThrow(/not an open descriptor/);
    expect(() => call('pumpAddSocket', s.pump, s.inFd)).toThrow(/already/);
    expect(() => call('pumpSetIngress', s.pump, IN_SSRC, 96, s.sub.sender, 0, 0, 0, false)).toThrow(/srtpReceiver/);
    expect(() => call('pumpSetIngress', s.pump, 2 ** 32, 96, s.pub.receiver, 0, 0, 0, false)).toThrow(/ssrc/);
    expect(() => call('pumpSetIngress', s.pump, 1, 128, s.pub.receiver, 0, 0, 0, false)).toThrow(/payloadType/);
    expect(() => call('pumpSetIngress', s.pump, 1, 96, s.pub.receiver, 0, 65536, 0, false)).toThrow(/lastSeq/);
    expect(() => call('pumpSetIngress', s.pump, 1, 96, s.pub.receiver, 0, 0, 0, 'yes')).toThrow(/batch/);
    expect(() => call('pumpRelease', s.pump, 42, 0, 0, false)).toThrow(/no such ingress/);
    expect(() => call('pumpArm', s.pump, 2, IN_SSRC, s.pub.receiver, fd, addr, routeParams())).toThrow(/srtpSender/);
    expect(() => call('pumpArm', s.pump, 2, IN_SSRC, s.sub.sender, fd, Buffer.alloc(3), routeParams())).toThrow(TypeError);
    expect(() => call('pumpArm', s.pump, 2, IN_SSRC, s.sub.sender, fd, addr, routeParams({ seqDelta: 65536 }))).toThrow(/seqDelta/);
    expect(() => call('pumpArm', s.pump, 2, IN_SSRC, s.sub.sender, fd, addr, routeParams({ tsDelta: 1.5 }))).toThrow(/tsDelta/);
    const unsorted = routeParams({ extensions: [[9, 1], [4, 0]] });
    expect(() => call('pumpArm', s.pump, 2, IN_SSRC, s.sub.sender, fd, addr, unsorted)).toThrow(/extensions/);
    const badKind = { ...routeParams(), extensions: [[4, 3]] };
    expect(() => call('pumpArm', s.pump, 2, IN_SSRC, s.sub.sender, fd, addr, badKind)).toThrow(/extensions/);
    expect(() => call('pumpArm', s.pump, 2, IN_SSRC, s.sub.sender, fd, addr, { ...routeParams(), mid: 'a0' })).toThrow(/mid/);
    expect(() => call('pumpDisarm', s.pump, 'x')).toThrow(/routeId/);
  });

  it('stops calling back once closed, and refuses later calls', async () => {
    const s = await setup(PROFILES[0], { batch: true, batchMs: 20 });
    s.send(seal(s.pub.ts, publisherPacket({ seq: 1000 }), 0));
    await vi.waitFor(() => expect(native.pumpStats(s.pump).forwarded).toBe(1), { timeout: 2000, interval: 2 });
    native.pumpClose(s.pump);
    s.send(Buffer.from('late'));
    await new Promise((resolve) => setTimeout(resolve, 60)); // past the batch: nothing may come
    expect(s.calls).toEqual([]);
    expect(() => native.pumpStats(s.pump)).toThrow(/closed/);
    expect(() => native.pumpClose(s.pump)).toThrow(TypeError);
    expect(() => native.pumpDrain(s.pump)).toThrow(/closed/);
  });
});
