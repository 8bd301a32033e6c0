/**
 * NAT traversal through Parley's TURN only: two werift peers on separate private networks, each
 * behind its own NAT (iptables MASQUERADE, no inbound forwarding), the TURN server in a "public"
 * namespace. The test builds the namespaces itself (root needed) and removes them afterwards.
 *
 *   privA 10.77.1.2 -- natA (MASQUERADE) 172.31.1.2 -- pub 172.31.1.1 (TURN) 172.31.2.1 -- natB 172.31.2.2 -- privB 10.77.2.2
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { turnSection } from '../../src/config/turn.js';
import { iceServersFor } from '../../src/turn/index.js';
import { nativeByDefault, REPO, stopProcess } from '../integration/turn/harness.js';

const tag = `pt${process.pid % 10000}`;
const ns = { pub: `${tag}pub`, natA: `${tag}na`, natB: `${tag}nb`, a: `${tag}a`, b: `${tag}b` };
const SECRET = 'nat-test-secret';
const TURN_IP = '172.31.1.1';

const sh = (...args: string[]): string => execFileSync(args[0] as string, args.slice(1), { encoding: 'utf8' });
const inNs = (n: string, ...args: string[]): string => sh('ip', 'netns', 'exec', n, ...args);

function link(n1: string, if1: string, ip1: string, n2: string, if2: string, ip2: string): void {
  sh('ip', 'link', 'add', if1, 'netns', n1, 'type', 'veth', 'peer', 'name', if2, 'netns', n2);
  inNs(n1, 'ip', 'addr', 'add', ip1, 'dev', if1);
  inNs(n2, 'ip', 'addr', 'add', ip2, 'dev', if2);
  inNs(n1, 'ip', 'link', 'set', 'dev', if1, 'up');
  inNs(n2, 'ip', 'link', 'set', 'dev', if2, 'up');
}

function natRouter(n: string, pubIf: string): void {
  inNs(n, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
  inNs(n, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', pubIf, '-j', 'MASQUERADE');
  inNs(n, 'iptables', '-P', 'FORWARD', 'DROP');
  inNs(n, 'iptables', '-A', 'FORWARD', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT');
  inNs(n, 'iptables', '-A', 'FORWARD', '!', '-i', pubIf, '-o', pubIf, '-j', 'ACCEPT');
}

function setup(): void {
  for (const n of Object.values(ns)) {
    sh('ip', 'netns', 'add', n);
    inNs(n, 'ip', 'link', 'set', 'lo', 'up');
  }
  link(ns.pub, 'pa', '172.31.1.1/30', ns.natA, 'wan', '172.31.1.2/30');
  link(ns.pub, 'pb', '172.31.2.1/30', ns.natB, 'wan', '172.31.2.2/30');
  link(ns.natA, 'lan', '10.77.1.1/24', ns.a, 'eth0', '10.77.1.2/24');
  link(ns.natB, 'lan', '10.77.2.1/24', ns.b, 'eth0', '10.77.2.2/24');
  inNs(ns.natA, 'ip', 'route', 'add', 'default', 'via', '172.31.1.1');
  inNs(ns.natB, 'ip', 'route', 'add', 'default', 'via', '172.31.2.1');
  inNs(ns.a, 'ip', 'route', 'add', 'default', 'via', '10.77.1.1');
  inNs(ns.b, 'ip', 'route', 'add', 'default', 'via', '10.77.2.1');
  natRouter(ns.natA, 'wan');
  natRouter(ns.natB, 'wan');
  inNs(ns.pub, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'); // the "internet" routes between the NATs
}

function teardown(): void {
  for (const n of Object.values(ns)) {
    try {
      execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}

/** Whether a UDP datagram sent from namespace `from` to `target` arrives at a listener in namespace `to`. */
async function udpReaches(from: string, to: string, target: string): Promise<boolean> {
  const listen = spawn('ip', ['netns', 'exec', to, process.execPath, '-e',
    "const s=require('dgram').createSocket('udp4');s.on('message',()=>{console.log('got');process.exit(0)});s.bind(9999,()=>console.log('ready'));setTimeout(()=>process.exit(0),3000)"], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: listen.stdout as NodeJS.ReadableStream });
  const got = new Promise<boolean>((resolve) => {
    lines.on('line', (l) => l === 'got' && resolve(true));
    listen.once('exit', () => resolve(false));
  });
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  inNs(from, process.execPath, '-e', `const s=require('dgram').createSocket('udp4');let n=0;const t=setInterval(()=>{s.send('x',9999,'${target}');if(++n===5){clearInterval(t);s.close()}},100)`);
  return got;
}

