/**
 * Data in an SFU room: messages sent over the reliable and the lossy data channel arrive at the
 * others, stamped with the sender, and never at the sender; `to` limits the addressees; the chat
 * goes over the data channel too.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openDemoWith, sendChat, useDemoSuite, waitForChat, type DemoPage } from '../helpers/browser.js';
import type { DataRecord } from '../../src/demo/automation.js';

const fx = useDemoSuite({ 'rooms.defaultType': 'sfu' });

function received(on: DemoPage, topic: string): Promise<DataRecord[]> {
  return on.page.evaluate((t) => window.parley.received().filter((d) => d.topic === t), topic);
}

async function waitForData(on: DemoPage, topic: string, count: number): Promise<DataRecord[]> {
  await on.page.waitForFunction(([t, n]) => window.parley.received().filter((d) => d.topic === t).length >= n, [topic, count] as const, { timeout: 15_000, polling: 100 });
  return received(on, topic);
}

/** Waits until the publisher connection's data channels are open (the SDK falls back to signaling before). */
function channelsOpen(on: DemoPage): Promise<unknown> {
  return on.page.waitForFunction(() => {
    const sfu = window.parley.room()?.getSfuConnections();
    return sfu !== undefined && sfu.publisher.sctp?.state === 'connected' && sfu.subscriber.sctp?.state === 'connected';
  });
}

describe('SFU data channels in Chromium', () => {
  it('relays reliable and lossy messages to the others, stamped with the sender, never back to it', async () => {
    const room = `data-${randomUUID().slice(0, 8)}`;
    const ann = await openDemoWith(fx.browser, fx.server.url, room, 'Ann');
    const bob = await openDemoWith(fx.browser, fx.server.url, room, 'Bob');
    const cat = await openDemoWith(fx.browser, fx.server.url, room, 'Cat');
    fx.opened.push(ann, bob, cat);
    await Promise.all([ann, bob, cat].map(channelsOpen));
    await Promise.all([ann, bob, cat].map((p) => p.page.waitForFunction(() => window.parley.participants().length === 2)));
    const annIdentity = await ann.page.evaluate(() => window.parley.room()?.localParticipant.identity);

    await ann.page.evaluate(() => window.parley.sendData({ n: 1, text: 'über reliable' }, { topic: 'reliable' }));
    // Lossy messages may be lost on a real network; on loopback a few tries are plenty.
    await ann.page.evaluate(async () => {
      for (let i = 0; i < 5; i++) await window.parley.sendData([i, 'lossy'], { topic: 'lossy', reliable: false });
    });

    for (const on of [bob, cat]) {
      const [reliable] = await waitForData(on, 'reliable', 1);
      expect(reliable).toMatchObject({ from: annIdentity, payload: { n: 1, text: 'über reliable' }, via: 'reliable' });
      const lossy = await waitForData(on, 'lossy', 1);
      expect(lossy.every((d) => d.via === 'lossy' && d.from === annIdentity)).toBe(true);
      expect(lossy.every((d) => Array.isArray(d.payload) && d.payload[1] === 'lossy')).toBe(true);
    }

    // Addressed to Bob only.
    const bobSid = await bob.page.evaluate(() => window.parley.room()?.localParticipant.sid ?? '');
    await cat.page.evaluate((to) => window.parley.sendData('just for you', { topic: 'direct', to: [to] }), bobSid);
    const [direct] = await waitForData(bob, 'direct', 1);
    expect(direct?.payload).toBe('just for you');

    // The chat travels over the data channel as well.
    await sendChat(bob, 'hello over the data channel');
    await Promise.all([waitForChat(ann, 'hello over the data channel'), waitForChat(cat, 'hello over the data channel')]);
    const chat = await ann.page.evaluate(() => window.parley.received().find((d) => d.topic === 'chat'));
    expect(chat?.via).toBe('reliable');

    // Nothing came back to its sender, and nobody else got the direct message.
    expect(await received(ann, 'reliable')).toEqual([]);
    expect(await received(ann, 'lossy')).toEqual([]);
    expect(await received(cat, 'direct')).toEqual([]);
    expect(await received(ann, 'direct')).toEqual([]);
    expect(await bob.page.evaluate(() => window.parley.received().filter((d) => d.topic === 'chat').length)).toBe(0);
  }, 90_000);
});
