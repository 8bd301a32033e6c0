/**
 * The JSONgle dialect driven by socket.io-client 4 (and a socket.io 2 client for allowEIO3):
 * every flow of docs/dialects/jsongle.md, every error code, the connect-time refusals, the REST
 * monitoring API, and hostile input.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { action, JClient, SERVER_ID, startJsongle, type JsongleFixture, type Msg } from './jsongle-harness.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let fx: JsongleFixture;
const clients: JClient[] = [];
let ridSeq = 0;
const rid = (prefix = 'room') => `${prefix}-${++ridSeq}`;

async function client(uid: string): Promise<JClient> {
  const c = await JClient.identified(fx.wsUrl, uid);
  clients.push(c);
  return c;
}

/** Two identified clients in one P2P room. */
async function pair(): Promise<{ a: JClient; b: JClient; room: string }> {
  const room = rid();
  const a = await client('alice');
  const b = await client('bob');
  await a.join(room);
  await b.join(room);
  await a.next(action('session-event', (m) => m.jsongle['event'] === 'joined'));
  return { a, b, room };
}

async function stats(): Promise<Record<string, number>> {
  return (await (await fetch(`${fx.restUrl}/stats`)).json()) as Record<string, number>;
}

beforeAll(async () => {
  fx = await startJsongle({ maxMembersPerMultiRoom: 3, maxUsers: 50 });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await fx.close();
});

describe('session-hello', () => {
  it('sends an iq-get session-hello on connect and acknowledges the answer', async () => {
    const c = await JClient.connect(fx.wsUrl);
    clients.push(c);
    expect(c.jid).toBe(c.socket.id);
    c.send({ to: SERVER_ID, jsongle: { action: 'iq-result', query: 'session-hello', transaction: c.helloTransaction, description: { uid: 'user_7000', dn: 'Jon Doe' } } });
    const ack = await c.next(action('ack'));
    expect(ack).toMatchObject({ from: SERVER_ID, to: c.jid, jsongle: { action: 'ack', status: 'success', transaction: c.helloTransaction } });
    expect(ack.id).toBeTypeOf('string');
  });

  it('has the original hello shape', async () => {
    const { io } = await import('socket.io-client');
    const s = io(fx.wsUrl, { forceNew: true, reconnection: false, transports: ['websocket'] });
    const hello = await new Promise<Msg>((resolve) => s.on('jsongle', resolve));
    const socketId = s.id;
    s.close();
    expect(hello).toMatchObject({ from: SERVER_ID, to: socketId, jsongle: { action: 'iq-get', query: 'session-hello' } });
    expect(hello.id).toBeTypeOf('string');
    expect(hello.jsongle['transaction']).toBeTypeOf('string');
    expect(hello.jsongle.description).toMatchObject({ version: '2.0.2', sn: SERVER_ID, info: 'JSONgle Server for WebRTC signaling protocol' });
    expect(String(hello.jsongle.description?.['connected'])).toMatch(ISO);
  });

  it('answers a hello without uid with a failed ack and session-error 400001, then accepts a good one', async () => {
    const c = await JClient.connect(fx.wsUrl);
    clients.push(c);
    c.send({ to: SERVER_ID, jsongle: { action: 'iq-result', query: 'session-hello', transaction: c.helloTransaction, description: { dn: 'no uid' } } });
    expect((await c.next(action('ack'))).jsongle).toMatchObject({ status: 'failed', transaction: c.helloTransaction });
    expect((await c.error()).jsongle.description).toEqual({ errorCode: 400001, errorDetails: "Missing 'uid' parameter" });

    c.send({ to: SERVER_ID, jsongle: { action: 'iq-result', query: 'session-hello', transaction: c.helloTransaction } });
    expect((await c.next(action('ack'))).jsongle['status']).toBe('failed');
    expect((await c.error()).jsongle.description?.errorDetails).toBe("Missing 'uid' parameter");

    c.send({ to: SERVER_ID, jsongle: { action: 'iq-result', query: 'session-hello', transaction: 't', description: { uid: { nested: true } } } });
    expect((await c.next(action('ack'))).jsongle['status']).toBe('failed');
    expect((await c.error()).jsongle.description).toMatchObject({ errorCode: 400001, errorDetails: expect.stringContaining("'description.uid'") });

    c.send({ to: SERVER_ID, jsongle: { action: 'iq-result', query: 'session-hello', transaction: 't2', description: { uid: 'u2' } } });
    expect((await c.next(action('ack'))).jsongle).toMatchObject({ status: 'success', transaction: 't2' });
  });

  it('requires the hello before any other request (403002)', async () => {
    const c = await JClient.connect(fx.wsUrl);
    clients.push(c);
    c.send({ to: SERVER_ID, jsongle: { action: 'iq-set', query: 'session-join', transaction: 'x', description: { rid: 'r' } } });
    const err = await c.error();
    expect(err).toMatchObject({ from: SERVER_ID, to: c.jid });
    expect(err.jsongle.description).toEqual({ errorCode: 403002, errorDetails: 'session-hello message was not received or was not complete' });
    c.send({ to: 'r', jsongle: { action: 'session-text', description: { content: 'hi' } } });
    expect((await c.error()).jsongle.description?.errorCode).toBe(403002);
  });
});

