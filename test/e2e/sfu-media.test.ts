/**
 * SFU rooms in headless Chromium through the demo app (fake camera and microphone): three
 * participants publish camera and microphone and each decodes both other videos and plays both
 * other audio streams, all through Parley, and sees an active speaker; a publisher that leaves
 * ends its tracks at the others.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openDemoWith, trackStat, useDemoSuite, waitForTrackStat, type DemoPage } from '../helpers/browser.js';

const fx = useDemoSuite({ 'rooms.defaultType': 'sfu' });

async function open(room: string, name: string): Promise<DemoPage> {
  const page = await openDemoWith(fx.browser, fx.server.url, room, name);
  fx.opened.push(page);
  return page;
}

/** Waits until `on` decodes more video frames and audio samples of `from` than now. */
async function mediaGrows(on: DemoPage, from: string): Promise<void> {
  const video = await waitForTrackStat(on, from, 'camera', 's.framesDecoded > 0 && s.frameWidth > 0');
  const audio = await waitForTrackStat(on, from, 'microphone', 's.packetsReceived > 0 && s.totalSamplesReceived > 0');
  await waitForTrackStat(on, from, 'camera', `s.framesDecoded > ${video.framesDecoded + 10}`);
  await waitForTrackStat(on, from, 'microphone', `s.packetsReceived > ${audio.packetsReceived + 20} && s.totalSamplesReceived > ${audio.totalSamplesReceived}`);
}

describe('SFU room in Chromium', () => {
  it('three participants each decode both other videos and receive both other audio streams', async () => {
    const room = `sfu-${randomUUID().slice(0, 8)}`;
    const ann = await open(room, 'Ann');
    const bob = await open(room, 'Bob');
    const cat = await open(room, 'Cat');
    expect(await ann.page.evaluate(() => window.parley.roomType())).toBe('sfu');

    const pairs: [DemoPage, string][] = [
      [ann, 'Bob'], [ann, 'Cat'], [bob, 'Ann'], [bob, 'Cat'], [cat, 'Ann'], [cat, 'Bob'],
    ];
    await Promise.all(pairs.map(([on, from]) => mediaGrows(on, from)));

    // Every video arrives through the one subscriber connection, as the tile overlay shows.
    await ann.page.waitForSelector('.tile:not(.local) .tile-stats:not([hidden])');
    // The fake microphones beep: the server names an active speaker, whose tile gets the ring.
    await ann.page.waitForFunction(() => window.parley.activeSpeaker() !== null);
    await ann.page.waitForSelector('.tile.speaking');
    for (const on of [ann, bob, cat]) {
      const debug = await on.page.evaluate(() => window.parley.debug());
      for (const r of debug.remotes) expect(r.pc).toMatch(/^publisher connected.*subscriber connected/);
    }
  }, 90_000);

  it('a publisher that leaves ends its tracks at the others', async () => {
    const room = `sfu-${randomUUID().slice(0, 8)}`;
    const ann = await open(room, 'Ann');
    const bob = await open(room, 'Bob');
    const cat = await open(room, 'Cat');
    await Promise.all([mediaGrows(ann, 'Cat'), mediaGrows(bob, 'Cat')]);

    const catIdentity = await cat.page.evaluate(() => window.parley.room()?.localParticipant.identity ?? '');
    await cat.page.click('#btn-leave');

    for (const on of [ann, bob]) {
      await on.page.waitForFunction((id) => window.parley.events().some((e) => e.type === 'participantLeft' && e.identity === id && e.detail === 'left'), catIdentity);
      const ended = await on.page.evaluate((id) => window.parley.events().filter((e) => e.type === 'trackUnsubscribed' && e.identity === id).map((e) => e.detail?.split(':')[0]), catIdentity);
      expect(ended.sort()).toEqual(['camera', 'microphone']);
      expect(await trackStat(on, 'Cat', 'camera')).toBeUndefined();
      expect(await on.page.locator('.tile').count()).toBe(2);
    }
    // The others keep their media with each other.
    await Promise.all([mediaGrows(ann, 'Bob'), mediaGrows(bob, 'Ann')]);
  }, 90_000);
});
