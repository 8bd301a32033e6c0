/**
 * When a user is gone longer than the resume grace, the server ends the session (the other user
 * sees a leave); when the network returns, the SDK's resume is refused and it joins again as a
 * new participant, publishing its tracks again, so media and chat work once more.
 */
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, snapshotOf, openDemo, sendChat, startParley, waitForChat, waitForFrames, type DemoPage, type ParleyFixture } from '../helpers/browser.js';

let server: ParleyFixture;
let browser: Browser;
const opened: DemoPage[] = [];

beforeAll(async () => {
  server = await startParley({ 'signaling.resumeGrace': 1 });
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const p of opened) await p.context.close().catch(() => undefined);
  await browser?.close();
  await server?.close();
});

describe('demo app, rejoining after the resume grace', () => {
  it('joins again as a new participant and media and chat recover', async () => {
    const room = `e2e-${randomUUID().slice(0, 8)}`;
    const alice = await openDemo(browser, server.url, room, 'Alice');
    const bob = await openDemo(browser, server.url, room, 'Bob');
    opened.push(alice, bob);
    await Promise.all([waitForFrames(alice, 'Bob'), waitForFrames(bob, 'Alice')]);
    const sidBefore = await alice.page.evaluate(() => window.parley.room()?.localParticipant.sid);

    // Alice's signaling is cut off (new sockets are refused; her peer connection stays up) until
    // the server has given up on her session. Offline emulation is not used here: a peer
    // connection created just after it ends may gather no candidates in headless Chromium.
    let refuse = true;
    await alice.page.routeWebSocket(/\/rtc/, (ws) => {
      if (refuse) void ws.close({ code: 1011, reason: 'test: network down' });
      else ws.connectToServer();
    });
    await alice.page.evaluate(() => window.parley.dropConnection());
    await bob.page.waitForFunction(() => window.parley.events().some((e) => e.type === 'participantLeft' && e.detail === 'disconnected'));
    expect(await bob.page.evaluate(() => window.parley.participants())).toEqual([]);
    refuse = false;

    await alice.page.waitForFunction((before) => {
      const sid = window.parley.room()?.localParticipant.sid;
      return window.parley.state() === 'connected' && sid !== undefined && sid !== before;
    }, sidBefore);
    await bob.page.waitForFunction(() => window.parley.participants().length === 1);
    const newSid = await alice.page.evaluate(() => window.parley.room()?.localParticipant.sid);
    await bob.page
      .waitForFunction((sid) => Object.values(window.parley.stats()).some((s) => s.sid === sid && s.framesDecoded > 0), newSid, { timeout: 30_000 })
      .catch(async (err: unknown) => {
        throw new Error(`Bob does not decode the rejoined Alice: bob=${await snapshotOf(bob)} alice=${await snapshotOf(alice)}`, { cause: err });
      });
    await waitForFrames(alice, 'Bob');
    await sendChat(alice, 'back again');
    await waitForChat(bob, 'back again');
    expect(await bob.page.locator('.tile').count()).toBe(2);
    expect(await alice.page.locator('.tile').count()).toBe(2);
  }, 60_000);
});