describe('rooms', () => {
  it('session-join: iq-result with the members, joined notices, Parley room, full room 403001', async () => {
    const room = rid();
    const a = await client('alice');
    const b = await client('bob');
    const c = await client('carol');

    const first = await a.join(room);
    expect(first).toMatchObject({ from: SERVER_ID, to: a.jid, jsongle: { action: 'iq-result', query: 'session-join', description: { members: [], rid: room } } });

    const second = await b.join(room);
    expect(second.jsongle.description).toEqual({ members: [{ uid: 'alice', dn: 'User alice' }], rid: room });
    const joined = await a.next(action('session-event'));
    expect(joined).toMatchObject({ from: SERVER_ID, to: a.jid, jsongle: { namespace: 'room', event: 'joined', description: { member: { uid: 'bob', dn: 'User bob' }, rid: room } } });

    const third = await c.join(room);
    expect(third.jsongle).toMatchObject({ action: 'iq-error', query: 'session-join', description: { errorCode: 403001, errorDetails: 'Max number of members per room already reached' } });

    const parleyRoom = fx.deps.rooms.get(`jsongle:${room}`);
    expect(parleyRoom?.info()).toMatchObject({ origin: 'jsongle', numParticipants: 2, maxParticipants: 2 });
    expect([...(parleyRoom?.participants.values() ?? [])].map((p) => p.identity).sort()).toEqual([a.jid, b.jid].sort());
    expect(fx.events.some((e) => e.type === 'participant_joined' && e.room.name === `jsongle:${room}` && e.participant.identity === b.jid)).toBe(true);

    // joining again is idempotent: same answer, no notice
    expect((await b.join(room)).jsongle.description).toEqual({ members: [{ uid: 'alice', dn: 'User alice' }], rid: room });
  });

  it('muc-join: muc notices and the multi room limit', async () => {
    const room = rid('#muc#');
    const [a, b, c, d] = await Promise.all(['m1', 'm2', 'm3', 'm4'].map(client));
    await a!.join(room, 'muc-join');
    await b!.join(room, 'muc-join');
    expect((await a!.next(action('session-event'))).jsongle).toMatchObject({ namespace: 'muc', event: 'joined', description: { member: { uid: 'm2' }, rid: room } });
    const third = await c!.join(room, 'muc-join');
    expect(third.jsongle).toMatchObject({ action: 'iq-result', query: 'muc-join' });
    expect((third.jsongle.description?.['members'] as unknown[]).length).toBe(2);
    const fourth = await d!.join(room, 'muc-join');
    expect(fourth.jsongle).toMatchObject({ action: 'iq-error', description: { errorCode: 403001, errorDetails: 'Max number of members per multi room already reached' } });
  });

  it('caps the rooms one connection may be in (403001)', async () => {
    const a = await client('collector');
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => a.join(`#muc#many-${i}`, 'muc-join')));
    expect(answers.every((m) => m.jsongle.action === 'iq-result')).toBe(true);
    expect((await a.join('#muc#one-too-many', 'muc-join')).jsongle).toMatchObject({ action: 'iq-error', description: { errorCode: 403001, errorDetails: 'Max number of rooms per user already reached (50)' } });
    await a.leave('#muc#many-0');
    expect((await a.join('#muc#one-too-many', 'muc-join')).jsongle.action).toBe('iq-result');
  });

  it('session-leave: left notice to the others, iq-result to the leaver, 404002 when not a member', async () => {
    const { a, b, room } = await pair();
    const left = await b.leave(room);
    expect(left.jsongle).toMatchObject({ action: 'iq-result', query: 'session-leave', description: { rid: room } });
    expect((await a.next(action('session-event'))).jsongle).toMatchObject({ namespace: 'room', event: 'left', description: { member: { uid: 'bob' }, rid: room } });
    expect(fx.events.some((e) => e.type === 'participant_left' && e.participant.identity === b.jid && e.reason === 'left')).toBe(true);

    expect((await b.leave(room)).jsongle).toMatchObject({ action: 'iq-error', description: { errorCode: 404002, errorDetails: `Not member of room ${room}` } });
    expect((await b.leave('#muc#nowhere')).jsongle.description).toEqual({ errorCode: 404002, errorDetails: 'Not member of multiroom #muc#nowhere' });
  });

  it('iq-set errors: missing or invalid rid (400001), unknown query (404001), missing query (400001)', async () => {
    const a = await client('alice');
    a.send({ to: SERVER_ID, jsongle: { action: 'iq-set', query: 'session-join', transaction: 't1' } });
    expect((await a.next((m) => m.jsongle['transaction'] === 't1')).jsongle).toMatchObject({ action: 'iq-error', description: { errorCode: 400001, errorDetails: "Missing 'rid' parameter" } });
    a.send({ to: SERVER_ID, jsongle: { action: 'iq-set', query: 'muc-join', transaction: 't2', description: { rid: 42 } } });
    expect((await a.next((m) => m.jsongle['transaction'] === 't2')).jsongle.description).toMatchObject({ errorCode: 400001, errorDetails: expect.stringContaining("'description.rid'") });
    a.send({ to: SERVER_ID, jsongle: { action: 'iq-set', query: 'session-leave', transaction: 't3', description: {} } });
    expect((await a.next((m) => m.jsongle['transaction'] === 't3')).jsongle.description).toEqual({ errorCode: 400001, errorDetails: "Missing 'rid' parameter" });
    a.send({ to: SERVER_ID, jsongle: { action: 'iq-set', query: 'session-dance', transaction: 't4' } });
    expect((await a.next((m) => m.jsongle['transaction'] === 't4')).jsongle).toMatchObject({ action: 'iq-error', query: 'session-dance', description: { errorCode: 404001, errorDetails: "The query 'session-dance' is not supported" } });
    a.send({ to: SERVER_ID, jsongle: { action: 'iq-set', transaction: 't5' } });
    expect((await a.next((m) => m.jsongle['transaction'] === 't5')).jsongle.description).toEqual({ errorCode: 400001, errorDetails: "Missing 'query' parameter" });
  });

  it('tells the others when a member disconnects', async () => {
    const { a, b, room } = await pair();
    b.close();
    expect((await a.next(action('session-event'))).jsongle).toMatchObject({ event: 'left', namespace: 'room', description: { member: { uid: 'bob' }, rid: room } });
    expect(fx.deps.rooms.get(`jsongle:${room}`)?.participants.size).toBe(1);
    expect(fx.events.some((e) => e.type === 'participant_left' && e.participant.identity === b.jid && e.reason === 'disconnected')).toBe(true);
  });

  it('announces a member removed through the admin API like a leave', async () => {
    const { a, b, room } = await pair();
    const parleyRoom = fx.deps.rooms.require(`jsongle:${room}`);
    const bob = parleyRoom.findByIdentity(b.jid);
    expect(bob).toBeDefined();
    fx.deps.rooms.remove(bob!);
    expect((await a.next(action('session-event'))).jsongle).toMatchObject({ event: 'left', description: { member: { uid: 'bob' }, rid: room } });
    b.send({ to: room, jsongle: { action: 'session-text', description: { content: 'still here?' } } });
    expect((await b.error()).jsongle.description).toEqual({ errorCode: 404002, errorDetails: `Can't call - not in room ${room}` });
  });
});