interface Peer {
  proc: ChildProcess;
  next(pred: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  send(m: unknown): void;
}

function startPeer(n: string, role: 'offer' | 'answer', iceServers: unknown): Peer {
  const proc = spawn('ip', ['netns', 'exec', n, process.execPath, '--import', 'tsx', join(REPO, 'test/e2e/turn-nat-peer.ts'), role, JSON.stringify(iceServers)], {
    cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'],
  });
  const seen: Array<Record<string, unknown>> = [];
  const waiters: Array<{ pred: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }> = [];
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    seen.push(m);
    for (const w of [...waiters]) if (w.pred(m)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(m));
  });
  return {
    proc,
    next: (pred) => {
      const hit = seen.find(pred);
      return hit ? Promise.resolve(hit) : new Promise((resolve) => waiters.push({ pred, resolve }));
    },
    send: (m) => void proc.stdin?.write(`${JSON.stringify(m)}\n`),
  };
}

describe('TURN through NAT (network namespaces, werift peers, relay only)', () => {
  let turn: ChildProcess | undefined;
  let turnErr = '';
  let turnNative: boolean | undefined;
  const peers: Peer[] = [];

  beforeAll(async () => {
    teardown();
    setup();
    const config = { listenIp: '0.0.0.0', port: 3478, publicIp: TURN_IP, relayIp: '0.0.0.0', allowPeers: ['172.31.0.0/16'], relayPortMin: 50000, relayPortMax: 50999 };
    turn = spawn('ip', ['netns', 'exec', ns.pub, process.execPath, '--import', 'tsx', join(REPO, 'bench/turn/serve.ts'), JSON.stringify(config)], {
      cwd: REPO, env: { ...process.env, TURN_SECRET: SECRET }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    turn.stderr?.on('data', (d: Buffer) => (turnErr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: turn?.stdout as NodeJS.ReadableStream }).once('line', (line) => {
        turnNative = (JSON.parse(line) as { native: boolean }).native;
        resolve();
      });
      turn?.once('exit', (c) => reject(new Error(`turn exited ${c}: ${turnErr}`)));
    });
  }, 60_000);

  afterAll(async () => {
    try {
      await Promise.all(peers.map((p) => (p.proc.stdin?.end(), stopProcess(p.proc))));
      if (turn) await stopProcess(turn);
    } finally {
      teardown();
    }
  });

  it('the private networks cannot reach each other directly; the public side is reachable through the NAT', async () => {
    expect(turnNative).toBe(nativeByDefault()); // the default relay path (native where built)
    expect(await udpReaches(ns.a, ns.b, '10.77.2.2')).toBe(false);
    expect(await udpReaches(ns.a, ns.b, '172.31.2.2')).toBe(false); // B's NAT has no inbound mapping
    expect(await udpReaches(ns.a, ns.pub, TURN_IP)).toBe(true);
  }, 30_000);

  it('two peers behind NAT connect through the relay and media flows', async () => {
    const config = turnSection.parse({ port: 3478 });
    const creds = (identity: string) =>
      iceServersFor({ config, secret: SECRET, host: TURN_IP, identity, now: Date.now(), tlsEnabled: false })
        .iceServers.filter((s) => s.username !== undefined)
        .map((s) => ({ ...s, urls: s.urls.filter((u) => u.endsWith('transport=udp')) }));
    const offer = startPeer(ns.a, 'offer', creds('alice'));
    const answer = startPeer(ns.b, 'answer', creds('bob'));
    peers.push(offer, answer);
    const o = await offer.next((m) => 'sdp' in m);
    answer.send(o);
    const a = await answer.next((m) => 'sdp' in m);
    offer.send(a);
    const connected = await offer.next((m) => m.event === 'connected');
    expect(connected).toMatchObject({ local: 'relay', remote: 'relay' });
    expect(await answer.next((m) => m.event === 'dc')).toEqual({ event: 'dc', message: 'hello through the relay' });
    expect(await answer.next((m) => m.event === 'media')).toMatchObject({ event: 'media', packets: 50, bytes: 200 });
    // the server saw the traffic: ask it for its metrics (worker counters reach the registry once a second, so only > 0 is certain)
    const before = turnErr.length;
    turn?.kill('SIGUSR2');
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (!turnErr.slice(before).includes('parley_turn_relayed_packets_total{direction="to_client"}')) return;
        turn?.stderr?.off('data', check);
        resolve();
      };
      turn?.stderr?.on('data', check);
    });
    const m = /parley_turn_relayed_packets_total\{direction="to_peer"\} (\d+)/.exec(turnErr.slice(before));
    expect(Number(m?.[1])).toBeGreaterThan(0);
  }, 90_000);
});
