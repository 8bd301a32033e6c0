/**
 * deploy/nginx.conf for real: Debian's nginx terminates TLS in front of a whole Parley (port 0),
 * running the shipped site config with only its ports and certificate swapped. Through nginx:
 * health, the HTTP->HTTPS redirect, REST (dev token with the URL derived from X-Forwarded-*, an
 * admin call), and two WebSocket clients joining one room and relaying a data message.
 *
 * nginx and openssl are installed by scripts/test.sh; when either is missing this test fails.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startNginx, type NginxFixture } from '../helpers/nginx.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

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
  let server: TestServer;
  let proxy: NginxFixture;
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

  beforeAll(async () => {
    // Development mode (no API key): the dev token endpoint is on. Trusting the proxy is what the
    // deploy notes ask for behind nginx.
    server = await startTestServer({ 'server.trustProxy': true, 'log.level': 'silent' }, { env: { PARLEY_TURN_ENABLED: 'false' } });
    proxy = await startNginx(server.port);
    ({ httpPort, httpsPort, ca } = proxy);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await proxy?.stop();
    await server?.stop();
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