describe('relay', () => {
  const CALL = ['session-info', 'session-proceed', 'session-initiate', 'transport-info', 'session-accept', 'session-decline', 'session-retract', 'session-terminate'];

  it('relays session-propose with stamps and answers trying', async () => {
    const { a, b, room } = await pair();
    const sent = new Date().toJSON();
    a.send({ to: room, namespace: 'call', jsongle: { sid: 'call-1', action: 'session-propose', reason: '', initiator: a.jid, responder: room, description: { initiated: sent, media: 'video', sent } } });
    const got = await b.next(action('session-propose'));
    expect(got).toMatchObject({ from: room, to: b.jid, namespace: 'call', jsongle: { sid: 'call-1', initiator: a.jid, responder: room, description: { initiated: sent, media: 'video', sent } } });
    expect(String(got.jsongle.description?.['relayed'])).toMatch(ISO);
    const trying = await a.next(action('session-info'));
    expect(trying).toMatchObject({ from: SERVER_ID, to: a.jid, jsongle: { sid: 'call-1', reason: 'trying', initiator: a.jid, responder: room } });
    expect(String(trying.jsongle.description?.['tried'])).toMatch(ISO);
  });

  it.each(CALL)('relays %s with sent and relayed stamps', async (act) => {
    const { a, b, room } = await pair();
    b.send({ to: room, namespace: 'call', jsongle: { sid: 'call-2', action: act, reason: act === 'session-info' ? 'ringing' : '', initiator: a.jid, responder: room, description: { payload: act } } });
    const got = await a.next(action(act));
    expect(got).toMatchObject({ from: room, to: a.jid, jsongle: { sid: 'call-2', description: { payload: act } } });
    expect(String(got.jsongle.description?.['sent'])).toMatch(ISO);
    expect(String(got.jsongle.description?.['relayed'])).toMatch(ISO);
  });

  it('relays a message without description (the original crashed) and keeps unknown fields', async () => {
    const { a, b, room } = await pair();
    a.send({ to: room, extra: { kept: true }, jsongle: { action: 'session-terminate', sid: 's', custom: 1 } });
    const got = await b.next(action('session-terminate'));
    expect(got).toMatchObject({ extra: { kept: true }, jsongle: { custom: 1 } });
    expect(Object.keys(got.jsongle.description ?? {}).sort()).toEqual(['relayed', 'sent']);
  });

  it('answers call actions with unreachable, other actions with 404003, when alone in a P2P room', async () => {
    const a = await client('alice');
    const room = rid();
    await a.join(room);
    a.send({ to: room, jsongle: { sid: 'c', action: 'session-propose', initiator: a.jid, responder: room, description: {} } });
    const info = await a.next(action('session-info'));
    expect(info.jsongle).toMatchObject({ sid: 'c', reason: 'unreachable', initiator: a.jid, responder: room });
    expect(String(info.jsongle.description?.['ended'])).toMatch(ISO);
    a.send({ to: room, jsongle: { action: 'session-text', namespace: 'message', description: { content: 'anyone?' } } });
    expect((await a.error()).jsongle.description).toEqual({ errorCode: 404003, errorDetails: `Can't transmit message - no other member in room ${room}` });
  });

  it('refuses a message to a room the sender is not in (404002)', async () => {
    const { room } = await pair();
    const eve = await client('eve');
    eve.send({ to: room, jsongle: { action: 'session-propose', sid: 'x', description: {} } });
    expect((await eve.error()).jsongle.description).toEqual({ errorCode: 404002, errorDetails: `Can't call - not in room ${room}` });
  });

  it('relays session-text and session-custom and acknowledges them', async () => {
    const { a, b, room } = await pair();
    a.send({ id: 'mid-1', to: room, jsongle: { action: 'session-text', namespace: 'message', description: { sent: 'then', content: 'hello', additionalContent: { x: 1 } } } });
    const text = await b.next(action('session-text'));
    expect(text).toMatchObject({ id: 'mid-1', from: room, to: b.jid, jsongle: { description: { sent: 'then', content: 'hello', additionalContent: { x: 1 } } } });
    const ack = await a.next(action('session-event'));
    expect(ack).toMatchObject({ from: SERVER_ID, to: a.jid, jsongle: { namespace: 'message', event: 'ack', description: { mid: 'mid-1', type: 'server-received' } } });
    expect(String(ack.jsongle.description?.['acknowledged'])).toMatch(ISO);

    a.send({ id: 'mid-2', to: room, jsongle: { action: 'session-custom', description: { content: { any: 'json' } } } });
    expect((await b.next(action('session-custom'))).jsongle.description).toMatchObject({ content: { any: 'json' } });
    expect((await a.next(action('session-event'))).jsongle.description).toMatchObject({ mid: 'mid-2', type: 'server-received' });

    b.send({ to: room, jsongle: { action: 'session-event', namespace: 'message', event: 'ack', description: { acknowledged: 'now', mid: 'mid-1', type: 'received' } } });
    expect((await a.next(action('session-event'))).jsongle).toMatchObject({ event: 'ack', description: { mid: 'mid-1', type: 'received' } });
  });

  it('stamps MUC relays from "<rid>/<uid>"', async () => {
    const room = rid('#muc#');
    const a = await client('ann');
    const b = await client('ben');
    await a.join(room, 'muc-join');
    await b.join(room, 'muc-join');
    a.send({ to: room, jsongle: { action: 'session-text', namespace: 'muc', description: { content: 'hi all' } } });
    expect(await b.next(action('session-text'))).toMatchObject({ from: `${room}/ann`, to: b.jid });
    expect((await a.next(action('session-event', (m) => m.jsongle['event'] === 'ack'))).jsongle.namespace).toBe('muc');
  });
});

