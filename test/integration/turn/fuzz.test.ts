/**
 * Fuzz: random and mutated STUN/TURN messages at the parser and the core (in process), then at a
 * running server over UDP and TCP. No exception may escape, the server must keep serving, and its
 * memory must stay bounded.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { longTermKey } from '../../../src/turn/core/auth.js';
import { TurnCore } from '../../../src/turn/core/core.js';
import { LocalQuota } from '../../../src/turn/core/quota.js';
import type { Source } from '../../../src/turn/core/types.js';
import { encodeChannel, encodeXorAddress, u32 } from '../../../src/turn/stun/attributes.js';
import { Attr, Class, Method } from '../../../src/turn/stun/constants.js';
import { encode, getAttr, parse, type OutAttr } from '../../../src/turn/stun/message.js';
import { nativeByDefault, startTurn, type RunningTurn } from './harness.js';

/** Deterministic PRNG (mulberry32) so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REALM = 'fuzz';
const KEY = longTermKey('test', REALM, 'testpass');
const METHODS = Object.values(Method);
const ATTRS = [...Object.values(Attr), 0x0003, 0x0026, 0x7fff, 0xffff];

function randomAttrValue(r: () => number, tid: Buffer): Buffer {
  switch (Math.floor(r() * 6)) {
    case 0: return encodeXorAddress({ family: 4, ip: `${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.1.2`, port: Math.floor(r() * 65536) }, tid);
    case 1: return encodeXorAddress({ family: 6, ip: `2001:db8::${Math.floor(r() * 65535).toString(16)}`, port: 1 }, tid);
    case 2: return u32(Math.floor(r() * 2 ** 32));
    case 3: return encodeChannel(0x3ff0 + Math.floor(r() * 0x4100));
    case 4: return Buffer.from([Math.floor(r() * 256), 0, 0, 0]);
    default: return randomBytes(Math.floor(r() * 40));
  }
}

/** A well-formed (and, half the time, correctly signed) request with random attributes. */
function randomMessage(r: () => number, nonce: string): Buffer {
  const tid = randomBytes(12);
  const attrs: OutAttr[] = [];
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i++) attrs.push({ type: ATTRS[Math.floor(r() * ATTRS.length)] as number, value: randomAttrValue(r, tid) });
  const signed = r() < 0.5;
  if (signed) attrs.push({ type: Attr.Username, value: Buffer.from('test') }, { type: Attr.Realm, value: Buffer.from(REALM) }, { type: Attr.Nonce, value: Buffer.from(nonce) });
  const cls = r() < 0.8 ? Class.Request : r() < 0.5 ? Class.Indication : Class.Success;
  return encode(METHODS[Math.floor(r() * METHODS.length)] as number, cls, tid, attrs, { key: signed ? KEY : undefined, fingerprint: r() < 0.5 });
}

function mutate(r: () => number, input: Buffer): Buffer {
  const b = Buffer.from(input);
  switch (Math.floor(r() * 6)) {
    case 0: { // bit flips
      for (let i = 0, k = 1 + Math.floor(r() * 4); i < k && b.length; i++) {
        const at = Math.floor(r() * b.length);
        b[at] = b[at]! ^ (1 << Math.floor(r() * 8));
      }
      return b;
    }
    case 1: return b.subarray(0, Math.floor(r() * b.length)); // truncation
    case 2: { // length fields (header or an attribute)
      const at = r() < 0.5 ? 2 : 20 + 2 + 4 * Math.floor(r() * 4);
      if (at + 2 <= b.length) b.writeUInt16BE(Math.floor(r() * 65536), at);
      return b;
    }
    case 3: return Buffer.concat([b, randomBytes(Math.floor(r() * 64))]); // trailing garbage
    case 4: { // ChannelData with a random header
      const cd = randomBytes(4 + Math.floor(r() * 64));
      cd[0] = 0x40 + Math.floor(r() * 0x40);
      if (r() < 0.5) cd.writeUInt16BE(cd.length - 4, 2);
      return cd;
    }
    default: return randomBytes(Math.floor(r() * 120)); // noise
  }
}

const rss = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

