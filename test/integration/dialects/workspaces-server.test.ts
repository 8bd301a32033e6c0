/**
 * The webRTCWorkspaces and Inclubit dialects inside a whole Parley server (PARLEY_DIALECTS): their
 * rooms show in the native admin API, `iceservers` hands out the embedded TURN server, and
 * workspaces and Inclubit users survive a restart of the server on the same data directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { API_KEY, API_SECRET, startTestServer, type TestServer } from '../../helpers/server.js';
import { basic, Peer } from './inclubit-harness.js';
import { Client } from './workspaces-harness.js';

const dataDir = mkdtempSync(join(tmpdir(), 'parley-dialects-restart-'));
const ADMIN = { user: 'root', password: 'root-password' };
const clients: Array<{ close(): void }> = [];

afterAll(() => {
  for (const c of clients) c.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts the server; TURN binds UDP and TCP on one port, so pick a random one and retry when taken. */
async function start(): Promise<TestServer> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await startOn(20000 + Math.floor(Math.random() * 20000));
    } catch (err) {
      if (attempt >= 5 || !String(err).includes('EADDRINUSE')) throw err;
    }
  }
}

function startOn(turnPort: number): Promise<TestServer> {
  return startTestServer(
    { 'dialects.workspaces.port': 0, 'dialects.inclubit.port': 0, 'dialects.inclubit.authPort': 0, 'turn.port': turnPort, 'turn.listenIp': '127.0.0.1', 'turn.workers': 1 },
    {
      dataDir,
      env: {
        PARLEY_API_KEY: API_KEY,
        PARLEY_API_SECRET: API_SECRET,
        PARLEY_DIALECTS: 'workspaces,inclubit',
        PARLEY_INCLUBIT_ADMIN_USER: ADMIN.user,
        PARLEY_INCLUBIT_ADMIN_PASSWORD: ADMIN.password,
      },
    },
  );
}

const portOf = (s: TestServer, dialect: string, role: string): number => s.dialects.find((d) => d.name === dialect)?.ports[role] ?? 0;

async function adminRooms(s: TestServer): Promise<Array<{ name: string; origin: string; numParticipants: number }>> {
  const token = await s.token('admin', { roomList: true, roomCreate: true });
  const res = await fetch(`http://127.0.0.1:${s.port}/api/rooms`, { headers: { authorization: `Bearer ${token}` } });
  return ((await res.json()) as { rooms: Array<{ name: string; origin: string; numParticipants: number }> }).rooms;
}

interface Created {
  workspace: { id: string; token: string };
  attendee: { id: string; name: string; avatar: string };
  accessToken: string;
}

describe('workspaces and Inclubit in a Parley server', () => {
  it('show their rooms in the admin API, hand out Parley TURN, and survive a restart', async () => {
    let server = await start();
    let created: Created;
    try {
      const owner = await Client.connect(`http://127.0.0.1:${portOf(server, 'workspaces', 'socketio')}`);
      clients.push(owner);
      created = await owner.request<Created>('create', { workspace: { name: 'Kept' }, attendee: { name: 'Olga' } }, 'created');
      const servers = await owner.request<Array<{ urls: string[]; username?: string; credential?: string }>>('iceservers', {}, 'iceservers');
      const turn = servers.find((s) => s.urls.some((u) => u.startsWith('turn:')));
      expect(turn?.username).toMatch(new RegExp(`^\\d+:${created.attendee.id}$`));
      expect(turn?.credential).toBeTruthy();

      const camera = await Peer.connect(`http://127.0.0.1:${portOf(server, 'inclubit', 'socketio')}`);
      clients.push(camera);
      await camera.request('join', 'studio', { nick: 'cam', sender: true });
      const rooms = await adminRooms(server);
      expect(rooms).toContainEqual(expect.objectContaining({ name: `workspaces:${created.workspace.id}`, origin: 'workspaces', numParticipants: 1 }));
      expect(rooms).toContainEqual(expect.objectContaining({ name: 'inclubit:studio', origin: 'inclubit', numParticipants: 1 }));

      const add = await fetch(`http://127.0.0.1:${portOf(server, 'inclubit', 'auth')}/admin/add-users`, {
        method: 'POST',
        headers: { ...basic(ADMIN.user, ADMIN.password), 'content-type': 'application/json' },
        body: JSON.stringify({ lena: { password: 'lena-pw', canCreateRooms: true } }),
      });
      expect(add.status).toBe(200);
      owner.close();
      camera.close();
    } finally {
      await server.stop();
    }

    server = await start();
    try {
      const bob = await Client.connect(`http://127.0.0.1:${portOf(server, 'workspaces', 'socketio')}`);
      clients.push(bob);
      const granted = await bob.request<{ workspace: { id: string; name: string } }>('attend', { workspace: { token: created.workspace.token, pin: '' }, attendee: { name: 'Bob' } }, 'attendance-granted');
      expect(granted.workspace).toMatchObject({ id: created.workspace.id, name: 'Kept' });
      const me = await fetch(`http://127.0.0.1:${portOf(server, 'inclubit', 'auth')}/user/`, { headers: basic('lena', 'lena-pw') });
      expect(await me.json()).toEqual({ canCreateRooms: true });
    } finally {
      await server.stop();
    }
  });
});
