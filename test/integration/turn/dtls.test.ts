/**
 * TURN over DTLS (RFC 7350) on the TLS port over UDP: OpenSSL's DTLS 1.2 client gets a Binding
 * answer (ECDSA and RSA certificates), a DTLS 1.0 client gets a handshake_failure alert and the
 * server keeps serving, and a werift DTLS client allocates and relays UDP through the server.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type dgram from 'node:dgram';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DtlsClient } from 'werift';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeXorAddress } from '../../../src/turn/stun/attributes.js';
import { Attr, Class, Method } from '../../../src/turn/stun/constants.js';
import { encode, getAttr, parse } from '../../../src/turn/stun/message.js';
import { run, selfSignedCert, startTurn, type RunningTurn } from './harness.js';
import { bound, channelRoundTrip, relayedAddresses, TurnTestClient, type Channel } from './turn-client.js';

function ecdsaCert(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'parley-turn-dtls-'));
  const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error('openssl failed');
  return { cert, key };
}

/**
 * Send `n` STUN Binding requests one after the other in one `openssl s_client -dtls1_2` session
 * (each written once the previous answer arrived, so each is its own record); return the answers.
 */
function opensslBindings(port: number, n = 1): Promise<{ cls: number; mapped: unknown }[]> {
  const p = spawn('openssl', ['s_client', '-dtls1_2', '-quiet', '-connect', `127.0.0.1:${port}`], { stdio: ['pipe', 'pipe', 'ignore'] });
  const answers: { cls: number; mapped: unknown }[] = [];
  let tid = randomBytes(12);
  const ask = (): void => void p.stdin.write(encode(Method.Binding, Class.Request, tid, []));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (p.kill(), reject(new Error(`${answers.length} of ${n} Binding answers over DTLS`))), 10_000);
    let got = Buffer.alloc(0);
    p.stdout.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      const r = parse(got);
      if (!r.ok || !r.msg.tid.equals(tid)) return;
      got = Buffer.alloc(0);
      const x = getAttr(r.msg, Attr.XorMappedAddress);
      answers.push({ cls: r.msg.cls, mapped: x && decodeXorAddress(x, r.msg.tid) });
      if (answers.length < n) {
        tid = randomBytes(12);
        return ask();
      }
      clearTimeout(timer);
      p.kill();
      resolve(answers);
    });
    ask();
  });
}

const opensslBinding = async (port: number): Promise<{ cls: number; mapped: unknown }> => (await opensslBindings(port, 1))[0] as { cls: number; mapped: unknown };

/** A werift DTLS 1.2 client session to 127.0.0.1:port as a Channel. */
async function dtlsChannel(socket: dgram.Socket, port: number, pem: { cert: string; key: string }): Promise<{ ch: Channel; close: () => void }> {
  const transport = {
    type: 'udp',
    address: socket.address(),
    closed: false,
    onData: (_d: Buffer, _a: unknown): void => undefined,
    send: async (data: Buffer): Promise<void> => void socket.send(data, port, '127.0.0.1'),
    close: async (): Promise<void> => undefined,
  };
  socket.on('message', (m, r) => transport.onData(m, [r.address, r.port]));
  const client = new DtlsClient({
    transport: transport as never,
    cert: readFileSync(pem.cert, 'utf8'),
    key: readFileSync(pem.key, 'utf8'),
    signatureHash: { hash: 4, signature: 3 } as never,
    extendedMasterSecret: true,
  });
  const connected = new Promise<void>((resolve) => client.onConnect.once(() => resolve()));
  void client.connect();
  await connected;
  const listeners = new Map<(d: Buffer) => void, { unSubscribe: () => void }>();
  return {
    ch: {
      send: (d) => void client.send(d),
      on: (l) => listeners.set(l, client.onData.subscribe(l)),
      off: (l) => (listeners.get(l)?.unSubscribe(), listeners.delete(l)),
    },
    close: () => client.close(),
  };
}

describe('TURN over DTLS', () => {
  const ec = ecdsaCert();
  let turn: RunningTurn;
  let rsaTurn: RunningTurn;
  const sockets: dgram.Socket[] = [];

  beforeAll(async () => {
    const base = { listenIp: '127.0.0.1', port: 0, tlsPort: 0, dtls: true, users: ['test:testpass'], allowLoopbackPeers: true };
    [turn, rsaTurn] = await Promise.all([startTurn(base, { tls: ec }), startTurn(base, { tls: selfSignedCert() })]);
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    await Promise.all([turn?.stop(), rsaTurn?.stop()]);
  });

  it('answers a Binding request from OpenSSL over DTLS 1.2 (ECDSA and RSA certificates)', async () => {
    for (const t of [turn, rsaTurn]) {
      const r = await opensslBinding(t.ports.tls ?? 0);
      expect(r).toMatchObject({ cls: Class.Success, mapped: { family: 4, ip: '127.0.0.1' } });
    }
  }, 30_000);

  it('answers 12 requests in one OpenSSL session (record sequence numbers continue after the Finished)', async () => {
    const answers = await opensslBindings(turn.ports.tls ?? 0, 12);
    expect(answers).toHaveLength(12);
    expect(answers.every((a) => a.cls === Class.Success)).toBe(true);
  }, 30_000);

  it('refuses DTLS 1.0 with a handshake_failure alert and keeps serving', async () => {
    const r = await run('timeout', ['5', 'openssl', 's_client', '-dtls1', '-connect', `127.0.0.1:${turn.ports.tls}`]);
    expect(r.out).toMatch(/alert handshake failure/);
    expect(await opensslBinding(turn.ports.tls ?? 0)).toMatchObject({ cls: Class.Success });
  }, 30_000);

  it('survives 5,000 random and handshake-looking datagrams on the DTLS port and keeps serving', async () => {
    const socket = await bound('udp4', '127.0.0.1');
    sockets.push(socket);
    for (let i = 0; i < 5000; i++) {
      const d = randomBytes(1 + (i % 300));
      if (i % 2 === 0) d[0] = 22; // a handshake record type: opens a session
      if (i % 4 === 0 && d.length > 13) d.writeUInt16BE(0xfefd, 1);
      socket.send(d, turn.ports.tls ?? 0, '127.0.0.1');
      if (i % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(turn.proc.exitCode).toBeNull();
    expect(await opensslBinding(turn.ports.tls ?? 0)).toMatchObject({ cls: Class.Success });
  }, 30_000);

  it('allocates over DTLS and relays ChannelData to a UDP peer and back', async () => {
    const socket = await bound('udp4', '127.0.0.1');
    const peer = await bound('udp4', '127.0.0.1');
    sockets.push(socket, peer);
    const { ch, close } = await dtlsChannel(socket, turn.ports.tls ?? 0, ec);
    try {
      const c = new TurnTestClient(ch, 'test', 'testpass', 'parley');
      const alloc = await c.request(Method.Allocate, [{ type: Attr.RequestedTransport, value: Buffer.from([17, 0, 0, 0]) }]);
      expect(alloc.cls).toBe(Class.Success);
      const [relay] = relayedAddresses(alloc);
      if (!relay) throw new Error('no relayed address');
      expect((await c.channelBind(0x4001, { family: 4, ip: '127.0.0.1', port: peer.address().port })).cls).toBe(Class.Success);
      expect(await channelRoundTrip(c, 0x4001, peer, relay)).toEqual({
        atPeer: { data: 'to-peer-16385', from: relay.ip, port: relay.port },
        atClient: 'to-client-16385',
      });
    } finally {
      close();
    }
  }, 30_000);
});
