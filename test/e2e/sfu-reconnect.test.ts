/**
 * Reconnecting in an SFU room: a subscriber whose signaling socket drops resumes with its peer
 * connections intact (media keeps flowing, and a track published while it was away arrives once
 * the missed offer is replayed); a subscriber that reloads the page joins again and gets its media
 * back; an ICE restart of the publisher connection keeps the media; a participant who leaves and
 * joins again is received again.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { WorkerMediaPlane } from '../../src/sfu/worker-plane.js';
import { openDemoWith, trackStat, useDemoSuite, waitForTrackStat, type DemoPage } from '../helpers/browser.js';

const fx = useDemoSuite({ 'rooms.defaultType': 'sfu' });

async function pair(): Promise<[DemoPage, DemoPage]> {
  const room = `reconnect-${randomUUID().slice(0, 8)}`;
  const pam = await openDemoWith(fx.browser, fx.server.url, room, 'Pam');
  const sam = await openDemoWith(fx.browser, fx.server.url, room, 'Sam');
  fx.opened.push(pam, sam);
  await waitForTrackStat(sam, 'Pam', 'camera', 's.framesDecoded > 0');
  await waitForTrackStat(sam, 'Pam', 'microphone', 's.packetsReceived > 0');
  return [pam, sam];
}

function localSid(on: DemoPage): Promise<string | undefined> {
  return on.page.evaluate(() => window.parley.room()?.localParticipant.sid);
}

describe('SFU reconnect in Chromium', () => {
  it('resumes after the signaling socket drops: media keeps flowing, a track published meanwhile arrives', async () => {
    const [pam, sam] = await pair();
    const sidBefore = await localSid(sam);

    await sam.context.setOffline(true);
    await sam.page.evaluate(() => window.parley.dropConnection());
    await sam.page.waitForFunction(() => window.parley.state() === 'reconnecting');
    await pam.page.evaluate(() => window.parley.shareCanvas(640, 360));
    // Media does not depend on the WebSocket: frames keep coming while signaling is down.
    const during = await trackStat(sam, 'Pam', 'camera');
    await waitForTrackStat(sam, 'Pam', 'camera', `s.framesDecoded > ${(during?.framesDecoded ?? 0) + 10}`);
    await sam.context.setOffline(false);

    await sam.page.waitForFunction(() => window.parley.state() === 'connected', undefined, { timeout: 20_000 });
    expect(await localSid(sam)).toBe(sidBefore);
    await waitForTrackStat(sam, 'Pam', 'screen', 's.framesDecoded > 10 && s.frameWidth === 640');
    const camera = await trackStat(sam, 'Pam', 'camera');
    await waitForTrackStat(sam, 'Pam', 'camera', `s.framesDecoded > ${(camera?.framesDecoded ?? 0) + 10}`);
    expect(await pam.page.evaluate(() => window.parley.events().filter((e) => e.type === 'participantLeft').length)).toBe(0);
  }, 90_000);

  it('gets its media back after reloading the page', async () => {
    const [pam, sam] = await pair();
    const sidBefore = await localSid(sam);

    // The demo dropped `autojoin` from the URL after joining: the reloaded page shows the filled-in lobby.
    await sam.page.reload();
    await sam.page.waitForSelector('#lobby:not([hidden])');
    await sam.page.click('#join-button');
    await sam.page.waitForFunction(() => window.parley?.state() === 'connected', undefined, { timeout: 15_000 });

    expect(await localSid(sam)).not.toBe(sidBefore);
    await waitForTrackStat(sam, 'Pam', 'camera', 's.framesDecoded > 20');
    await waitForTrackStat(sam, 'Pam', 'microphone', 's.packetsReceived > 50 && s.totalSamplesReceived > 0');
    // And Pam gets the new Sam's media.
    await pam.page.waitForFunction(() => window.parley.participants().length === 1);
    await waitForTrackStat(pam, 'Sam', 'camera', 's.framesDecoded > 20');
  }, 90_000);

  it('gets its media back when the media worker of the room dies (media_reset, then the SDK joins again)', async () => {
    const [pam, sam] = await pair();
    const sids = [await localSid(pam), await localSid(sam)];
    const plane = fx.server.sfu as WorkerMediaPlane;
    expect(plane.workers.length).toBeGreaterThan(0);

    await Promise.all(plane.workers.map((w) => w.terminate()));

    // both join again on their own: new sids, and each decodes the other again
    for (const [i, page] of [pam, sam].entries()) {
      await page.page.waitForFunction((old) => window.parley.state() === 'connected' && window.parley.room()?.localParticipant.sid !== old, sids[i], { timeout: 30_000 });
    }
    await waitForTrackStat(sam, 'Pam', 'camera', 's.framesDecoded > 20');
    await waitForTrackStat(pam, 'Sam', 'camera', 's.framesDecoded > 20');
    await waitForTrackStat(sam, 'Pam', 'microphone', 's.packetsReceived > 50');
  }, 90_000);

  it('restarts ICE on the publisher connection without losing the media', async () => {
    const [pam, sam] = await pair();
    const ufrag = (): Promise<string | undefined> =>
      pam.page.evaluate(() => /a=ice-ufrag:(\S+)/.exec(window.parley.room()?.getSfuConnections()?.publisher.localDescription?.sdp ?? '')?.[1]);
    const before = await ufrag();

    await pam.page.evaluate(() => window.parley.room()?.restartIce());

    await pam.page.waitForFunction((old) => {
      const pc = window.parley.room()?.getSfuConnections()?.publisher;
      const now = /a=ice-ufrag:(\S+)/.exec(pc?.localDescription?.sdp ?? '')?.[1];
      return now !== undefined && now !== old && pc?.signalingState === 'stable' && pc.connectionState === 'connected';
    }, before);
    const camera = await trackStat(sam, 'Pam', 'camera');
    await waitForTrackStat(sam, 'Pam', 'camera', `s.framesDecoded > ${(camera?.framesDecoded ?? 0) + 20}`);
    const mic = await trackStat(sam, 'Pam', 'microphone');
    await waitForTrackStat(sam, 'Pam', 'microphone', `s.packetsReceived > ${(mic?.packetsReceived ?? 0) + 20}`);
  }, 90_000);

  // Chromium once refused the offer after such a leave and join ('Failed to setup RTCP mux': the
  // stopped m-line at index 0 was recycled under a new mid and became the BUNDLE tag).
  it('receives a participant who left and joined again (its ended m-lines reused)', async () => {
    const room = `recycle-${randomUUID().slice(0, 8)}`;
    const alice = await openDemoWith(fx.browser, fx.server.url, room, 'Alice');
    await alice.page.waitForFunction(() => (window.parley.room()?.localParticipant.trackPublications.size ?? 0) >= 2);
    const bob = await openDemoWith(fx.browser, fx.server.url, room, 'Bob');
    fx.opened.push(alice, bob);
    await waitForTrackStat(bob, 'Alice', 'camera', 's.framesDecoded > 0');

    await alice.page.click('#btn-leave');
    await alice.page.waitForSelector('#lobby:not([hidden])');
    await alice.page.click('#join-button');
    await alice.page.waitForFunction(() => window.parley.state() === 'connected');
    await waitForTrackStat(bob, 'Alice', 'camera', 's.subscribed && s.framesDecoded > 0', 15_000);
  }, 60_000);
});