describe('metrics', () => {
  it('counts calls, failures, durations, messages and reactions; session-metrics is not relayed', async () => {
    const before = await stats();
    const { a, b, room } = await pair();
    a.send({ to: room, jsongle: { action: 'session-accept', sid: 'm-1', description: {} } });
    await b.next(action('session-accept'));
    expect((await stats()).p2p_count).toBe(before.p2p_count! + 1);
    a.send({ to: room, jsongle: { action: 'session-metrics', sid: 'm-1', description: { error: 'ice-failed', duration: 42 } } });
    b.send({ to: room, jsongle: { action: 'session-event', namespace: 'message', event: 'reaction', description: { reacted: 'now', mid: 'x', type: '👍' } } });
    await a.next(action('session-event', (m) => m.jsongle['event'] === 'reaction'));
    a.send({ to: room, jsongle: { action: 'session-terminate', sid: 'm-1', description: {} } });
    await b.next(action('session-terminate'));
    expect(b.inbox.some((m) => m.jsongle.action === 'session-metrics')).toBe(false);

    const after = await stats();
    expect(after.p2p_total).toBe(before.p2p_total! + 1);
    expect(after.p2p_failed_total).toBe(before.p2p_failed_total! + 1);
    expect(after.p2p_duration_total).toBe(before.p2p_duration_total! + 42);
    expect(after.reactions_total).toBe(before.reactions_total! + 1);
    expect(after.p2p_count).toBe(before.p2p_count);
    expect(after.users_count).toBeGreaterThanOrEqual(2);
    expect(after.conferences_total).toBeGreaterThan(before.conferences_total!);
    expect(after.sent_total).toBeGreaterThan(0);
    expect(after.recv_total).toBeGreaterThan(0);

    a.send({ to: room, jsongle: { action: 'session-metrics', description: { duration: 'long' } } });
    expect((await a.error()).jsongle.description).toMatchObject({ errorCode: 400001, errorDetails: expect.stringContaining("'description.duration'") });
  });
});

