/**
 * With server.tlsCert/tlsKey set, the webRTCWorkspaces dialect serves HTTPS/WSS (the original's
 * ENABLE_HTTPS), and socket.io-client 2 connects over it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../../src/store/memory.js';
import { Client, startWorkspaces } from './workspaces-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-ws-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function selfSigned(into: string): { cert: string; key: string } {
  const cert = join(into, 'cert.pem');
  const key = join(into, 'key.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error('openssl failed');
  return { cert, key };
}

describe('webRTCWorkspaces over TLS', () => {
  it('serves wss with the configured certificate', async () => {
    const { cert, key } = selfSigned(dir);
    const h = await startWorkspaces(createMemoryStore(), { PARLEY_TLS_CERT: cert, PARLEY_TLS_KEY: key });
    const c = await Client.connect(h.url.replace('http:', 'https:'), ['websocket'], { rejectUnauthorized: false, secure: true });
    try {
      const created = await c.request<{ workspace: { name: string } }>('create', { workspace: { name: 'Secure' } }, 'created');
      expect(created.workspace.name).toBe('Secure');
    } finally {
      c.close();
      await h.close();
    }
  });
});
