/**
 * The demo through deploy/nginx.conf: Debian's nginx terminates TLS in front of Parley (the
 * shipped site config with only its ports and certificate swapped), and two Chromium users join
 * one room over https:// and wss://, see each other's video and chat.
 *
 * nginx and openssl are installed by scripts/test.sh; when either is missing this test fails.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchBrowser, openDemo, sendChat, startParley, waitForChat, waitForFrames, type ParleyFixture } from '../helpers/browser.js';
import { startNginx, type NginxFixture } from '../helpers/nginx.js';

describe('the demo app through deploy/nginx.conf (TLS)', () => {
  let server: ParleyFixture;
  let browser: Browser;
  let proxy: NginxFixture;

  beforeAll(async () => {
    server = await startParley({ 'server.trustProxy': true });
    proxy = await startNginx(Number(new URL(server.url).port));
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await proxy?.stop();
    await server?.close();
  });

  it('two users over https and wss see each other and chat', async () => {
    const base = `https://127.0.0.1:${proxy.httpsPort}`;
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
        const upgrades = readFileSync(join(proxy.dir, 'access.log'), 'utf8').split('\n').filter((l) => l.includes('GET /rtc') && l.includes(' 101 '));
        expect(upgrades.length).toBeGreaterThanOrEqual(2);
      },
      { timeout: 10_000, interval: 100 },
    );
  }, 60_000);
});