describe('TURN fuzz', () => {
  it('parser and core survive 150,000 random and mutated messages without throwing', () => {
    const r = rng(0xc0ffee);
    const core = new TurnCore({
      realm: REALM, users: new Map([['test', 'testpass']]), allowLoopbackPeers: false, allowPeers: [], denyPeers: [],
      maxPermissionsPerAllocation: 8, maxBitrate: 0, ipv6Relay: true, quota: new LocalQuota(1000, 100000),
    });
    const sources: Source[] = Array.from({ length: 16 }, (_, i) => ({ key: `udp|10.0.0.${i}|1`, transport: i % 4 === 0 ? 'tcp' : 'udp', address: { family: 4, ip: `10.0.0.${i}`, port: 1 } }));
    // a nonce from a real challenge, so signed messages reach the handlers
    const ch = core.handle(encode(Method.Allocate, Class.Request, randomBytes(12), []), sources[0] as Source, 0);
    const first = ch[0];
    const p = first && first.kind === 'send' ? parse(first.data) : undefined;
    const nonce = p?.ok ? getAttr(p.msg, Attr.Nonce)?.toString() ?? '' : '';
    expect(nonce).not.toBe('');
    let parsedOk = 0;
    let actions = 0;
    const corpus: Buffer[] = [];
    for (let i = 0; i < 150_000; i++) {
      const base = corpus.length > 0 && r() < 0.7 ? (corpus[Math.floor(r() * corpus.length)] as Buffer) : randomMessage(r, nonce);
      if (corpus.length < 512) corpus.push(base);
      const msg = r() < 0.25 ? base : mutate(r, base);
      if (parse(msg).ok) parsedOk++;
      const src = sources[Math.floor(r() * sources.length)] as Source;
      const out = core.handle(msg, src, 1000 + i);
      actions += out.length;
      for (const a of out) {
        if (a.kind === 'openRelay') actions += core.relayOpened(a.alloc, { ok: true, relays: a.families.map((family) => ({ family, ip: family === 4 ? '192.0.2.1' : '2001:db8::1', port: 40000 + (i % 1000) })) }, 1000 + i).length;
        if (a.kind === 'tcpConnect') actions += core.tcpConnected(a.alloc, a.connectionId, r() < 0.5, 1000 + i).length;
      }
      if (i % 10_000 === 0) core.tick(1000 + i);
    }
    expect(parsedOk).toBeGreaterThan(10_000);
    expect(actions).toBeGreaterThan(10_000);
    expect(core.stats.drops.size).toBeGreaterThan(3);
  }, 60_000);

  describe('against a running server', () => {
    let turn: RunningTurn;
    beforeAll(async () => {
      turn = await startTurn({ listenIp: '127.0.0.1', port: 0, realm: REALM, users: ['test:testpass'], relayPortMin: 40000, relayPortMax: 49999, maxAllocationsPerUser: 1000 });
    });
    afterAll(async () => turn?.stop());

    it('keeps serving after 100,000 fuzzed datagrams and 2,000 fuzzed TCP frames, memory bounded', async () => {
      expect(turn.native).toBe(nativeByDefault()); // the datagrams reach the native engine's listening sockets
      const pid = turn.proc.pid as number;
      const before = rss(pid);
      const r = rng(42);
      const socks = await Promise.all(Array.from({ length: 8 }, () => new Promise<dgram.Socket>((res) => {
        const s = dgram.createSocket('udp4');
        s.bind(0, '127.0.0.1', () => res(s));
      })));
      // a real nonce (bound to 127.0.0.1), so signed fuzz messages get past authentication into the handlers
      const first = socks[0] as dgram.Socket;
      const fuzzChallenge = await new Promise<ReturnType<typeof parse>>((res) => {
        first.once('message', (d) => res(parse(d)));
        first.send(encode(Method.Allocate, Class.Request, randomBytes(12), []), turn.ports.udp, '127.0.0.1');
      });
      const nonce = fuzzChallenge.ok ? getAttr(fuzzChallenge.msg, Attr.Nonce)?.toString() ?? '' : '';
      expect(nonce).not.toBe('');
      for (const s of socks) s.on('message', () => undefined);
      for (let i = 0; i < 100_000; i += 200) {
        // bursts of 200, each burst awaited so socket buffers do not just drop everything
        await Promise.all(Array.from({ length: 200 }, (_, j) => new Promise<void>((res) => {
          const base = randomMessage(r, nonce);
          const msg = r() < 0.2 ? base : mutate(r, base);
          (socks[(i + j) % socks.length] as dgram.Socket).send(msg, turn.ports.udp, '127.0.0.1', () => res());
        })));
      }
      // TCP: random frames, some connections killed by bad framing
      for (let c = 0; c < 20; c++) {
        await new Promise<void>((res) => {
          const s = net.connect(turn.ports.tcp, '127.0.0.1', () => {
            for (let k = 0; k < 100; k++) s.write(mutate(r, randomMessage(r, nonce)));
            s.end();
          });
          s.on('data', () => undefined);
          s.on('error', () => res());
          s.on('close', () => res());
        });
      }
      for (const s of socks) s.close();

      // still alive and serving: Binding, then a full authenticated Allocate
      expect(turn.proc.exitCode).toBeNull();
      const client = dgram.createSocket('udp4');
      await new Promise<void>((res) => client.bind(0, '127.0.0.1', () => res()));
      const ask = (buf: Buffer) => new Promise<ReturnType<typeof parse>>((res) => {
        client.once('message', (d) => res(parse(d)));
        client.send(buf, turn.ports.udp, '127.0.0.1');
      });
      const binding = await ask(encode(Method.Binding, Class.Request, randomBytes(12), []));
      expect(binding.ok && binding.msg.cls).toBe(Class.Success);
      const udp = { type: Attr.RequestedTransport, value: Buffer.from([17, 0, 0, 0]) };
      const challenge = await ask(encode(Method.Allocate, Class.Request, randomBytes(12), [udp]));
      const n = challenge.ok ? getAttr(challenge.msg, Attr.Nonce) : undefined;
      expect(n).toBeDefined();
      const alloc = await ask(encode(Method.Allocate, Class.Request, randomBytes(12), [
        udp, { type: Attr.Username, value: Buffer.from('test') }, { type: Attr.Realm, value: Buffer.from(REALM) }, { type: Attr.Nonce, value: n as Buffer },
      ], { key: KEY }));
      expect(alloc.ok && alloc.msg.cls).toBe(Class.Success);
      client.close();

      const growth = rss(pid) - before;
      expect(growth).toBeLessThan(150 * 1024 * 1024);
    }, 60_000);
  });
});
