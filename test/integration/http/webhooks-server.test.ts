/**
 * Webhooks from a whole server: what a receiver gets for a room's life, signed and in order, and
 * retried when the receiver fails at first.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifyWebhook } from '../../../src/webhooks/sign.js';
import { API_KEY, API_SECRET, startTestServer, TestClient, type TestServer } from '../../helpers/server.js';

let receiver: Server;
let server: TestServer;
const received: Array<{ event: string; room: string; identity?: string }> = [];
let failuresLeft = 2;
let attempts = 0;
let waiter: (() => void) | undefined;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      attempts++;
      if (failuresLeft > 0) {
        failuresLeft--;
        res.writeHead(503).end();
        return;
      }
      const body = Buffer.concat(chunks);
      verifyWebhook(body, req.headers.authorization, { [API_KEY]: API_SECRET })
        .then(({ event }) => {
          received.push({ event: event.event, room: event.room.name, ...('participant' in event ? { identity: event.participant.identity } : {}) });
          res.writeHead(200).end();
          waiter?.();
        })
        .catch(() => res.writeHead(401).end());
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as { port: number }).port;
  server = await startTestServer({ 'webhooks.urls': [`http://127.0.0.1:${port}/hook`], 'rooms.emptyTimeout': 1 });
});
afterAll(async () => {
  await server.stop();
  receiver.close();
});

async function until(pred: () => boolean, ms = 15_000) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out; received ${JSON.stringify(received)}`);
    await new Promise<void>((r) => {
      waiter = r;
      setTimeout(r, 200);
    });
  }
}

it('delivers a signed, ordered event for each step of a room, retrying a failing receiver', async () => {
  const c = await TestClient.connect(server.wsUrl);
  await c.join(await server.token('ann', { room: 'hooks', roomJoin: true }));
  const { track } = await c.ok<{ track: { sid: string } }>({ type: 'publish_track', cid: 'cam', kind: 'video', source: 'camera' });
  await c.ok({ type: 'unpublish_track', trackSid: track.sid });
  await c.ok({ type: 'leave' });
  c.close();
  await until(() => received.length >= 6);
  expect(received).toEqual([
    { event: 'room_started', room: 'hooks' },
    { event: 'participant_joined', room: 'hooks', identity: 'ann' },
    { event: 'track_published', room: 'hooks', identity: 'ann' },
    { event: 'track_unpublished', room: 'hooks', identity: 'ann' },
    { event: 'participant_left', room: 'hooks', identity: 'ann' },
    { event: 'room_finished', room: 'hooks' },
  ]);
  expect(attempts).toBe(8); // two refused attempts were retried
}, 30_000);