describe('malformed and hostile input', () => {
  it('answers 400002 to anything without a jsongle object', async () => {
    const a = await client('alice');
    for (const bad of [{ to: SERVER_ID }, 'text', 42, null, [1, 2], { jsongle: 'string' }, { jsongle: [] }, { jsongle: null }]) {
      a.raw(bad);
      const err = await a.error();
      expect(err).toMatchObject({ from: SERVER_ID, to: a.jid });
      expect(err.jsongle.description).toEqual({ errorCode: 400002, errorDetails: "Missing property 'jsongle' in message" });
    }
    a.raw();
    expect((await a.error()).jsongle.description?.errorCode).toBe(400002);
  });

  it('answers 405001 to unsupported actions, and 400001 to wrongly typed fields', async () => {
    const a = await client('alice');
    for (const act of ['iq-get', 'session-dance', undefined]) {
      a.send({ to: SERVER_ID, jsongle: { action: act } });
      expect((await a.error()).jsongle.description).toEqual({ errorCode: 405001, errorDetails: `Message of type ${String(act)} is not supported` });
    }
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ to: 12, jsongle: { action: 'session-text' } }, "'to'"],
      [{ jsongle: { action: 'session-text' } }, "Missing 'to' parameter"],
      [{ to: SERVER_ID, jsongle: { action: 7 } }, "'jsongle.action'"],
      [{ to: SERVER_ID, jsongle: { action: 'iq-set', query: 'session-join', description: 'rid' } }, "'jsongle.description'"],
      [{ to: SERVER_ID, jsongle: { action: 'iq-set', query: ['session-join'] } }, "'jsongle.query'"],
      [{ id: { x: 1 }, to: SERVER_ID, jsongle: { action: 'session-text' } }, "'id'"],
      [{ to: SERVER_ID, jsongle: { action: 'session-text', description: { content: 'to the server' } } }, "'to'"],
    ];
    for (const [message, fragment] of cases) {
      a.raw({ from: a.jid, ...message });
      const err = await a.error();
      expect(err.jsongle.description?.errorCode).toBe(400001);
      expect(err.jsongle.description?.errorDetails).toContain(fragment);
    }
  });

  it('refuses huge messages with 400001 and survives an oversized frame by closing only that connection', async () => {
    const { a, b, room } = await pair();
    a.send({ to: room, jsongle: { action: 'session-text', description: { content: 'x'.repeat(300 * 1024) } } });
    expect((await a.error()).jsongle.description).toMatchObject({ errorCode: 400001, errorDetails: expect.stringContaining('Message too large') });

    a.send({ to: room, jsongle: { action: 'session-text', description: { content: 'x'.repeat(2 * 1024 * 1024) } } });
    await a.disconnected;
    expect((await b.next(action('session-event'))).jsongle).toMatchObject({ event: 'left', description: { member: { uid: 'alice' } } });
    const c = await client('carol');
    expect((await c.join(room)).jsongle.action).toBe('iq-result');
  });

  it('does not let __proto__ keys through and keeps serving after deep and odd input', async () => {
    const { a, b, room } = await pair();
    const hostile = JSON.parse('{"to":"' + room + '","jsongle":{"action":"session-custom","description":{"__proto__":{"polluted":true},"content":1}}}') as Record<string, unknown>;
    a.raw({ from: a.jid, ...hostile });
    const got = await b.next(action('session-custom'));
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.keys(got.jsongle.description ?? {})).not.toContain('__proto__');

    let deep: unknown = 'bottom';
    for (let i = 0; i < 2000; i++) deep = { d: deep };
    a.send({ to: room, jsongle: { action: 'session-custom', description: { content: deep } } });
    expect((await b.next(action('session-custom'))).jsongle.description).toHaveProperty('content.d.d.d');

    a.send({ to: SERVER_ID, jsongle: { action: 'iq-result', query: 'session-other', transaction: 'z' } });
    a.send({ to: SERVER_ID, jsongle: { action: 'iq-set', query: 'session-join', transaction: 'alive', description: { rid: 'x'.repeat(257) } } });
    expect((await a.next((m) => m.jsongle['transaction'] === 'alive')).jsongle.description?.errorCode).toBe(400001);
  });
});

