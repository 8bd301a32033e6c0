/**
 * The demo through deploy/nginx.conf: Debian's nginx terminates TLS in front of Parley (the
 * shipped site config with only its ports and certificate swapped), and two Chromium users join
 * one room over https:// and wss://, see each other's video and chat.
 *
 * nginx and openssl are installed by scripts/test.sh; when either is missing this test fails.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchBrowser, openDemo, sendChat, startParley, waitForChat, waitForFrames, type ParleyFixture } from '../helpers/browser.js';

const SITE = resolve(import.meta.dirname, '..', '..', 'deploy', 'nginx.conf');

function binary(name: string): string {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  throw new Error(`${name} is not installed (scripts/test.sh installs it)`);
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

/** Replaces `from`, which must occur exactly once, so a reshaped deploy/nginx.conf fails loudly. */
function rewrite(text: string, from: string, to: string): string {
  const parts = text.split(from);
  if (parts.length !== 2) throw new Error(`deploy/nginx.conf: expected exactly one "${from}", found ${parts.length - 1}`);
  return parts.join(to);
}

function healthz(port: number): Promise<number> {
  return new Promise((res) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false }, (r) => {
      r.resume();
      res(r.statusCode ?? 0);
    });
    req.on('error', () => res(0));
    req.end();
  });
}

describe('the demo app through deploy/nginx.conf (TLS)', () => {
  let dir: string;
  let server: ParleyFixture;
  let browser: Browser;
  let nginx: ChildProcess | undefined;
  let httpsPort: number;

  beforeAll(async () => {
    const nginxBin = binary('nginx');
    dir = mkdtempSync(join(tmpdir(), 'parley-e2e-nginx-'));
    chmodSync(dir, 0o755);
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(binary('openssl'), ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'pipe' });

    server = await startParley({ 'server.trustProxy': true });
    const parleyPort = new URL(server.url).port;
    httpsPort = await freePort();
    const httpPort = await freePort();
    let site = readFileSync(SITE, 'utf8');
    site = rewrite(site, 'server 127.0.0.1:7880;', `server 127.0.0.1:${parleyPort};`);
    site = rewrite(site, '    listen 80;', `    listen 127.0.0.1:${httpPort};`);
    site = rewrite(site, '    listen [::]:80;', '    #');
    site = rewrite(site, '    listen 443 ssl http2;', `    listen 127.0.0.1:${httpsPort} ssl http2;`);
    site = rewrite(site, '    listen [::]:443 ssl http2;', '    #');
    site = rewrite(site, '/etc/letsencrypt/live/parley.example.com/fullchain.pem', cert);
    site = rewrite(site, '/etc/letsencrypt/live/parley.example.com/privkey.pem', key);
    writeFileSync(join(dir, 'parley.conf'), site);
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t};`).join('\n');
    writeFileSync(
      join(dir, 'nginx.conf'),
      `worker_processes 1;\nerror_log ${dir}/error.log info;\nevents { worker_connections 256; }\nhttp {\n  access_log ${dir}/access.log;\n${temp}\n  include ${dir}/parley.conf;\n}\n`,
    );
    nginx = spawn(nginxBin, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', `daemon off; pid ${dir}/nginx.pid;`], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while ((await healthz(httpsPort)) !== 200) {
      if (nginx.exitCode !== null || Date.now() > deadline) throw new Error(`nginx did not come up: ${readFileSync(join(dir, 'error.log'), 'utf8').slice(-2000)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((res) => nginx?.once('exit', res));
      nginx.kill('SIGTERM');
      await exited;
    }
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('two users over https and wss see each other and chat', async () => {
    const base = `https://127.0.0.1:${httpsPort}`;
    const room = `nginx-${randomUUID().slice(0, 8)}`;
    const alice = await openDemo(browser, base, room, 'Alice', { ignoreHTTPSErrors: true });
    const bob = await openDemo(browser, base, room, 'Bob', { ignoreHTTPSErrors: true });

    await Promise.all([waitForFrames(alice, 'Bob'), waitForFrames(bob, 'Alice')]);
    await sendChat(bob, 'hi through nginx');
    await waitForChat(alice, 'hi through nginx');

    await alice.context.close();
    await bob.context.close();
    // nginx logs a WebSocket when it closes: both signaling sockets went through it (101 upgrades).
    await vi.waitFor(
      () => {
        const upgrades = readFileSync(join(dir, 'access.log'), 'utf8').split('\n').filter((l) => l.includes('GET /rtc') && l.includes(' 101 '));
        expect(upgrades.length).toBeGreaterThanOrEqual(2);
      },
      { timeout: 10_000, interval: 100 },
    );
  }, 60_000);
});
