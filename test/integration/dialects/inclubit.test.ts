/**
 * Inclubit 360 dialect: the signaling driven by socket.io-client 4 (as the original SPA), every
 * event and Swedish error string, the 1 sender + 1 viewer rule, the disconnect notice the original
 * lacked, hostile input; and the auth API over HTTP (basic auth, user CRUD, TURN credentials).
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../../src/store/memory.js';
import { ADMIN, basic, INCLUBIT_TURN_SECRET, Peer, startInclubit, type InclubitHarness } from './inclubit-harness.js';

const NO_ROOM = 'No room provided. Are you stupid?';
const NO_META = 'No metadata provided. Required to join room.';
const FULL = 'Rummet verkar vara fullt 😥';
const TWO_VIEWERS = 'Det finns redan en åskådare i rummet 😮 Kan det vara så att du redan har en flik med samma rum öppnad?';
const TWO_SENDERS =
  'Det finns redan en sändare i rummet 😮 Kan det vara så att du redan har en flik med samma rum öppnad? Eller är det någon annan som också försöker skicka video användandes samma rumsnamn?';

interface Member {
  id: string;
  data: { nick: string; sender: boolean };
}

let h: InclubitHarness;
const peers: Peer[] = [];
let roomCounter = 0;
const freshRoom = (): string => `room-${++roomCounter}`;

async function peer(): Promise<Peer> {
  const p = await Peer.connect(h.signalingUrl);
  peers.push(p);
  return p;
}

async function pair(room = freshRoom()): Promise<{ camera: Peer; viewer: Peer; room: string }> {
  const camera = await peer();
  await camera.request('join', room, { nick: 'camera', sender: true });
  const viewer = await peer();
  const seen = camera.next<Member[]>('room');
  await viewer.request('join', room, { nick: 'viewer', sender: false });
  await seen;
  return { camera, viewer, room };
}

beforeAll(async () => {
  h = await startInclubit(createMemoryStore());
});

afterAll(async () => {
  for (const p of peers) p.close();
  await h.close();
});

describe('Inclubit signaling', () => {
  it('answers GET / like the original', async () => {
    const res = await fetch(h.signalingUrl);
    expect(await res.text()).toBe('Gunnars episka websocket server för att hantera videosamtal!!!!');
  });

  it('join: a camera then a viewer, with the member lists in the ack and `room`', async () => {
    const room = freshRoom();
    const camera = await peer();
    const first = await camera.request<Member[]>('join', room, { nick: 'cam', sender: true });
    expect(first).toEqual([{ id: camera.id, data: { nick: 'cam', sender: true } }]);
    const viewer = await peer();
    const told = camera.next<Member[]>('room');
    const second = await viewer.request<Member[]>('join', room, { nick: 'vr', sender: false });
    const expected = [
      { id: camera.id, data: { nick: 'cam', sender: true } },
      { id: viewer.id, data: { nick: 'vr', sender: false } },
    ];
    expect(second).toEqual(expected);
    expect(await told).toEqual(expected);
    const parley = h.deps.rooms.get(`inclubit:${room}`);
    expect(parley?.info()).toMatchObject({ origin: 'inclubit', maxParticipants: 2, numParticipants: 2 });
  });

  it('refuses a third member, two senders and two viewers with the exact Swedish strings', async () => {
    const { room } = await pair();
    const third = await peer();
    const roomFull = third.next<string>('roomFull');
    expect(await third.request('join', room, { nick: 'x', sender: false })).toEqual({ error: FULL });
    expect(await roomFull).toBe(FULL);

    const senders = freshRoom();
    const cam1 = await peer();
    await cam1.request('join', senders, { nick: 'c1', sender: true });
    const cam2 = await peer();
    const full2 = cam2.next<string>('roomFull');
    expect(await cam2.request('join', senders, { nick: 'c2', sender: true })).toEqual({ error: TWO_SENDERS });
    expect(await full2).toBe(TWO_SENDERS);

    const viewers = freshRoom();
    const v1 = await peer();
    await v1.request('join', viewers, { nick: 'v1', sender: false });
    const v2 = await peer();
    const full3 = v2.next<string>('roomFull');
    expect(await v2.request('join', viewers, { nick: 'v2', sender: false })).toEqual({ error: TWO_VIEWERS });
    expect(await full3).toBe(TWO_VIEWERS);
  });

  it('errorMessage for a missing room or metadata; the ack gets the error too', async () => {
    const p = await peer();
    let error = p.next<string>('errorMessage');
    expect(await p.request('join', undefined, { nick: 'a', sender: true })).toEqual({ error: NO_ROOM });
    expect(await error).toBe(NO_ROOM);
    error = p.next<string>('errorMessage');
    expect(await p.request('join', '', { nick: 'a', sender: true })).toEqual({ error: NO_ROOM });
    expect(await p.request('join', 42, { nick: 'a', sender: true })).toEqual({ error: NO_ROOM });
    expect(await p.request('join', { room: 'x' }, { nick: 'a', sender: true })).toEqual({ error: NO_ROOM });
    error = p.next<string>('errorMessage');
    expect(await p.request('join', freshRoom())).toEqual({ error: NO_META });
    expect(await error).toBe(NO_META);
    expect(await p.request('join', freshRoom(), 'not-an-object')).toEqual({ error: NO_META });
    expect(await p.request('join', freshRoom(), null)).toEqual({ error: NO_META });
  });

  it('does not crash on a join without an ack callback', async () => {
    const room = freshRoom();
    const camera = await peer();
    await camera.request('join', room, { nick: 'cam', sender: true });
    const viewer = await peer();
    const told = camera.next<Member[]>('room');
    viewer.socket.emit('join', room, { nick: 'no-ack', sender: false });
    expect((await told).map((m) => m.data.nick)).toEqual(['cam', 'no-ack']);
    const errored = viewer.next<string>('errorMessage');
    viewer.socket.emit('join');
    expect(await errored).toBe(NO_ROOM);
    const third = await peer();
    const full = third.next<string>('roomFull');
    third.socket.emit('join', room, { nick: 'x', sender: false });
    expect(await full).toBe(FULL);
  });

  it('falls back on wrong-typed metadata fields instead of failing', async () => {
    const p = await peer();
    const members = await p.request<Member[]>('join', freshRoom(), { nick: 5, sender: 'yes', extra: { a: 1 } });
    expect(members).toEqual([{ id: p.id, data: { nick: '', sender: false } }]);
  });

  it('relays signal and peerObjectCreated to the other member only', async () => {
    const { camera, viewer } = await pair();
    const offer = { type: 'offer', sdp: 'v=0 ...' };
    const got = camera.next('signal');
    viewer.socket.emit('signal', offer);
    expect(await got).toEqual(offer);
    for (const data of [{ type: 'answer', sdp: 'v=0' }, { type: 'candidate', candidate: { candidate: 'c', sdpMLineIndex: 0, sdpMid: '0' } }, { type: 'renegotiate', renegotiate: true }, { type: 'transceiverRequest', transceiverRequest: { kind: 'audio', init: {} } }]) {
      const relayed = viewer.next('signal');
      camera.socket.emit('signal', data);
      expect(await relayed).toEqual(data);
    }
    const created = viewer.next('peerObjectCreated');
    camera.socket.emit('peerObjectCreated');
    await created;
    await camera.barrier();
    expect(camera.all('signal')).toHaveLength(1);
    expect(camera.all('peerObjectCreated')).toHaveLength(0);
  });

  it('drops signal before a join and signal data that is not an object', async () => {
    const { camera, viewer } = await pair();
    const stranger = await peer();
    stranger.socket.emit('signal', { type: 'offer', sdp: 'x' });
    stranger.socket.emit('peerObjectCreated');
    stranger.socket.emit('getRoom');
    viewer.socket.emit('signal', 'a string');
    viewer.socket.emit('signal', 7);
    viewer.socket.emit('signal');
    viewer.socket.emit('signal', null);
    await stranger.barrier();
    await viewer.barrier();
    await camera.barrier();
    expect(camera.all('signal')).toHaveLength(0);
    expect(camera.all('peerObjectCreated')).toHaveLength(0);
    expect(stranger.all('room')).toHaveLength(0);
  });

  it('getRoom answers the current members, not a snapshot from the join', async () => {
    const { camera, viewer, room } = await pair();
    let members = camera.next<Member[]>('room', camera.received.length);
    camera.socket.emit('getRoom');
    expect((await members).map((m) => m.id)).toEqual([camera.id, viewer.id]);
    const told = camera.next<Member[]>('room');
    expect(await viewer.request('leave', room)).toEqual([{ id: camera.id, data: { nick: 'camera', sender: true } }]);
    expect(await told).toEqual([{ id: camera.id, data: { nick: 'camera', sender: true } }]);
    members = camera.next<Member[]>('room', camera.received.length);
    camera.socket.emit('getRoom');
    expect((await members).map((m) => m.id)).toEqual([camera.id]);
    // the seat is free again
    const other = await peer();
    expect(await other.request<Member[]>('join', room, { nick: 'v2', sender: false })).toHaveLength(2);
  });

  it('leave without an ack, and leave of a room one is not in, do not crash', async () => {
    const { camera, viewer, room } = await pair();
    const told = camera.next<Member[]>('room');
    viewer.socket.emit('leave', room);
    expect((await told).map((m) => m.id)).toEqual([camera.id]);
    expect(await viewer.request('leave', 'not-my-room')).toEqual([]);
    expect(await viewer.request('leave')).toEqual([]);
  });

  it('a disconnect tells the remaining peer (the original never did)', async () => {
    const { camera, viewer, room } = await pair();
    const told = camera.next<Member[]>('room');
    viewer.close();
    expect(await told).toEqual([{ id: camera.id, data: { nick: 'camera', sender: true } }]);
    expect(h.deps.rooms.get(`inclubit:${room}`)?.info().numParticipants).toBe(1);
  });

  it('joining another room leaves the first; joining the same room again is harmless', async () => {
    const { camera, viewer, room } = await pair();
    const told = camera.next<Member[]>('room');
    const elsewhere = freshRoom();
    expect(await viewer.request<Member[]>('join', elsewhere, { nick: 'v', sender: false })).toEqual([{ id: viewer.id, data: { nick: 'v', sender: false } }]);
    expect((await told).map((m) => m.id)).toEqual([camera.id]);
    expect(h.deps.rooms.get(`inclubit:${room}`)?.info().numParticipants).toBe(1);
    const again = await camera.request<Member[]>('join', room, { nick: 'camera', sender: true });
    expect(again.map((m) => m.id)).toEqual([camera.id]);
  });

  it('maps free-text room names onto URL-safe Parley room names', async () => {
    const p = await peer();
    await p.request('join', 'Gunnars rum/1', { nick: 'cam', sender: true });
    expect(h.deps.rooms.get('inclubit:Gunnars%20rum%2F1')?.info().numParticipants).toBe(1);
  });

  it('an admin removing the participant through Parley disconnects it and tells the other', async () => {
    const { camera, viewer, room } = await pair();
    const participant = h.deps.rooms.get(`inclubit:${room}`)?.findByIdentity(viewer.id);
    expect(participant).toBeDefined();
    const told = camera.next<Member[]>('room');
    const gone = new Promise((resolve) => viewer.socket.once('disconnect', resolve));
    if (participant) h.deps.rooms.remove(participant);
    expect((await told).map((m) => m.id)).toEqual([camera.id]);
    await gone;
  });
});

describe('Inclubit auth API', () => {
  const admin = basic(ADMIN.user, ADMIN.password);
  const post = (path: string, body: unknown, headers: Record<string, string> = admin) =>
    fetch(`${h.authUrl}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const get = (path: string, headers: Record<string, string> = admin, base = h.authUrl) => fetch(`${base}${path}`, { headers });

  it('user auth before any user exists is a 401, not a crash', async () => {
    const res = await get('/user/', basic('nobody', 'x'));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect((await get('/user/get-turn-credentials', {})).status).toBe(401);
  });

  it('/admin/ needs the admin credentials (basic auth, no challenge)', async () => {
    expect((await get('/admin/', {})).status).toBe(401);
    expect((await get('/admin/', basic(ADMIN.user, 'wrong'))).status).toBe(401);
    expect((await get('/admin/', { authorization: 'Bearer x' })).status).toBe(401);
    expect((await get('/admin/', { authorization: 'Basic !!!' })).status).toBe(401);
    const ok = await get('/admin/');
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('hello from admin. you passed');
    expect((await post('/admin/', {})).status).toBe(200);
    expect((await post('/admin/get-users', {}, {})).status).toBe(404);
    expect((await post('/admin/add-users', { x: { password: 'p' } }, basic('x', 'p'))).status).toBe(401);
  });

  it('add-users creates users with hashed passwords, 409 when none is created', async () => {
    let res = await post('/admin/add-users', { alice: { password: 'wonderland', canCreateRooms: true }, bob: { password: 'builder', canCreateRooms: false }, 'bad:name': { password: 'x' }, nopass: { canCreateRooms: true } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ createdUsers: ['alice', 'bob'], notCreatedUsers: ['bad:name', 'nopass'] });
    res = await post('/admin/add-users', { alice: { password: 'again' } });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ createdUsers: [], notCreatedUsers: ['alice'] });
    const stored = await h.deps.store.collection<Record<string, unknown>>('inclubit_users').get('alice');
    expect(stored).toMatchObject({ canCreateRooms: true });
    expect(String(stored?.passwordHash)).toMatch(/^\$2[aby]\$10\$/);
    expect(JSON.stringify(stored)).not.toContain('wonderland');
  });

  it('get-users and /user/ never return a password', async () => {
    await post('/admin/add-users', { carol: { password: 'secret-c', canCreateRooms: false } });
    const users = (await (await get('/admin/get-users')).json()) as Record<string, unknown>;
    expect(users.carol).toEqual({ canCreateRooms: false });
    expect(JSON.stringify(users)).not.toMatch(/password|secret-c|\$2/);
    const me = await get('/user/', basic('carol', 'secret-c'));
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ canCreateRooms: false });
    expect((await get('/user/', basic('carol', 'wrong'))).status).toBe(401);
    expect((await get('/user', basic('carol', 'secret-c'))).status).toBe(200);
  });

  it('update-users keeps the password when it is missing or empty (the admin page sends records back)', async () => {
    await post('/admin/add-users', { dave: { password: 'first', canCreateRooms: false } });
    const records = (await (await get('/admin/get-users')).json()) as Record<string, { canCreateRooms: boolean }>;
    let res = await post('/admin/update-users', { dave: { ...records.dave, canCreateRooms: true } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ updatedUsers: ['dave'], notUpdatedUsers: [] });
    expect(await (await get('/user/', basic('dave', 'first'))).json()).toEqual({ canCreateRooms: true });
    await post('/admin/update-users', { dave: { password: '', canCreateRooms: true } });
    expect((await get('/user/', basic('dave', 'first'))).status).toBe(200);
    await post('/admin/update-users', { dave: { password: 'second' } });
    expect((await get('/user/', basic('dave', 'first'))).status).toBe(401);
    expect(await (await get('/user/', basic('dave', 'second'))).json()).toEqual({ canCreateRooms: true });
    res = await post('/admin/update-users', { ghost: { password: 'x' } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ updatedUsers: [], notUpdatedUsers: ['ghost'] });
  });

  it('set-users replaces the users; known users without a password keep theirs', async () => {
    await post('/admin/add-users', { erin: { password: 'erin-pw', canCreateRooms: false }, frank: { password: 'frank-pw' } });
    let res = await post('/admin/set-users', { erin: { canCreateRooms: true }, gina: { password: 'gina-pw', canCreateRooms: false } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('user data set');
    const users = (await (await get('/admin/get-users')).json()) as Record<string, unknown>;
    expect(Object.keys(users).sort()).toEqual(['erin', 'gina']);
    expect(await (await get('/user/', basic('erin', 'erin-pw'))).json()).toEqual({ canCreateRooms: true });
    expect((await get('/user/', basic('frank', 'frank-pw'))).status).toBe(401);
    res = await post('/admin/set-users', { erin: {}, newbie: { canCreateRooms: true } });
    expect(res.status).toBe(400);
    expect(Object.keys((await (await get('/admin/get-users')).json()) as object).sort()).toEqual(['erin', 'gina']);
  });

  it('delete-users returns the deleted names; the user can no longer log in', async () => {
    await post('/admin/add-users', { hank: { password: 'hank-pw' } });
    const res = await post('/admin/delete-users', ['hank', 'nobody']);
    expect(await res.json()).toEqual(['hank']);
    expect((await get('/user/', basic('hank', 'hank-pw'))).status).toBe(401);
  });

  it('rejects malformed bodies with 400', async () => {
    expect((await post('/admin/add-users', ['x'])).status).toBe(400);
    expect((await post('/admin/add-users', { x: { password: 5 } })).status).toBe(400);
    expect((await post('/admin/update-users', 'text')).status).toBe(400);
    expect((await post('/admin/set-users', { x: 'y' })).status).toBe(400);
    expect((await post('/admin/delete-users', { name: 'x' })).status).toBe(400);
    const raw = await fetch(`${h.authUrl}/admin/add-users`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: '{not json' });
    expect(raw.status).toBe(400);
  });

  it('get-turn-credentials issues coturn REST credentials signed with the TURN secret', async () => {
    await post('/admin/add-users', { ivan: { password: 'ivan-pw', canCreateRooms: true } });
    const before = Math.floor(Date.now() / 1000);
    const res = await get('/user/get-turn-credentials', basic('ivan', 'ivan-pw'));
    expect(res.status).toBe(200);
    const { username, password } = (await res.json()) as { username: string; password: string };
    const [expiry, user] = username.split(':');
    expect(user).toBe('ivan');
    expect(Number(expiry) - before).toBeGreaterThanOrEqual(43200);
    expect(Number(expiry) - before).toBeLessThanOrEqual(43202);
    expect(password).toBe(createHmac('sha1', INCLUBIT_TURN_SECRET).update(username).digest('base64'));
  });

  it('is also served under /auth on the signaling port (as Caddy proxied it)', async () => {
    await post('/admin/add-users', { judy: { password: 'judy-pw' } });
    const res = await get('/auth/user/', basic('judy', 'judy-pw'), h.signalingUrl);
    expect(await res.json()).toEqual({ canCreateRooms: false });
    expect(await (await get('/auth/admin/', admin, h.signalingUrl)).text()).toBe('hello from admin. you passed');
  });

  it('counts parley_inclubit_* metrics', async () => {
    const text = await h.deps.registry.metrics();
    expect(text).toMatch(/parley_inclubit_events_total\{event="join",outcome="ok"\} \d+/);
    expect(text).toMatch(/parley_inclubit_auth_total\{area="user",result="denied"\} \d+/);
    expect(text).toMatch(/parley_inclubit_turn_credentials_total \d+/);
  });
});

describe('Inclubit auth API when the store fails', () => {
  it('answers with the original error strings', async () => {
    const store = createMemoryStore();
    const broken = await startInclubit(store);
    try {
      await store.close();
      const admin = { ...basic(ADMIN.user, ADMIN.password), 'content-type': 'application/json' };
      const call = async (path: string, body?: unknown) => {
        const res = await fetch(`${broken.authUrl}${path}`, body === undefined ? { headers: admin } : { method: 'POST', headers: admin, body: JSON.stringify(body) });
        return { status: res.status, text: await res.text() };
      };
      expect(await call('/admin/get-users')).toEqual({ status: 404, text: 'the resource was not found' });
      expect(await call('/admin/add-users', { x: { password: 'p' } })).toEqual({ status: 500, text: "couldn't create/write userdata" });
      expect(await call('/admin/set-users', { x: { password: 'p' } })).toEqual({ status: 500, text: "couldn't create/write userdata" });
      expect(await call('/admin/update-users', { x: { password: 'p' } })).toEqual({ status: 500, text: 'crash boom boom' });
      expect(await call('/admin/delete-users', ['x'])).toEqual({ status: 500, text: 'crash boom boom' });
      expect((await fetch(`${broken.authUrl}/user/`, { headers: basic('x', 'p') })).status).toBe(500);
    } finally {
      await broken.close();
    }
  });
});

describe('Inclubit auth API without admin credentials configured', () => {
  it('refuses every /admin request (no default password)', async () => {
    const bare = await startInclubit(createMemoryStore(), { PARLEY_INCLUBIT_ADMIN_USER: '', PARLEY_INCLUBIT_ADMIN_PASSWORD: '' });
    try {
      expect((await fetch(`${bare.authUrl}/admin/`, { headers: basic('admin', 'gunnarärbäst') })).status).toBe(401);
      expect((await fetch(`${bare.authUrl}/admin/`, { headers: basic('', '') })).status).toBe(401);
    } finally {
      await bare.close();
    }
  });
});