describe('connect-time refusals and transports', () => {
  it('enforces appToken with a connect_error carrying a clear message', async () => {
    const guarded = await startJsongle({ appToken: 's3cret' });
    try {
      const missing = await JClient.refused(guarded.wsUrl);
      expect(missing.message).toMatch(/appToken/);
      expect(missing.data?.reason).toBe('app_token');
      expect((await JClient.refused(guarded.wsUrl, 'wrong')).message).toMatch(/appToken.*missing or wrong/);
      const ok = await JClient.identified(guarded.wsUrl, 'u', 'U', { appToken: 's3cret' });
      ok.close();
    } finally {
      await guarded.close();
    }
  });

  it('enforces maxUsers, and admits again once someone leaves', async () => {
    const small = await startJsongle({ maxUsers: 2 });
    try {
      const one = await JClient.identified(small.wsUrl, 'one');
      const two = await JClient.identified(small.wsUrl, 'two');
      await one.join('full-house');
      await two.join('full-house');
      const refused = await JClient.refused(small.wsUrl);
      expect(refused.message).toMatch(/maximum of 2 concurrent users/);
      expect(refused.data?.reason).toBe('max_users');
      one.close();
      // the server has handled the disconnect once it told the other member
      await two.next(action('session-event', (m) => m.jsongle['event'] === 'left'));
      const three = await JClient.connect(small.wsUrl);
      two.close();
      three.close();
    } finally {
      await small.close();
    }
  });

  it('serves HTTP long-polling clients and socket.io 2 clients (allowEIO3)', async () => {
    const viaPolling = await JClient.connect(fx.wsUrl, { transports: ['polling'] });
    expect(viaPolling.jid).toBeTruthy();
    viaPolling.close();

    const v2 = (await import('socket.io-client-v2')) as unknown as { default: (url: string, o: object) => { on(e: string, f: (m: Msg) => void): void; close(): void; id: string } };
    const s = v2.default(fx.wsUrl, { forceNew: true, reconnection: false, transports: ['websocket'] });
    const hello = await new Promise<Msg>((resolve) => s.on('jsongle', resolve));
    expect(hello.jsongle).toMatchObject({ action: 'iq-get', query: 'session-hello' });
    s.close();
  });
});

