/**
 * deploy/nginx.conf for real: Debian's nginx terminates TLS in front of a whole Parley (port 0),
 * running the shipped site config with only its ports and certificate swapped. Through nginx:
 * health, the HTTP->HTTPS redirect, REST (dev token with the URL derived from X-Forwarded-*, an
 * admin call), and two WebSocket clients joining one room and relaying a data message.
 *
 * nginx and openssl are installed by scripts/test.sh; when either is missing this test fails.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../helpers/server.js';

const SITE = resolve(import.meta.dirname, '..', '..', 'deploy', 'nginx.conf');

function findBinary(name: string): string {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', ...(process.env.PATH ?? '').split(':')]) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  throw new Error(`${name} is not installed (scripts/test.sh installs it: apt-get install ${name === 'nginx' ? 'nginx-light' : name})`);
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

/** Replaces `from` (which must occur exactly once) so a reshaped deploy/nginx.conf fails loudly. */
function rewrite(text: string, from: string, to: string): string {
  const parts = text.split(from);
  if (parts.length !== 2) throw new Error(`deploy/nginx.conf: expected exactly one "${from}", found ${parts.length - 1}`);
  return parts.join(to);
}

/** The shipped site config with this test's ports and certificate; everything else verbatim. */
function siteConfig(parleyPort: number, httpPort: number, httpsPort: number, cert: string, key: string): string {
  let s = readFileSync(SITE, 'utf8');
  s = rewrite(s, 'server 127.0.0.1:7880;', `server 127.0.0.1:${parleyPort};`);
  s = rewrite(s, '    listen 80;', `    listen 127.0.0.1:${httpPort};`);
  s = rewrite(s, '    listen [::]:80;', '    # (IPv6 listen removed by the test)');
  s = rewrite(s, '    listen 443 ssl http2;', `    listen 127.0.0.1:${httpsPort} ssl http2;`);
  s = rewrite(s, '    listen [::]:443 ssl http2;', '    # (IPv6 listen removed by the test)');
  s = rewrite(s, '/etc/letsencrypt/live/parley.example.com/fullchain.pem', cert);
  s = rewrite(s, '/etc/letsencrypt/live/parley.example.com/privkey.pem', key);
  return s;
}

