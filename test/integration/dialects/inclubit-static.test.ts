/**
 * The Inclubit signaling port serving a single-page app from PARLEY_STATIC_DIR with SPA fallback
 * (Caddy's try_files {path} /index.html), next to /socket.io and /auth.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../../src/store/memory.js';
import { Peer, startInclubit, type InclubitHarness } from './inclubit-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-spa-'));
let h: InclubitHarness;

beforeAll(async () => {
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Inclubit SPA</title>');
  mkdirSync(join(dir, 'js'));
  writeFileSync(join(dir, 'js', 'app.js'), 'console.log("app");');
  h = await startInclubit(createMemoryStore(), { PARLEY_STATIC_DIR: dir });
});

afterAll(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Inclubit static SPA', () => {
  it('serves files, falls back to index.html for client routes, keeps the APIs', async () => {
    const index = await fetch(`${h.signalingUrl}/`);
    expect(await index.text()).toContain('Inclubit SPA');
    const js = await fetch(`${h.signalingUrl}/js/app.js`);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(await js.text()).toContain('console.log');
    for (const route of ['/watch', '/camera/send', '/admin/login']) {
      const res = await fetch(`${h.signalingUrl}${route}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('Inclubit SPA');
    }
    expect((await fetch(`${h.signalingUrl}/auth/nothing-here`)).status).toBe(404);
    expect((await fetch(`${h.signalingUrl}/auth/user/`)).status).toBe(401);
    expect((await fetch(`${h.signalingUrl}/../../etc/passwd`)).status).not.toBe(500);
    const escaped = await fetch(`${h.signalingUrl}/%2e%2e/%2e%2e/etc/passwd`);
    expect(await escaped.text()).not.toContain('root:');
    const p = await Peer.connect(h.signalingUrl);
    try {
      expect(await p.request('join', 'spa-room', { nick: 'cam', sender: true })).toHaveLength(1);
    } finally {
      p.close();
    }
  });
});
