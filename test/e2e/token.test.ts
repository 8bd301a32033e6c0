/**
 * The demo on a server with API keys: the development token endpoint is off, so the lobby says
 * why it cannot join, and `/?token=JWT` (a token minted with the API secret) joins directly.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, sendChat, startParley, waitForChat, waitForFrames, type DemoPage, type ParleyFixture } from '../helpers/browser.js';

let server: ParleyFixture;
let browser: Browser;

beforeAll(async () => {
  server = await startParley({}, { PARLEY_API_KEY: 'APIe2ekey', PARLEY_API_SECRET: 'e2e-secret-e2e-secret-e2e-secret-0123456' });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openWithToken(identity: string, name: string): Promise<DemoPage> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const token = await server.token('keyed-room', identity, name);
  await page.goto(`${server.url}/?token=${encodeURIComponent(token)}&name=${encodeURIComponent(name)}&autojoin=1`);
  await page.waitForFunction(() => window.parley?.state() === 'connected');
  return { page, context, name };
}

describe('demo app on a server with API keys', () => {
  it('explains that the dev token endpoint is off', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/?room=nokeys&name=Eve&autojoin=1`);
    await page.waitForSelector('#join-error:not([hidden])');
    expect(await page.textContent('#join-error')).toContain('API keys');
    await context.close();
  }, 30_000);

  it('joins with ?token= and the call works', async () => {
    const alice = await openWithToken('alice', 'Alice');
    const bob = await openWithToken('bob', 'Bob');
    await Promise.all([waitForFrames(alice, 'Bob'), waitForFrames(bob, 'Alice')]);
    expect(await alice.page.textContent('#room-name')).toBe('keyed-room');
    await sendChat(alice, 'signed by the backend');
    await waitForChat(bob, 'signed by the backend');
    await alice.context.close();
    await bob.context.close();
  }, 60_000);
});