/** A minimal nginx.conf around the site: everything nginx writes goes to `dir`. */
function mainConfig(dir: string): string {
  return `worker_processes 1;
error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/parley.conf;
}
`;
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

type Frame = { type: string; id?: number; [k: string]: unknown };

/** A protocol v1 client over wss:// that trusts the test CA; frames are awaited, never slept for. */
class WssClient {
  private readonly frames: Frame[] = [];
  private waiters: Array<{ pred: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as Frame;
      const w = this.waiters.find((x) => x.pred(f));
      if (w) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(f);
      } else this.frames.push(f);
    });
  }

  static connect(url: string, ca: string): Promise<WssClient> {
    return new Promise((res, rej) => {
      const ws = new WebSocket(url, { ca });
      ws.once('open', () => res(new WssClient(ws)));
      ws.once('error', rej);
      ws.once('unexpected-response', (_req, r) => rej(new Error(`upgrade refused through nginx: HTTP ${r.statusCode}`)));
    });
  }

  next(pred: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const seen = this.frames.find(pred);
    if (seen) {
      this.frames.splice(this.frames.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((res, rej) => {
      const waiter = {
        pred,
        resolve: (f: Frame) => {
          clearTimeout(timer);
          res(f);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        rej(new Error(`timed out; frames so far: ${JSON.stringify(this.frames)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  send(msg: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(msg));
  }

  close(): void {
    this.ws.terminate();
  }
}

describe('deploy/nginx.conf in front of Parley', () => {
  let dir: string;
  let server: TestServer;
  let nginx: ChildProcess;
  let nginxExit: Promise<void>;
  let httpPort: number;
  let httpsPort: number;
  let ca: string;
  const clients: WssClient[] = [];

  const https = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> =>
    new Promise((res, rej) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = httpsRequest(
        { host: '127.0.0.1', port: httpsPort, method, path, ca, headers: { ...headers, ...(data ? { 'content-type': 'application/json' } : {}) } },
        (r) => {
          let text = '';
          r.setEncoding('utf8');
          r.on('data', (c: string) => (text += c));
          r.on('end', () => res({ status: r.statusCode ?? 0, headers: r.headers, body: text }));
        },
      );
      req.on('error', rej);
      req.end(data);
    });

  const nginxLog = () => (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8').slice(-4000) : '(no error.log)');

  beforeAll(async () => {
    const nginxBin = findBinary('nginx');
    const openssl = findBinary('openssl');
    dir = mkdtempSync(join(tmpdir(), 'parley-nginx-'));
    // nginx workers may run as an unprivileged user; they need to reach their temp paths.
    chmodSync(dir, 0o755);
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(openssl, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'pipe' });
    ca = readFileSync(cert, 'utf8');

    // Development mode (no API key): the dev token endpoint is on. Trusting the proxy is what the
    // deploy notes ask for behind nginx.
    server = await startTestServer({ 'server.trustProxy': true, 'log.level': 'silent' }, { env: { PARLEY_TURN_ENABLED: 'false' } });
    httpPort = await freePort();
    httpsPort = await freePort();
    writeFileSync(join(dir, 'parley.conf'), siteConfig(server.port, httpPort, httpsPort, cert, key));
    const conf = join(dir, 'nginx.conf');
    writeFileSync(conf, mainConfig(dir));
    const globals = `daemon off; pid ${dir}/nginx.pid;`;
    try {
      execFileSync(nginxBin, ['-t', '-p', dir, '-c', conf, '-g', globals], { stdio: 'pipe' });
    } catch (err) {
      throw new Error(`nginx rejects the generated config: ${String((err as { stderr?: Buffer }).stderr ?? err)}`);
    }
    nginx = spawn(nginxBin, ['-p', dir, '-c', conf, '-g', globals], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    nginx.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    nginxExit = new Promise((res) => nginx.once('exit', () => res()));

    // Ready when nginx answers on the TLS port (it binds before forking its worker).
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (nginx.exitCode !== null) throw new Error(`nginx exited (${nginx.exitCode}): ${stderr}\n${nginxLog()}`);
      const r = await https('GET', '/healthz').catch(() => undefined);
      if (r?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`nginx did not come up: ${stderr}\n${nginxLog()}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    if (nginx && nginx.exitCode === null) {
      nginx.kill('SIGTERM');
      await nginxExit;
    }
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves /healthz over TLS', async () => {
    const r = await https('GET', '/healthz');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ status: 'ok' });
  });

  it('redirects plain HTTP to HTTPS', async () => {
    const r = await new Promise<Reply>((res, rej) => {
      const req = httpRequest({ host: '127.0.0.1', port: httpPort, path: '/healthz' }, (x) => {
        x.resume();
        x.on('end', () => res({ status: x.statusCode ?? 0, headers: x.headers, body: '' }));
      });
      req.on('error', rej);
      req.end();
    });
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('https://127.0.0.1/healthz');
  });

  it('proxies REST, and Parley builds the wss:// URL from X-Forwarded-Proto and the Host', async () => {
    const r = await https('POST', '/api/dev/token', { room: 'through-nginx', name: 'Ann' });
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body) as { token: string; url: string };
    expect(body.token).toMatch(/^ey/);
    expect(body.url).toBe(`wss://127.0.0.1:${httpsPort}/rtc`);

    const bad = await https('GET', '/api/rooms', undefined, { authorization: 'Bearer nope' });
    expect(bad.status).toBe(401);
  });

  it('upgrades the signaling WebSocket: two clients join one room and relay a data message', async () => {
    const token = async (name: string) => {
      const r = await https('POST', '/api/dev/token', { room: 'ws-through-nginx', name });
      return (JSON.parse(r.body) as { token: string }).token;
    };
    const url = `wss://127.0.0.1:${httpsPort}/rtc`;
    const ann = await WssClient.connect(url, ca);
    const bob = await WssClient.connect(url, ca);
    clients.push(ann, bob);

    ann.send({ id: 1, type: 'join', token: await token('Ann') });
    const annJoin = await ann.next((f) => f.id === 1);
    expect(annJoin.type).toBe('response');
    const annSid = (annJoin.data as { participant: { sid: string } }).participant.sid;

    bob.send({ id: 1, type: 'join', token: await token('Bob') });
    const bobJoin = await bob.next((f) => f.id === 1);
    expect(bobJoin.type).toBe('response');
    const bobData = bobJoin.data as { participant: { sid: string }; participants: Array<{ sid: string }> };
    expect(bobData.participants.map((p) => p.sid)).toEqual([annSid]);

    const joined = await ann.next((f) => f.type === 'participant_joined');
    expect((joined.participant as { sid: string }).sid).toBe(bobData.participant.sid);

    bob.send({ type: 'data', to: [annSid], payload: { text: 'hello through nginx' } });
    const data = await ann.next((f) => f.type === 'data');
    expect(data.payload).toEqual({ text: 'hello through nginx' });
    expect((data.from as { sid: string }).sid).toBe(bobData.participant.sid);

    // The admin API sees both, through the same origin (the plain-request path of the Connection map).
    const admin = await server.token('admin', { roomList: true, roomAdmin: true, room: 'ws-through-nginx' });
    const rooms = await https('GET', '/api/rooms/ws-through-nginx/participants', undefined, { authorization: `Bearer ${admin}` });
    expect(rooms.status).toBe(200);
    expect(rooms.body).toContain(annSid);
    expect(rooms.body).toContain(bobData.participant.sid);
  });
});