describe('monitoring REST API', () => {
  it('serves /about, /health, /ping and /tests', async () => {
    const about = (await (await fetch(`${fx.restUrl}/about`)).json()) as Record<string, unknown>;
    expect(about).toMatchObject({ name: 'jsongle-server', version: '2.0.2', description: 'JSONgle Server for WebRTC signaling protocol', configuration: { restPort: fx.dialect.ports['rest'], wsPort: fx.dialect.ports['socketio'], useSSL: false } });
    expect(String(about['started'])).toMatch(ISO);
    for (const path of ['/health', '/ping']) {
      const res = await fetch(`${fx.restUrl}${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'OK' });
    }
    const tests = await fetch(`${fx.restUrl}/tests`);
    expect(tests.status).toBe(200);
    expect(await tests.json()).toMatchObject({ score: 100 });
    expect(tests.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('serves /metrics with the Prometheus content type and /stats under the original names', async () => {
    const res = await fetch(`${fx.restUrl}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const name of ['parley_jsongle_users', 'parley_jsongle_users_total', 'parley_jsongle_p2p_calls_total', 'parley_jsongle_errors_total']) expect(text).toContain(name);
    expect(Object.keys(await stats()).sort()).toEqual(
      ['conferences_count', 'conferences_total', 'duration_total', 'messages_total', 'p2p_count', 'p2p_duration_total', 'p2p_failed_total', 'p2p_total', 'reactions_total', 'recv_total', 'sent_total', 'users_count', 'users_total'].sort(),
    );
  });

  it('serves /telemetry', async () => {
    const body = (await (await fetch(`${fx.restUrl}/telemetry`)).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ memoryFree: expect.any(Number), diskFree: expect.any(Number), cpuFree: expect.any(Number), executionTime: expect.any(Number) });
    expect(String(body['uptime'])).toMatch(ISO);
    expect(String(body['system'])).toContain(':');
  });

  it('changes the log level with PUT /logs/levels and serves the log tail at /logs', async () => {
    const put = (body: string | undefined, type = 'application/json') =>
      fetch(`${fx.restUrl}/logs/levels`, { method: 'PUT', headers: body === undefined ? {} : { 'content-type': type }, ...(body === undefined ? {} : { body }) });
    const ok = await put(JSON.stringify({ level: 'error' }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ level: 'error', was: 'silent' });
    const again = await put(JSON.stringify({ level: 'fatal' }));
    expect(await again.json()).toEqual({ level: 'fatal', was: 'error' });
    const message = "value provided is not accepted. Should be 'trace', 'debug', 'info', 'warn', 'error' or 'fatal'";
    for (const bad of [JSON.stringify({ level: 'loud' }), JSON.stringify({}), undefined]) {
      const res = await put(bad);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ errorCode: 400001, errorMsg: message });
    }
    expect((await put('{not json')).status).toBe(400);

    const logs = await fetch(`${fx.restUrl}/logs`);
    expect(logs.status).toBe(200);
    expect(logs.headers.get('content-disposition')).toContain('jsongle-server.log');
    const lines = (await logs.text()).trim().split('\n').map((l) => JSON.parse(l) as { msg: string; level: string });
    expect(lines.some((l) => l.msg === 'log level changed')).toBe(true);
  });
});


