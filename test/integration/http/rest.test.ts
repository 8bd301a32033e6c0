/**
 * Every REST route and its error paths, health, metrics and the OpenAPI document, against a whole
 * server on port 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, TestClient, type TestServer } from '../../helpers/server.js';

let server: TestServer;
let admin: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.token('admin', { roomCreate: true, roomList: true });
});
afterAll(async () => {
  await server.stop();
});

async function api(method: string, path: string, body?: unknown, token: string | null = admin) {
  const res = await fetch(`${server.url.replace('localhost', '127.0.0.1')}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

async function member(room: string, identity: string) {
  const c = await TestClient.connect(server.wsUrl);
  const data = await c.join(await server.token(identity, { room, roomJoin: true }));
  return { c, data };
}

describe('rooms', () => {
  it('creates, lists, gets, updates and deletes a room', async () => {
    const created = await api('POST', '/api/rooms', { name: 'standup', maxParticipants: 3, emptyTimeout: 60, metadata: 'daily' });
    expect(created.status).toBe(201);
    expect(created.body.room).toMatchObject({ name: 'standup', maxParticipants: 3, emptyTimeout: 60, metadata: 'daily', numParticipants: 0, origin: 'native' });
    expect((await api('POST', '/api/rooms', { name: 'standup' })).body).toMatchObject({ code: 'ROOM_EXISTS' });
    const list = await api('GET', '/api/rooms');
    expect((list.body.rooms as Array<{ name: string }>).map((r) => r.name)).toContain('standup');
    expect((await api('GET', '/api/rooms/standup')).body.room).toMatchObject({ name: 'standup' });
    const m = await member('standup', 'alice');
    const patched = await api('PATCH', '/api/rooms/standup', { metadata: 'weekly' });
    expect(patched.body.room).toMatchObject({ metadata: 'weekly', numParticipants: 1 });
    expect(await m.c.notification('room_updated')).toMatchObject({ room: { metadata: 'weekly' } });
    expect((await api('DELETE', '/api/rooms/standup')).status).toBe(200);
    expect(await m.c.notification('leave')).toMatchObject({ reason: 'room_deleted' });
    expect((await api('GET', '/api/rooms/standup')).body).toMatchObject({ code: 'ROOM_NOT_FOUND' });
    expect((await api('DELETE', '/api/rooms/standup')).status).toBe(404);
  });

  it('enforces maxParticipants of a created room', async () => {
    await api('POST', '/api/rooms', { name: 'tiny', maxParticipants: 1 });
    const a = await member('tiny', 'a');
    const c = await TestClient.connect(server.wsUrl);
    expect(await c.request({ type: 'join', token: await server.token('b', { room: 'tiny', roomJoin: true }) })).toMatchObject({ code: 'ROOM_FULL' });
    a.c.close();
    c.close();
  });

  it('rejects invalid bodies with VALIDATION and the field at fault, and bad JSON with BAD_JSON', async () => {
    const r1 = await api('POST', '/api/rooms', { name: 'has space' });
    expect(r1.status).toBe(400);
    expect(r1.body.code).toBe('VALIDATION');
    expect(String(r1.body.message)).toContain('name');
    const r2 = await api('POST', '/api/rooms', { name: 'x', maxParticipants: -1, bogus: 1 });
    expect(r2.body.code).toBe('VALIDATION');
    expect((r2.body.details as Array<{ path: string }>).map((d) => d.path)).toEqual(expect.arrayContaining(['maxParticipants']));
    const r3 = await api('POST', '/api/rooms', '{"name": ');
    expect(r3.status).toBe(400);
    expect(r3.body.code).toBe('BAD_JSON');
    expect((await api('GET', '/api/nowhere')).body).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('auth', () => {
  it('requires a valid token with the right grant', async () => {
    expect((await api('GET', '/api/rooms', undefined, null)).body).toMatchObject({ code: 'TOKEN_MISSING' });
    expect((await api('GET', '/api/rooms', undefined, 'garbage')).status).toBe(401);
    const joinOnly = await server.token('u', { room: 'r', roomJoin: true });
    const denied = await api('GET', '/api/rooms', undefined, joinOnly);
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('PERMISSION_DENIED');
    expect((await api('POST', '/api/rooms', { name: 'q' }, joinOnly)).status).toBe(403);
    // a roomAdmin token administers its own room only
    await api('POST', '/api/rooms', { name: 'mine' });
    await api('POST', '/api/rooms', { name: 'theirs' });
    const roomAdmin = await server.token('mod', { room: 'mine', roomAdmin: true });
    expect((await api('GET', '/api/rooms/mine/participants', undefined, roomAdmin)).status).toBe(200);
    expect((await api('GET', '/api/rooms/theirs/participants', undefined, roomAdmin)).status).toBe(403);
  });

  it('keeps the dev token endpoint off when API keys are configured', async () => {
    expect((await api('POST', '/api/dev/token', { room: 'r', name: 'n' }, null)).body).toMatchObject({ code: 'DEV_TOKENS_DISABLED' });
  });

  it('slows down and then refuses repeated auth failures from one address', async () => {
    const s = await startTestServer({ 'auth.failuresPerMinute': 2 });
    try {
      const base = `http://127.0.0.1:${s.port}`;
      const codes: string[] = [];
      const started = Date.now();
      for (let i = 0; i < 4; i++) codes.push(((await (await fetch(`${base}/api/rooms`, { headers: { authorization: 'Bearer bad' } })).json()) as { code: string }).code);
      expect(codes).toEqual(['TOKEN_INVALID', 'TOKEN_INVALID', 'TOKEN_INVALID', 'TOKEN_INVALID']);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250 + 500);
      let last = '';
      for (let i = 0; i < 8 && last !== 'AUTH_RATE_LIMITED'; i++) last = ((await (await fetch(`${base}/api/rooms`, { headers: { authorization: 'Bearer bad' } })).json()) as { code: string }).code;
      expect(last).toBe('AUTH_RATE_LIMITED');
    } finally {
      await s.stop();
    }
  }, 60_000);
});

describe('participants', () => {
  it('lists, gets, updates (live permissions), mutes and removes participants', async () => {
    await api('POST', '/api/rooms', { name: 'class' });
    const a = await member('class', 'teacher');
    const b = await member('class', 'student');
    const list = await api('GET', '/api/rooms/class/participants');
    expect((list.body.participants as Array<{ identity: string }>).map((p) => p.identity).sort()).toEqual(['student', 'teacher']);
    expect((await api('GET', '/api/rooms/class/participants/student')).body.participant).toMatchObject({ identity: 'student' });
    expect((await api('GET', '/api/rooms/class/participants/nobody')).body).toMatchObject({ code: 'PARTICIPANT_NOT_FOUND' });

    const { track } = await b.c.ok<{ track: { sid: string } }>({ type: 'publish_track', cid: 'cam', kind: 'video', source: 'camera' });
    const muted = await api('POST', `/api/rooms/class/participants/student/tracks/${track.sid}/mute`, { muted: true });
    expect(muted.body.track).toMatchObject({ muted: true });
    expect(await b.c.notification('track_muted')).toMatchObject({ trackSid: track.sid, muted: true });
    expect(await a.c.notification('track_muted')).toMatchObject({ trackSid: track.sid, muted: true });

    const upd = await api('PATCH', '/api/rooms/class/participants/student', { metadata: 'row 2', permissions: { canPublish: false } });
    expect(upd.body.participant).toMatchObject({ metadata: 'row 2', permissions: { canPublish: false }, tracks: [] });
    expect(await a.c.notification('track_unpublished')).toMatchObject({ trackSid: track.sid });
    expect(await b.c.request({ type: 'publish_track', cid: 'cam2', kind: 'video' })).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((await api('PATCH', '/api/rooms/class/participants/student', { permissions: { canFly: true } })).body).toMatchObject({ code: 'VALIDATION' });

    expect((await api('DELETE', '/api/rooms/class/participants/student')).status).toBe(200);
    expect(await b.c.notification('leave')).toMatchObject({ reason: 'removed' });
    expect(await a.c.notification('participant_left')).toMatchObject({ identity: 'student', reason: 'removed' });
    a.c.close();
  });

  it('sends a data message to the room or to chosen identities, from the server', async () => {
    await api('POST', '/api/rooms', { name: 'news' });
    const a = await member('news', 'a');
    const b = await member('news', 'b');
    expect((await api('POST', '/api/rooms/news/data', { payload: { alert: 1 }, topic: 'ops' })).body).toEqual({ reached: 2 });
    expect(await a.c.notification('data')).toMatchObject({ from: null, topic: 'ops', payload: { alert: 1 } });
    expect(await b.c.notification('data')).toMatchObject({ from: null, payload: { alert: 1 } });
    expect((await api('POST', '/api/rooms/news/data', { payload: 'to-b', to: ['b'] })).body).toEqual({ reached: 1 });
    expect(await b.c.notification('data')).toMatchObject({ payload: 'to-b' });
    expect((await api('POST', '/api/rooms/news/data', { topic: 'x' })).body).toMatchObject({ code: 'VALIDATION' });
    expect((await api('POST', '/api/rooms/news/data', { payload: 1, to: ['ghost'] })).body).toMatchObject({ code: 'PARTICIPANT_NOT_FOUND' });
    a.c.close();
    b.c.close();
  });
});

describe('operations', () => {
  it('serves health, readiness, Prometheus metrics and the OpenAPI document', async () => {
    expect((await api('GET', '/healthz', undefined, null)).body).toMatchObject({ status: 'ok' });
    expect((await api('GET', '/readyz', undefined, null)).body).toMatchObject({ status: 'ready' });
    const m = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(m.headers.get('content-type')).toContain('text/plain');
    const text = await m.text();
    expect(text).toMatch(/^parley_rooms_active \d+/m);
    expect(text).toMatch(/^parley_participants_active \d+/m);
    expect(text).toContain('parley_http_requests_total');
    const names = [...text.matchAll(/^# TYPE (\S+)/gm)].map((x) => x[1]!);
    expect(names.every((n) => n.startsWith('parley_'))).toBe(true);
    const doc = (await api('GET', '/api/openapi.json', undefined, null)).body as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/rooms', '/api/rooms/{room}/participants/{identity}', '/api/ice-servers']));
    expect(doc.paths['/api/rooms']).toHaveProperty('post.requestBody');
  });

  it('GET /api/ice-servers needs a token', async () => {
    expect((await api('GET', '/api/ice-servers', undefined, null)).status).toBe(401);
    const r = await api('GET', '/api/ice-servers', undefined, await server.token('u', { room: 'r', roomJoin: true }));
    expect(r.status).toBe(200);
    expect(r.body).toHaveProperty('iceServers');
  });
});

describe('persistence', () => {
  it('keeps REST-created rooms across a restart, and the generated dev key pair', async () => {
    const dataDir = server.dataDir;
    await api('POST', '/api/rooms', { name: 'durable', metadata: 'kept' });
    await server.close();
    const again = await startTestServer({}, { dataDir });
    try {
      expect(again.rooms.get('durable')?.info()).toMatchObject({ name: 'durable', metadata: 'kept' });
    } finally {
      await again.close();
    }
    server = await startTestServer({}, { dataDir });
  });

  it('generates a development key pair once and enables the dev token endpoint', async () => {
    const s = await startTestServer({}, { env: { PARLEY_TURN_ENABLED: 'false' } });
    try {
      expect(s.devMode).toBe(true);
      const res = await fetch(`http://127.0.0.1:${s.port}/api/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ room: 'demo', name: 'Ann' }) });
      const body = (await res.json()) as { token: string; url: string };
      expect(body.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/rtc$/);
      const c = await TestClient.connect(s.wsUrl);
      expect((await c.join(body.token)).participant.name).toBe('Ann');
      c.close();
      const key = s.keys.primary.key;
      await s.close();
      const s2 = await startTestServer({}, { env: { PARLEY_TURN_ENABLED: 'false' }, dataDir: s.dataDir });
      expect(s2.keys.primary.key).toBe(key);
      await s2.stop();
    } finally {
      await s.close();
    }
  });
});
