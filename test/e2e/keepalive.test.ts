/**
 * A signaling socket that silently stops delivering (a dead NAT binding, a proxy that hangs) is
 * noticed by the SDK's keepalive, which reconnects and resumes; what the server sent into the
 * dead socket is replayed, and the other user never sees a leave.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openDemo, sendChat, waitForChat, waitForFrames, useDemoSuite } from '../helpers/browser.js';

// A P2P room: its chat travels over signaling, the channel under test. In SFU rooms chat goes over
// the data channels; sfu-reconnect.test.ts covers a resume there.
const fx = useDemoSuite({ 'rooms.defaultType': 'p2p' });

describe('SDK keepalive', () => {
  it('detects a socket that went silent, resumes, and gets what was sent into it', async () => {
    const room = `e2e-${randomUUID().slice(0, 8)}`;
    const alice = await openDemo(fx.browser, fx.server.url, room, 'Alice');
    // Alice's next socket goes through a relay that the test can make swallow server frames.
    let silent = false;
    let sockets = 0;
    await alice.page.routeWebSocket(/\/rtc/, (ws) => {
      const first = ++sockets === 1;
      const upstream = ws.connectToServer();
      ws.onMessage((m) => upstream.send(m));
      upstream.onMessage((m) => {
        if (!(first && silent)) ws.send(m);
      });
    });
    await alice.page.evaluate(() => window.parley.dropConnection());
    await alice.page.waitForFunction(() => window.parley.events().filter((e) => e.detail === 'connected').length >= 2);
    const bob = await openDemo(fx.browser, fx.server.url, room, 'Bob');
    fx.opened.push(alice, bob);
    await Promise.all([waitForFrames(alice, 'Bob'), waitForFrames(bob, 'Alice')]);
    const sidBefore = await alice.page.evaluate(() => window.parley.room()?.localParticipant.sid);

    silent = true;
    await sendChat(bob, 'into the void');
    await waitForChat(alice, 'into the void', 40_000);

    expect(sockets).toBeGreaterThanOrEqual(2);
    expect(await alice.page.evaluate(() => window.parley.room()?.localParticipant.sid)).toBe(sidBefore);
    expect(await bob.page.evaluate(() => window.parley.events().filter((e) => e.type === 'participantLeft').length)).toBe(0);
    const frames = await alice.page.evaluate(() => Object.values(window.parley.stats())[0]?.framesDecoded ?? 0);
    await waitForFrames(alice, 'Bob', frames + 10);
  }, 60_000);
});
