/**
 * Every native signaling message and error path, against a whole server on port 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { startTestServer, TestClient, type TestServer, API_KEY } from '../../helpers/server.js';

let server: TestServer;
let room = 0;
const nextRoom = () => `room-${++room}`;

beforeAll(async () => {
  // P2P rooms: this file covers the protocol common to both room types and the mesh relay;
  // SFU rooms are covered in test/integration/sfu/
  server = await startTestServer({ 'signaling.resumeGrace': 2, 'rooms.defaultType': 'p2p', 'rooms.maxParticipants': 3, 'signaling.maxMessagesPerSecond': 50 });
});
afterAll(async () => {
  await server.stop();
});

async function joined(roomName: string, identity: string, grants: Record<string, unknown> = {}) {
  const c = await TestClient.connect(server.wsUrl);
  const data = await c.join(await server.token(identity, { room: roomName, roomJoin: true, ...grants }, { name: identity.toUpperCase() }));
  return { c, data };
}

describe('join', () => {
  it('joins with a token and sees the others; the others see it join', async () => {
    const r = nextRoom();
    const a = await joined(r, 'alice');
    expect(a.data.room.name).toBe(r);
    expect(a.data.participant.identity).toBe('alice');
    expect(a.data.participant.name).toBe('ALICE');
    expect(a.data.participants).toEqual([]);
    expect(a.data.resumeToken.length).toBeGreaterThan(16);
    const b = await joined(r, 'bob');
    expect(b.data.participants.map((p) => p.identity)).toEqual(['alice']);
    const note = await a.c.notification('participant_joined');
    expect((note.participant as { identity: string }).identity).toBe('bob');
    expect(note.seq).toBe(1);
    a.c.close();
    b.c.close();
  });

  it('refuses a missing, malformed, wrongly signed, expired or unknown-key token with coded errors', async () => {
    const c = await TestClient.connect(server.wsUrl);
    expect(await c.request({ type: 'join', token: '' })).toMatchObject({ type: 'error', code: 'BAD_MESSAGE' });
    expect(await c.request({ type: 'join', token: 'not-a-jwt' })).toMatchObject({ type: 'error', code: 'TOKEN_INVALID' });
    const forged = await new SignJWT({ grants: { room: 'x', roomJoin: true } }).setProtectedHeader({ alg: 'HS256' }).setIssuer(API_KEY).setSubject('eve').setExpirationTime('1h').sign(new TextEncoder().encode('wrong-secret-wrong-secret-wrong-secret'));
    expect(await c.request({ type: 'join', token: forged })).toMatchObject({ type: 'error', code: 'TOKEN_INVALID' });
    const unknownKey = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('APInobody').setSubject('eve').setExpirationTime('1h').sign(new TextEncoder().encode('x'.repeat(40)));
    expect(await c.request({ type: 'join', token: unknownKey })).toMatchObject({ type: 'error', code: 'TOKEN_UNKNOWN_KEY' });
    const expired = await server.token('eve', { room: 'x', roomJoin: true }, { ttlSeconds: 1 });
    const expiredLongAgo = await new SignJWT({ grants: { room: 'x', roomJoin: true } }).setProtectedHeader({ alg: 'HS256' }).setIssuer(API_KEY).setSubject('eve').setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(new TextEncoder().encode((await import('../../helpers/server.js')).API_SECRET));
    expect(await c.request({ type: 'join', token: expiredLongAgo })).toMatchObject({ type: 'error', code: 'TOKEN_EXPIRED' });
    expect(expired).toBeTruthy();
    // the connection still works after every failure
    expect(await c.request({ type: 'ping', ts: 5 })).toMatchObject({ type: 'pong', ts: 5 });
    c.close();
  });

  it('refuses a token without roomJoin, and a room that does not exist when creation is not allowed', async () => {
    const c = await TestClient.connect(server.wsUrl);
    expect(await c.request({ type: 'join', token: await server.token('x', { room: 'r', canPublish: true }) })).toMatchObject({ code: 'PERMISSION_DENIED' });
    c.close();
  });

  it('refuses a join to a full room, but lets the same identity replace its old connection', async () => {
    const r = nextRoom();
    const a = await joined(r, 'a');
    const b = await joined(r, 'b');
    const c3 = await joined(r, 'c');
    const d = await TestClient.connect(server.wsUrl);
    const full = await d.request({ type: 'join', token: await server.token('d', { room: r, roomJoin: true }) });
    expect(full).toMatchObject({ type: 'error', code: 'ROOM_FULL' });
    // hidden participants (recorders) do not count
    const hidden = await d.request({ type: 'join', token: await server.token('rec', { room: r, roomJoin: true, hidden: true }) });
    expect(hidden.type).toBe('response');
    // same identity again: the old connection is told and closed, the others see leave+join
    const b2 = await joined(r, 'b');
    const leave = await b.c.notification('leave');
    expect(leave.reason).toBe('duplicate_identity');
    expect((await b.c.closed).code).toBe(1000);
    const left = await a.c.notification('participant_left');
    expect(left).toMatchObject({ identity: 'b', reason: 'duplicate_identity' });
    const rejoined = await a.c.next((f) => f.type === 'participant_joined' && (f.participant as { sid: string }).sid === b2.data.participant.sid);
    expect((rejoined.participant as { identity: string }).identity).toBe('b');
    // nobody saw the hidden participant
    expect(a.c.frames.some((f) => JSON.stringify(f).includes('"rec"'))).toBe(false);
    for (const x of [a.c, b2.c, c3.c, d]) x.close();
  });

  it('answers requests before join with NOT_JOINED, and a second join with ALREADY_JOINED', async () => {
    const c = await TestClient.connect(server.wsUrl);
    for (const type of ['leave', 'ice_servers']) expect(await c.request({ type })).toMatchObject({ code: 'NOT_JOINED' });
    expect(await c.request({ type: 'data', payload: 1 })).toMatchObject({ code: 'NOT_JOINED' });
    const r = nextRoom();
    await c.join(await server.token('z', { room: r, roomJoin: true }));
    expect(await c.request({ type: 'join', token: await server.token('z', { room: r, roomJoin: true }) })).toMatchObject({ code: 'ALREADY_JOINED' });
    c.close();
  });

  it('refuses an unsupported protocol version', async () => {
    const c = await TestClient.connect(server.wsUrl);
    expect(await c.request({ type: 'join', protocol: 2, token: await server.token('v', { room: nextRoom(), roomJoin: true }) })).toMatchObject({ code: 'UNSUPPORTED_VERSION' });
    c.close();
  });
});

describe('bad input', () => {
  it('answers malformed JSON, unknown types, invalid fields, binary and oversize frames with coded errors and keeps the connection', async () => {
    const c = await TestClient.connect(server.wsUrl);
    c.sendRaw('{not json');
    expect(await c.next((f) => f.type === 'error')).toMatchObject({ code: 'BAD_JSON' });
    expect(await c.request({ type: 'teleport' })).toMatchObject({ code: 'UNKNOWN_TYPE' });
    expect(await c.request({ type: 'signal', to: 5 })).toMatchObject({ code: 'BAD_MESSAGE' });
    const bad = await c.request({ type: 'publish_track', cid: 'x', kind: 'hologram' });
    expect(bad.code).toBe('BAD_MESSAGE');
    expect(bad.message).toContain('kind');
    c.sendRaw(Buffer.from([1, 2, 3]));
    expect(await c.next((f) => f.type === 'error')).toMatchObject({ code: 'BAD_MESSAGE' });
    c.sendRaw(JSON.stringify({ type: 'data', payload: 'x'.repeat(70 * 1024) }));
    expect(await c.next((f) => f.type === 'error')).toMatchObject({ code: 'FRAME_TOO_LARGE' });
    expect(await c.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    c.close();
  });

  it('drops requests beyond the per-connection rate with RATE_LIMITED, then serves again', async () => {
    const c = await TestClient.connect(server.wsUrl);
    for (let i = 0; i < 150; i++) c.sendRaw(JSON.stringify({ type: 'ping', id: `p${i}` }));
    await c.next((f) => f.id === 'p149' || (f.type === 'error' && f.code === 'RATE_LIMITED'));
    await new Promise((r) => setTimeout(r, 300));
    const limited = c.frames.filter((f) => f.type === 'error' && f.code === 'RATE_LIMITED').length + 1;
    const pongs = c.frames.filter((f) => f.type === 'pong').length;
    expect(limited).toBeGreaterThanOrEqual(30); // burst of 100, then 50/s
    expect(pongs + limited).toBe(150);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await c.request({ type: 'ping' })).toMatchObject({ type: 'pong' });
    c.close();
  });

  it('closes the connection (1009) on a frame far beyond the limit', async () => {
    const c = await TestClient.connect(server.wsUrl);
    c.sendRaw('x'.repeat(64 * 1024 * 4 + 10));
    expect((await c.closed).code).toBe(1009);
  });
});

describe('tracks, signals and data', () => {
  it('announces published, muted and unpublished tracks to the others', async () => {
    const r = nextRoom();
    const a = await joined(r, 'a');
    const b = await joined(r, 'b');
    const { track } = await a.c.ok<{ track: { sid: string; cid: string; kind: string; source: string } }>({ type: 'publish_track', cid: 'cam-1', kind: 'video', source: 'camera', width: 640, height: 480 });
    expect(track).toMatchObject({ cid: 'cam-1', kind: 'video', source: 'camera' });
    expect(await b.c.notification('track_published')).toMatchObject({ participantSid: a.data.participant.sid, track: { sid: track.sid, width: 640 } });
    await a.c.ok({ type: 'mute_track', trackSid: track.sid, muted: true });
    expect(await b.c.notification('track_muted')).toMatchObject({ trackSid: track.sid, muted: true });
    expect(await a.c.request({ type: 'mute_track', trackSid: 'TR_nope', muted: true })).toMatchObject({ code: 'TRACK_NOT_FOUND' });
    await a.c.ok({ type: 'unpublish_track', trackSid: track.sid });
    expect(await b.c.notification('track_unpublished')).toMatchObject({ trackSid: track.sid });
    // a late joiner sees current tracks in the join response
    await a.c.ok({ type: 'publish_track', cid: 'mic', kind: 'audio', source: 'microphone' });
    const c3 = await joined(r, 'c');
    expect(c3.data.participants.find((p) => p.identity === 'a')?.tracks).toHaveLength(1);
    for (const x of [a.c, b.c, c3.c]) x.close();
  });

  it('refuses publishing without canPublish and data without canPublishData', async () => {
    const r = nextRoom();
    const a = await joined(r, 'viewer', { canPublish: false, canPublishData: false });
    expect(await a.c.request({ type: 'publish_track', cid: 'x', kind: 'video' })).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await a.c.request({ type: 'data', payload: 'hi' })).toMatchObject({ code: 'PERMISSION_DENIED' });
    a.c.close();
  });

  it('relays offer, answer and candidates to the addressed participant only, stamped with the sender', async () => {
    const r = nextRoom();
    const a = await joined(r, 'a');
    const b = await joined(r, 'b');
    const c3 = await joined(r, 'c');
    await a.c.ok({ type: 'signal', to: b.data.participant.sid, payload: { kind: 'offer', sdp: 'v=0 offer' } });
    expect(await b.c.notification('signal')).toMatchObject({ from: a.data.participant.sid, payload: { kind: 'offer', sdp: 'v=0 offer' } });
    await b.c.ok({ type: 'signal', to: a.data.participant.sid, payload: { kind: 'answer', sdp: 'v=0 answer' } });
    expect(await a.c.notification('signal')).toMatchObject({ from: b.data.participant.sid, payload: { kind: 'answer' } });
    await a.c.ok({ type: 'signal', to: b.data.participant.sid, payload: { kind: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 1.2.3.4 5 typ host', sdpMid: '0', sdpMLineIndex: 0 } } });
    await a.c.ok({ type: 'signal', to: b.data.participant.sid, payload: { kind: 'candidate', candidate: null } });
    expect((await b.c.notification('signal')).payload).toMatchObject({ kind: 'candidate' });
    expect((await b.c.notification('signal')).payload).toEqual({ kind: 'candidate', candidate: null });
    expect(await a.c.request({ type: 'signal', to: 'PA_nobody', payload: { kind: 'offer', sdp: 'x' } })).toMatchObject({ code: 'PARTICIPANT_NOT_FOUND' });
    expect(c3.c.frames.some((f) => f.type === 'signal')).toBe(false);
    for (const x of [a.c, b.c, c3.c]) x.close();
  });

  it('delivers data to the room or chosen participants in order, with a server-stamped sender', async () => {
    const r = nextRoom();
    const a = await joined(r, 'a');
    const b = await joined(r, 'b');
    const c3 = await joined(r, 'c');
    for (let i = 0; i < 20; i++) a.c.sendRaw(JSON.stringify({ type: 'data', topic: 'chat', payload: { i, from: 'forged' } }));
    expect(await a.c.ok({ type: 'data', to: [c3.data.participant.sid], payload: 'only-c' })).toEqual({ reached: 1 });
    const got: number[] = [];
    for (let i = 0; i < 20; i++) {
      const f = await b.c.notification('data');
      expect(f.from).toEqual({ sid: a.data.participant.sid, identity: 'a' });
      expect(f.topic).toBe('chat');
      got.push((f.payload as { i: number }).i);
    }
    expect(got).toEqual([...Array(20).keys()]);
    const onlyC = await c3.c.next((f) => f.type === 'data' && f.payload === 'only-c');
    expect(onlyC.from).toMatchObject({ identity: 'a' });
    expect(b.c.frames.some((f) => f.payload === 'only-c')).toBe(false);
    expect(a.c.frames.some((f) => f.type === 'data')).toBe(false);
    for (const x of [a.c, b.c, c3.c]) x.close();
  });

  it('updates name and metadata and tells everyone', async () => {
    const r = nextRoom();
    const a = await joined(r, 'a');
    const b = await joined(r, 'b');
    const { participant } = await a.c.ok<{ participant: { name: string; metadata: string } }>({ type: 'update_participant', name: 'Alice A.', metadata: '{"hand":true}' });
    expect(participant).toMatchObject({ name: 'Alice A.', metadata: '{"hand":true}' });
    expect(await b.c.notification('participant_updated')).toMatchObject({ participant: { identity: 'a', name: 'Alice A.' } });
    a.c.close();
    b.c.close();
  });

  it('answers ice_servers and ping', async () => {
    const a = await joined(nextRoom(), 'a');
    expect(await a.c.ok({ type: 'ice_servers' })).toHaveProperty('iceServers');
    expect(await a.c.request({ type: 'ping', ts: 42 })).toMatchObject({ type: 'pong', ts: 42 });
    a.c.close();
  });
});

describe('leave and resume', () => {
  it('leave tells the others at once', async () => {
    const r = nextRoom();
    const a = await joined(r, 'a');
    const b = await joined(r, 'b');
    await b.c.ok({ type: 'leave' });
    expect(await a.c.notification('participant_left')).toMatchObject({ identity: 'b', reason: 'left' });
    expect(await b.c.request({ type: 'data', payload: 1 })).toMatchObject({ code: 'NOT_JOINED' });
    a.c.close();
    b.c.close();
  });

  it('a dropped connection resumes within the grace period without the others seeing a leave, and gets what it missed', async () => {
    const r = nextRoom();
    const a = await joined(r, 'a');
    const b = await joined(r, 'b');
    await a.c.notification('participant_joined');
    const lastSeq = Math.max(0, ...b.c.frames.map((f) => f.seq ?? 0));
    b.c.kill();
    await a.c.ok({ type: 'data', payload: 'while-away' });
    const b2 = await TestClient.connect(server.wsUrl);
    const resumed = await b2.ok<{ participant: { sid: string } }>({ type: 'resume', participantSid: b.data.participant.sid, resumeToken: b.data.resumeToken, lastSeq });
    expect(resumed.participant.sid).toBe(b.data.participant.sid);
    expect(await b2.next((f) => f.type === 'data')).toMatchObject({ payload: 'while-away' });
    await b2.ok({ type: 'data', payload: 'back' });
    expect(await a.c.next((f) => f.type === 'data')).toMatchObject({ payload: 'back' });
    await new Promise((r2) => setTimeout(r2, 2500)); // past the 2 s grace: still no leave
    expect(a.c.frames.some((f) => f.type === 'participant_left')).toBe(false);
    a.c.close();
    b2.close();
  });

  it('without a resume, the others see the participant leave after the grace period', async () => {
    const r = nextRoom();
    const a = await joined(r, 'a');
    const b = await joined(r, 'b');
    b.c.kill();
    const started = Date.now();
    expect(await a.c.notification('participant_left', 6000)).toMatchObject({ identity: 'b', reason: 'disconnected' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    a.c.close();
  });

  it('refuses a resume with a wrong token', async () => {
    const r = nextRoom();
    const a = await joined(r, 'a');
    const c = await TestClient.connect(server.wsUrl);
    expect(await c.request({ type: 'resume', participantSid: a.data.participant.sid, resumeToken: 'x'.repeat(32) })).toMatchObject({ code: 'RESUME_FAILED' });
    a.c.close();
    c.close();
  });
});
