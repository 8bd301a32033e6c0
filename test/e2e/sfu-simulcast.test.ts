/**
 * Simulcast in an SFU room: the demo publishes its 1280x720 fake camera in three layers (q 320,
 * h 640, f 1280 wide); a subscriber that asks for low, then high, then medium quality decodes the
 * matching resolution, as its getStats() shows; with `auto` the layer follows the size the video
 * is shown at, and a hidden video is paused until it shows again.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openDemoWith, snapshotOf, trackStat, useDemoSuite, waitForTrackStat, type DemoPage } from '../helpers/browser.js';

const fx = useDemoSuite({ 'rooms.defaultType': 'sfu' });

/** Waits until `pub` encodes every layer (the browser's bandwidth estimate turned them all on). */
async function allLayersSent(pub: DemoPage): Promise<void> {
  try {
    await pub.page.waitForFunction(
      async () => {
        const layers = await window.parley.publisherStats();
        return layers.length === 3 && layers.every((l) => l.framesEncoded > 0 && l.frameWidth > 0);
      },
      undefined,
      { timeout: 30_000, polling: 500 },
    );
  } catch (err) {
    throw new Error(`${pub.name} never sent all three layers: ${JSON.stringify(await pub.page.evaluate(() => window.parley.publisherStats()))}`, { cause: err });
  }
}

describe('SFU simulcast in Chromium', () => {
  it('a subscriber switches layers manually and decodes the matching resolution', async () => {
    const room = `simulcast-${randomUUID().slice(0, 8)}`;
    const pam = await openDemoWith(fx.browser, fx.server.url, room, 'Pam');
    const sam = await openDemoWith(fx.browser, fx.server.url, room, 'Sam', { query: { simulcast: '0' } });
    fx.opened.push(pam, sam);

    await waitForTrackStat(sam, 'Pam', 'camera', 's.framesDecoded > 0');
    const layers = await sam.page.evaluate(() => window.parley.room()?.getParticipantByIdentity(window.parley.participants()[0] ?? '')?.getTrack('camera')?.layers);
    expect(layers?.map((l) => `${l.rid}:${l.width}x${l.height}`)).toEqual(['q:320x180', 'h:640x360', 'f:1280x720']);
    await allLayersSent(pam);

    await sam.page.evaluate(() => window.parley.setQuality('Pam', 'low'));
    const low = await waitForTrackStat(sam, 'Pam', 'camera', 's.frameWidth === 320 && s.layer === "q"');
    await waitForTrackStat(sam, 'Pam', 'camera', `s.framesDecoded > ${low.framesDecoded + 20} && s.frameWidth === 320`);

    await sam.page.evaluate(() => window.parley.setQuality('Pam', 'high'));
    const high = await waitForTrackStat(sam, 'Pam', 'camera', 's.frameWidth === 1280 && s.frameHeight === 720');
    await waitForTrackStat(sam, 'Pam', 'camera', `s.framesDecoded > ${high.framesDecoded + 20} && s.frameWidth === 1280`);

    await sam.page.evaluate(() => window.parley.setQuality('Pam', 'medium'));
    const medium = await waitForTrackStat(sam, 'Pam', 'camera', 's.frameWidth === 640 && s.layer === "h"');
    await waitForTrackStat(sam, 'Pam', 'camera', `s.framesDecoded > ${medium.framesDecoded + 20} && s.frameWidth === 640`);

    // Pam subscribes to Sam's camera, published without simulcast: one layer, no layers announced.
    await waitForTrackStat(pam, 'Sam', 'camera', 's.framesDecoded > 0');
    const samCamera = await pam.page.evaluate(() => window.parley.room()?.getParticipantByIdentity(window.parley.participants()[0] ?? '')?.getTrack('camera')?.layers);
    expect(samCamera).toBeUndefined();
    await waitForTrackStat(pam, 'Sam', 'camera', 's.framesDecoded > 0 && s.frameWidth === 1280').catch(async (err: unknown) => {
      throw new Error(`${String(err)} ${await snapshotOf(pam)}`);
    });
  }, 120_000);

  it('follows the displayed size with auto quality, and pauses a hidden video', async () => {
    const room = `adaptive-${randomUUID().slice(0, 8)}`;
    const pam = await openDemoWith(fx.browser, fx.server.url, room, 'Pam');
    const sam = await openDemoWith(fx.browser, fx.server.url, room, 'Sam', { query: { simulcast: '0' } });
    fx.opened.push(pam, sam);
    await waitForTrackStat(sam, 'Pam', 'camera', 's.framesDecoded > 0');
    await allLayersSent(pam);
    const setStyle = (css: string): Promise<void> =>
      sam.page.evaluate((text) => {
        let el = document.getElementById('test-style');
        if (!el) {
          el = document.createElement('style');
          el.id = 'test-style';
          document.head.append(el);
        }
        el.textContent = text;
      }, css);

    // Shown at 200x112 CSS pixels: the quarter layer (320x180) covers it.
    await setStyle('.tile:not(.local) video { width: 200px !important; height: 112px !important; }');
    const small = await waitForTrackStat(sam, 'Pam', 'camera', 's.frameWidth === 320');
    await waitForTrackStat(sam, 'Pam', 'camera', `s.framesDecoded > ${small.framesDecoded + 20} && s.frameWidth === 320`);

    // Shown at 1100x620: only the full layer covers it.
    await setStyle('.tile:not(.local) video { width: 1100px !important; height: 620px !important; }');
    await waitForTrackStat(sam, 'Pam', 'camera', 's.frameWidth === 1280');

    // Hidden: forwarding pauses (the decoded frame count stops), then resumes once shown again.
    await setStyle('.tile:not(.local) video { visibility: hidden !important; }');
    const paused = (await waitForTrackStat(sam, 'Pam', 'camera', 's.bitrate === 0', 10_000)).framesDecoded;
    await sam.page.waitForTimeout(2000); // a window in which nothing may arrive
    expect((await trackStat(sam, 'Pam', 'camera'))?.framesDecoded).toBeLessThanOrEqual(paused + 2);
    await setStyle('');
    await waitForTrackStat(sam, 'Pam', 'camera', `s.framesDecoded > ${paused + 20}`);
  }, 120_000);
});
