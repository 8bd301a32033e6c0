/**
 * The SDK follows the room's type: on a server whose rooms are P2P by default it runs the mesh
 * (no SFU connections, data over signaling), and media, a screen share added mid-call and the chat
 * work as before the SFU existed.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openDemoWith, sendChat, useDemoSuite, waitForChat, waitForFrames, waitForTrackStat } from '../helpers/browser.js';

const fx = useDemoSuite({ 'rooms.defaultType': 'p2p' });

describe('room types in Chromium', () => {
  it('runs a P2P room as a mesh', async () => {
    const room = `p2p-${randomUUID().slice(0, 8)}`;
    const ann = await openDemoWith(fx.browser, fx.server.url, room, 'Ann');
    const bob = await openDemoWith(fx.browser, fx.server.url, room, 'Bob');
    fx.opened.push(ann, bob);

    expect(await ann.page.evaluate(() => window.parley.roomType())).toBe('p2p');
    expect(await ann.page.evaluate(() => window.parley.room()?.getSfuConnections())).toBeUndefined();
    await Promise.all([waitForFrames(ann, 'Bob'), waitForFrames(bob, 'Ann')]);
    await waitForTrackStat(ann, 'Bob', 'microphone', 's.packetsReceived > 10 && s.totalSamplesReceived > 0');
    await bob.page.evaluate(() => window.parley.shareCanvas(640, 360));
    await waitForTrackStat(ann, 'Bob', 'screen', 's.framesDecoded > 10 && s.frameWidth === 640');
    await sendChat(ann, 'hello over signaling');
    await waitForChat(bob, 'hello over signaling');
    expect(await bob.page.evaluate(() => window.parley.received().find((d) => d.topic === 'chat')?.via)).toBe('signaling');
  }, 90_000);
});
