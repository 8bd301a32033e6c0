/**
 * With PARLEY_TLS_CERT/KEY set, the one port serves HTTPS and WSS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  server = await startTestServer({ 'server.tlsCert': join(dir, 'cert.pem'), 'server.tlsKey': join(dir, 'key.pem') });
});
afterAll(async () => {
  await server.stop();
});

it('serves HTTPS and a WSS join on the same port', async () => {
  expect(server.url).toMatch(/^https:/);
  const body = await new Promise<string>((resolve, reject) => {
    request({ host: '127.0.0.1', port: server.port, path: '/healthz', rejectUnauthorized: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => resolve(text));
    })
      .on('error', reject)
      .end();
  });
  expect(JSON.parse(body)).toMatchObject({ status: 'ok' });
  const ws = new WebSocket(`wss://127.0.0.1:${server.port}/rtc`, { rejectUnauthorized: false });
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  ws.send(JSON.stringify({ id: 1, type: 'join', token: await server.token('tls-user', { room: 'secure', roomJoin: true }) }));
  const reply = await new Promise<{ type: string; data: { participant: { identity: string } } }>((r) => ws.once('message', (d) => r(JSON.parse(String(d)))));
  expect(reply.type).toBe('response');
  expect(reply.data.participant.identity).toBe('tls-user');
  ws.close();
});
