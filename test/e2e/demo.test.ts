/**
 * Two headless Chromium users in one room through the demo app (fake camera and microphone):
 * each decodes the other's video and receives the other's chat; a user whose signaling drops
 * resumes without the other seeing a leave, and media and chat keep flowing.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { framesDecoded, openDemo, sendChat, waitForChat, waitForFrames, useDemoSuite, type DemoPage } from '../helpers/browser.js';

const fx = useDemoSuite();

async function pair(): Promise<[DemoPage, DemoPage]> {
  const room = `e2e-${randomUUID().slice(0, 8)}`;
  const alice = await openDemo(fx.browser, fx.server.url, room, 'Alice');
  const bob = await openDemo(fx.browser, fx.server.url, room, 'Bob');
  fx.opened.push(alice, bob);
  return [alice, bob];
}

async function close(...pages: DemoPage[]): Promise<void> {
  for (const p of pages) await p.context.close();
}

function leavesSeen(on: DemoPage): Promise<number> {
  return on.page.evaluate(() => window.parley.events().filter((e) => e.type === 'participantLeft').length);
}

function localSid(on: DemoPage): Promise<string | undefined> {
  return on.page.evaluate(() => window.parley.room()?.localParticipant.sid);
}

describe('demo app, two users in a P2P room', () => {
  it('each decodes the other video and receives the other chat message', async () => {
    const [alice, bob] = await pair();

    await Promise.all([waitForFrames(alice, 'Bob'), waitForFrames(bob, 'Alice')]);
    await sendChat(alice, 'hello from Alice');
    await sendChat(bob, 'hello from Bob');
    await Promise.all([waitForChat(bob, 'hello from Alice'), waitForChat(alice, 'hello from Bob')]);

    expect(await framesDecoded(alice, 'Bob')).toBeGreaterThan(0);
    expect(await framesDecoded(bob, 'Alice')).toBeGreaterThan(0);
    const fromAlice = await bob.page.evaluate(() => window.parley.messages().find((m) => m.text === 'hello from Alice'));
    expect(fromAlice?.name).toBe('Alice');
    expect(await alice.page.locator('.tile').count()).toBe(2);
    await bob.page.waitForFunction(() => Object.values(window.parley.stats()).some((s) => s.name === 'Alice' && s.quality !== 'unknown'));
    await bob.page.waitForSelector('.tile[data-mic="on"]:not(.local)');

    await alice.page.click('#btn-mic');
    await alice.page.click('#btn-cam');
    await bob.page.waitForSelector('.tile.no-video[data-mic="muted"]:not(.local)');
    await alice.page.click('#btn-cam');
    await bob.page.waitForSelector('.tile[data-mic="muted"]:not(.local):not(.no-video)');
    await close(alice, bob);
  }, 60_000);

  it('resumes after the signaling socket drops: no leave for the other, media and chat keep working', async () => {
    const [alice, bob] = await pair();
    await Promise.all([waitForFrames(alice, 'Bob'), waitForFrames(bob, 'Alice')]);
    const sidBefore = await localSid(alice);

    await alice.page.evaluate(() => window.parley.dropConnection());
    await alice.page.waitForFunction(
      () => window.parley.events().some((e) => e.detail === 'reconnecting') && window.parley.state() === 'connected',
      undefined,
      { timeout: 15_000 },
    );

    expect(await localSid(alice)).toBe(sidBefore);
    expect(await leavesSeen(bob)).toBe(0);
    const aliceFrames = await framesDecoded(bob, 'Alice');
    const bobFrames = await framesDecoded(alice, 'Bob');
    await Promise.all([waitForFrames(bob, 'Alice', aliceFrames + 10), waitForFrames(alice, 'Bob', bobFrames + 10)]);
    await sendChat(alice, 'still here');
    await sendChat(bob, 'welcome back');
    await Promise.all([waitForChat(bob, 'still here'), waitForChat(alice, 'welcome back')]);
    expect(await leavesSeen(bob)).toBe(0);
    await close(alice, bob);
  }, 60_000);

  it('replays what was sent while the network was down once it comes back', async () => {
    const [alice, bob] = await pair();
    await Promise.all([waitForFrames(alice, 'Bob'), waitForFrames(bob, 'Alice')]);
    const sidBefore = await localSid(alice);

    await alice.context.setOffline(true);
    await alice.page.evaluate(() => window.parley.dropConnection());
    await alice.page.waitForFunction(() => window.parley.state() === 'reconnecting');
    await sendChat(bob, 'sent while you were away');
    await bob.page.waitForFunction(() => document.querySelector('.msg.self.pending') === null);
    await alice.context.setOffline(false);

    await waitForChat(alice, 'sent while you were away');
    await alice.page.waitForFunction(() => window.parley.state() === 'connected');
    expect(await localSid(alice)).toBe(sidBefore);
    expect(await leavesSeen(bob)).toBe(0);
    const frames = await framesDecoded(bob, 'Alice');
    await waitForFrames(bob, 'Alice', frames + 10);
    await close(alice, bob);
  }, 60_000);

  it('renegotiates when a screen share is added, shows the other leaving, and lets them join again', async () => {
    const [alice, bob] = await pair();
    await waitForFrames(bob, 'Alice');

    await alice.page.evaluate(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 640;
      canvas.height = 360;
      const ctx = canvas.getContext('2d');
      let n = 0;
      setInterval(() => {
        if (!ctx) return;
        ctx.fillStyle = `hsl(${(n += 7) % 360} 70% 50%)`;
        ctx.fillRect(0, 0, 640, 360);
      }, 50);
      const [track] = canvas.captureStream(20).getVideoTracks();
      if (!track) throw new Error('no canvas track');
      await window.parley.room()?.localParticipant.publishTrack(track, { source: 'screen', name: 'screen' });
    });
    await bob.page.waitForSelector('.tile.screen video', { timeout: 15_000 });
    await bob.page.waitForFunction(() => {
      const video = document.querySelector<HTMLVideoElement>('.tile.screen video');
      return video !== null && video.videoWidth > 0;
    });

    await alice.page.click('#btn-leave');
    await bob.page.waitForFunction(() => window.parley.events().some((e) => e.type === 'participantLeft' && e.detail === 'left'));
    expect(await bob.page.locator('.tile').count()).toBe(1);

    // Back to the lobby, whose form is filled in: joining again works and the call resumes.
    await alice.page.waitForSelector('#lobby:not([hidden])');
    await alice.page.click('#join-button');
    await alice.page.waitForFunction(() => window.parley.state() === 'connected');
    await waitForFrames(bob, 'Alice');
    await sendChat(alice, 'hello again');
    await waitForChat(bob, 'hello again');
    const failed = await alice.page.locator('.msg.failed').count();
    expect(failed).toBe(0);
    await close(alice, bob);
  }, 60_000);
});
