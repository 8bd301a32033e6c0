/**
 * With server.tlsCert/tlsKey set, both Inclubit ports serve HTTPS (the signaling port can then
 * replace the original Caddy front: socket.io, /auth and the SPA over TLS).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../../src/store/memory.js';
import { startInclubit } from './inclubit-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-inclubit-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function selfSigned(into: string): { cert: string; key: string } {
  const cert = join(into, 'cert.pem');
  const key = join(into, 'key.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error('openssl failed');
  return { cert, key };
}

function status(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).once('error', reject);
  });
}

describe('Inclubit over TLS', () => {
  it('serves the signaling and the auth API over HTTPS', async () => {
    const { cert, key } = selfSigned(dir);
    const h = await startInclubit(createMemoryStore(), { PARLEY_TLS_CERT: cert, PARLEY_TLS_KEY: key });
    const secure = (u: string) => u.replace('http:', 'https:');
    const socket = io(secure(h.signalingUrl), { transports: ['websocket'], forceNew: true, reconnection: false, rejectUnauthorized: false });
    try {
      expect(await status(`${secure(h.authUrl)}/user/`)).toBe(401);
      expect(await status(`${secure(h.signalingUrl)}/auth/admin/`)).toBe(401);
      const members = (await socket.timeout(5000).emitWithAck('join', 'tls-room', { nick: 'cam', sender: true })) as unknown[];
      expect(members).toHaveLength(1);
    } finally {
      socket.close();
      await h.close();
    }
  });
});
