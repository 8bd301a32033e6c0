/**
 * The dialects started by the server itself (PARLEY_DIALECTS), on their own ports, with their rooms
 * visible in the native admin API like any other room.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { API_KEY, API_SECRET, startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(
    {
      'dialects.jsongle.port': 0,
      'dialects.jsongle.restPort': 0,
      'dialects.workspaces.port': 0,
      'dialects.inclubit.port': 0,
      'dialects.inclubit.authPort': 0,
    },
    { env: { PARLEY_API_KEY: API_KEY, PARLEY_API_SECRET: API_SECRET, PARLEY_TURN_ENABLED: 'false', PARLEY_DIALECTS: 'jsongle,workspaces,inclubit' } },
  );
});
afterAll(async () => {
  await server.stop();
});

it('starts every enabled dialect on its own port', () => {
  expect(server.dialects.map((d) => d.name).sort()).toEqual(['inclubit', 'jsongle', 'workspaces']);
  for (const d of server.dialects) for (const port of Object.values(d.ports)) expect(port).toBeGreaterThan(0);
});

it('a JSONgle room shows in the native admin API with its origin', async () => {
  const jsongle = server.dialects.find((d) => d.name === 'jsongle')!;
  const socket: Socket = io(`http://127.0.0.1:${jsongle.ports.socketio}`, { transports: ['websocket'] });
  type Msg = { id?: string; from?: string; to?: string; jsongle: { action: string; query?: string; transaction?: string; description?: Record<string, unknown> } };
  const next = (pred: (m: Msg) => boolean) => new Promise<Msg>((resolve) => {
    const on = (m: Msg) => {
      if (pred(m)) {
        socket.off('jsongle', on);
        resolve(m);
      }
    };
    socket.on('jsongle', on);
  });
  const hello = await next((m) => m.jsongle.query === 'session-hello');
  socket.emit('jsongle', { id: 'h1', from: hello.to, to: hello.from, jsongle: { action: 'iq-result', query: 'session-hello', transaction: hello.jsongle.transaction, description: { uid: 'u1', dn: 'User One' } } });
  await next((m) => m.jsongle.action === 'ack');
  socket.emit('jsongle', { id: 'j1', from: hello.to, to: hello.from, jsongle: { action: 'iq-set', query: 'session-join', namespace: 'room', transaction: 't-join', description: { rid: 'lobby' } } });
  await next((m) => m.jsongle.action === 'iq-result' || m.jsongle.action === 'iq-error');
  const admin = await server.token('admin', { roomList: true, roomCreate: true });
  const res = await fetch(`http://127.0.0.1:${server.port}/api/rooms`, { headers: { authorization: `Bearer ${admin}` } });
  const { rooms } = (await res.json()) as { rooms: Array<{ name: string; origin: string; numParticipants: number }> };
  expect(rooms).toContainEqual(expect.objectContaining({ name: 'jsongle:lobby', origin: 'jsongle', numParticipants: 1 }));
  socket.close();
});
