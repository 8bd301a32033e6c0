/**
 * Track changes in an SFU room: a screen share published mid-call arrives as its own track and
 * tile and ends at the subscriber when unpublished; muting pauses the camera at the subscriber and
 * unmuting brings it back; sharing again later works. A participant that joined without
 * autoSubscribe receives only what it subscribes to. The demo's screen-share button publishes a
 * screen besides the camera.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openDemoWith, trackStat, useDemoSuite, waitForTrackStat } from '../helpers/browser.js';

const fx = useDemoSuite({ 'rooms.defaultType': 'sfu' });

describe('SFU track changes in Chromium', () => {
  it('publishes, unpublishes and publishes again a screen share; mute pauses the camera', async () => {
    const room = `tracks-${randomUUID().slice(0, 8)}`;
    const pam = await openDemoWith(fx.browser, fx.server.url, room, 'Pam');
    const sam = await openDemoWith(fx.browser, fx.server.url, room, 'Sam');
    fx.opened.push(pam, sam);
    await waitForTrackStat(sam, 'Pam', 'camera', 's.framesDecoded > 0');

    await pam.page.evaluate(() => window.parley.shareCanvas(640, 360));
    await waitForTrackStat(sam, 'Pam', 'screen', 's.framesDecoded > 10 && s.frameWidth === 640');
    await sam.page.waitForSelector('.tile.screen video');

    await pam.page.evaluate(async () => {
      const room = window.parley.room();
      const screen = room?.localParticipant.getTrack('screen');
      if (room && screen) await room.localParticipant.unpublishTrack(screen);
    });
    await sam.page.waitForFunction(() => window.parley.events().some((e) => e.type === 'trackUnsubscribed' && e.detail?.startsWith('screen:')));
    await sam.page.waitForSelector('.tile.screen', { state: 'detached' });
    expect(await trackStat(sam, 'Pam', 'screen')).toBeUndefined();
    const camera = await trackStat(sam, 'Pam', 'camera');
    await waitForTrackStat(sam, 'Pam', 'camera', `s.framesDecoded > ${(camera?.framesDecoded ?? 0) + 20}`);

    await pam.page.click('#btn-cam');
    await sam.page.waitForSelector('.tile.no-video:not(.local)');
    const muted = await waitForTrackStat(sam, 'Pam', 'camera', 's.muted && s.bitrate === 0', 10_000);
    await pam.page.click('#btn-cam');
    await waitForTrackStat(sam, 'Pam', 'camera', `!s.muted && s.framesDecoded > ${muted.framesDecoded + 20}`);

    await pam.page.evaluate(() => window.parley.shareCanvas(640, 360));
    await waitForTrackStat(sam, 'Pam', 'screen', 's.framesDecoded > 10 && s.frameWidth === 640');
  }, 90_000);

  it('subscribes and unsubscribes explicitly when joined without autoSubscribe', async () => {
    const room = `subscribe-${randomUUID().slice(0, 8)}`;
    const pam = await openDemoWith(fx.browser, fx.server.url, room, 'Pam');
    const sam = await openDemoWith(fx.browser, fx.server.url, room, 'Sam', { query: { autosubscribe: '0' } });
    fx.opened.push(pam, sam);
    await waitForTrackStat(pam, 'Sam', 'camera', 's.framesDecoded > 0');
    await sam.page.waitForFunction(() => Object.values(window.parley.trackStats()).some((r) => r.tracks.camera !== undefined && r.tracks.microphone !== undefined));
    expect((await trackStat(sam, 'Pam', 'camera'))?.subscribed).toBe(false);

    await sam.page.evaluate(() => window.parley.setSubscribed('Pam', true));
    await waitForTrackStat(sam, 'Pam', 'camera', 's.subscribed && s.framesDecoded > 10');
    expect((await trackStat(sam, 'Pam', 'microphone'))?.subscribed).toBe(false);

    await sam.page.evaluate(() => window.parley.setSubscribed('Pam', false));
    await sam.page.waitForFunction(() => window.parley.events().some((e) => e.type === 'trackUnsubscribed' && e.detail?.startsWith('camera:')));
    expect((await trackStat(sam, 'Pam', 'camera'))?.subscribed).toBe(false);

    await sam.page.evaluate(() => window.parley.setSubscribed('Pam', true));
    await waitForTrackStat(sam, 'Pam', 'camera', 's.subscribed && s.framesDecoded > 10');
  }, 90_000);

  it("shares the screen with the demo's button, besides the camera, and stops again", async () => {
    const room = `screen-${randomUUID().slice(0, 8)}`;
    const pam = await openDemoWith(fx.browser, fx.server.url, room, 'Pam');
    const sam = await openDemoWith(fx.browser, fx.server.url, room, 'Sam');
    fx.opened.push(pam, sam);
    await waitForTrackStat(sam, 'Pam', 'camera', 's.framesDecoded > 0');

    // Chromium's fake capture UI picks a screen by itself.
    await pam.page.click('#btn-screen');
    await pam.page.waitForSelector('#btn-screen.active');
    await waitForTrackStat(sam, 'Pam', 'screen', 's.framesDecoded > 10 && s.frameWidth > 0');
    await sam.page.waitForSelector('.tile.screen:not(.local) video');
    const camera = await trackStat(sam, 'Pam', 'camera');
    await waitForTrackStat(sam, 'Pam', 'camera', `s.framesDecoded > ${(camera?.framesDecoded ?? 0) + 20}`);

    await pam.page.click('#btn-screen');
    await pam.page.waitForSelector('#btn-screen:not(.active)');
    await sam.page.waitForSelector('.tile.screen', { state: 'detached' });
    expect(await trackStat(sam, 'Pam', 'screen')).toBeUndefined();
  }, 90_000);
});
