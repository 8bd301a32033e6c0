/**
 * ICE server refresh: when the join response says the ICE servers expire soon, the SDK asks for
 * fresh ones (`ice_servers`) before they do and applies them to its peer connections
 * (pc.setConfiguration). The test relays Alice's signaling to rewrite the expiry and the answer.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openDemo, waitForFrames, useDemoSuite } from '../helpers/browser.js';

const fx = useDemoSuite();

type Frame = { type?: string; id?: unknown; data?: Record<string, unknown> };

const FRESH = { iceServers: [{ urls: ['stun:127.0.0.1:9'] }], iceServersExpireAt: null };

describe('SDK ICE server refresh', () => {
  it('asks for fresh ICE servers before they expire and applies them to its peer connections', async () => {
    const room = `e2e-${randomUUID().slice(0, 8)}`;
    const iceRequests: unknown[] = [];
    const alice = await openDemo(fx.browser, fx.server.url, room, 'Alice', {}, (page) =>
      page.routeWebSocket(/\/rtc/, (ws) => {
        const upstream = ws.connectToServer();
        ws.onMessage((m) => {
          const f = JSON.parse(String(m)) as Frame;
          if (f.type === 'ice_servers') iceRequests.push(f.id);
          upstream.send(m);
        });
        upstream.onMessage((m) => {
          const f = JSON.parse(String(m)) as Frame;
          if (f.type === 'response' && f.data && 'resumeToken' in f.data) f.data['iceServersExpireAt'] = Date.now() + 4000;
          if (f.type === 'response' && iceRequests.includes(f.id)) f.data = FRESH;
          ws.send(JSON.stringify(f));
        });
      }),
    );
    const bob = await openDemo(fx.browser, fx.server.url, room, 'Bob');
    fx.opened.push(alice, bob);
    await waitForFrames(alice, 'Bob');

    await alice.page.waitForFunction(() => {
      const room = window.parley.room();
      const bobSid = [...(room?.participants.keys() ?? [])][0];
      const pc = bobSid ? room?.getPeerConnection(bobSid) : undefined;
      return pc?.getConfiguration().iceServers?.some((s) => [s.urls].flat().includes('stun:127.0.0.1:9')) ?? false;
    }, undefined, { timeout: 15_000 });
    expect(iceRequests.length).toBe(1);
    const frames = await alice.page.evaluate(() => Object.values(window.parley.stats())[0]?.framesDecoded ?? 0);
    await waitForFrames(alice, 'Bob', frames + 10);
  }, 60_000);
});