describe('JSONgle: per-connection rate limit', () => {
  it('drops what a connection sends beyond signaling.maxMessagesPerSecond, counts it, and closes a connection that keeps flooding', async () => {
    const limited = await startJsongle({}, { maxMessagesPerSecond: 5 });
    try {
      const flooder = await JClient.connect(limited.wsUrl);
      // before the hello every message is answered with 403002: one answer per message let through
      for (let i = 0; i < 40; i++) flooder.send({ to: SERVER_ID, jsongle: { action: 'iq-get', query: 'session-hello', transaction: `t${i}` } });
      expect(await flooder.disconnected).toBe('io server disconnect');
      const answered = flooder.inbox.filter((m) => m.jsongle.description?.errorCode === 403002).length;
      expect(answered).toBeGreaterThanOrEqual(10); // the burst: twice the rate
      expect(answered).toBeLessThanOrEqual(12);
      const metric = await limited.deps.registry.getSingleMetricAsString('parley_dialect_events_rate_limited_total');
      const dropped = Number(/dialect="jsongle"} (\d+)/.exec(metric)?.[1]);
      expect(dropped).toBeGreaterThanOrEqual(25); // 5 seconds' worth in a row closes the connection
      expect(answered + dropped).toBeLessThanOrEqual(40);
      // another connection is not affected
      const calm = await JClient.identified(limited.wsUrl, 'calm');
      calm.close();
    } finally {
      await limited.close();
    }
  });
});
