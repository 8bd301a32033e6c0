/**
 * webRTCWorkspaces dialect, driven by socket.io-client 2 (the original clients' library) against
 * Parley's socket.io v4 server with allowEIO3: every event, reply and alert string, the capacity
 * rule, the fixes of the original's holes, and hostile input.
 */
import { createHmac } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../../src/store/memory.js';
import { Client, startWorkspaces, TURN_SECRET, type Harness } from './workspaces-harness.js';

const SECRET = 'magick-token-of-the-original';
const SALT = 'salt-string-of-the-original';

const ALERT = {
  workspaceId: 'Please provide a valid workspace ID.',
  attendeeId: 'Please provide a valid attendee ID.',
  invalidAccess: 'Invalid access token. Access is not allowed.',
  notOwner: 'Anauthorized operation. Abort.',
  badToken: 'Please provide a valid workspace token.',
  noWorkspaceToken: 'Please provide a valid workspace access token.',
  wrongPin: 'This workspace is protected with a PIN. Wrong PIN provided.',
  ownerCannotLeave: 'Workspace owner cannot leave. Only shutdown is allowed.',
  ownerCannotBeKicked: 'Workspace owner cannot be kicked out of workspace.',
};

interface Attendee {
  id: string;
  name: string;
  avatar: string;
}
interface WorkspaceInfo {
  id: string;
  name: string;
  avatar: string;
  owner: string;
  created: number;
  token: string;
  call?: unknown;
}
interface Created {
  workspace: WorkspaceInfo;
  attendee: Attendee;
  accessToken: string;
  nonce?: unknown;
}
interface Granted extends Created {
  attendees: Record<string, Attendee>;
  call?: unknown;
}

let h: Harness;
const clients: Client[] = [];

async function client(transports?: string[]): Promise<Client> {
  const c = await Client.connect(h.url, transports);
  clients.push(c);
  return c;
}

async function createWorkspace(opts: { pin?: string; name?: string } = {}): Promise<{ owner: Client; created: Created }> {
  const owner = await client();
  const created = await owner.request<Created>('create', { workspace: { name: opts.name ?? 'Team', pin: opts.pin ?? '', avatar: '' }, attendee: { name: 'Olga', avatar: '' }, nonce: 'create:x:1' }, 'created');
  return { owner, created };
}

async function attend(token: string, name: string, pin = ''): Promise<{ c: Client; granted: Granted }> {
  const c = await client();
  const granted = await c.request<Granted>('attend', { workspace: { token, pin }, attendee: { name, avatar: '' }, nonce: `attend:${name}` }, 'attendance-granted');
  return { c, granted };
}

const auth = (ws: { id: string }, who: Attendee | { id: string }, accessToken: string) => ({ workspace: { id: ws.id }, attendee: who, accessToken });

beforeAll(async () => {
  h = await startWorkspaces(createMemoryStore(), { PARLEY_WORKSPACES_JWT_SECRET: SECRET, PARLEY_WORKSPACES_SALT: SALT });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await h.close();
});

describe('webRTCWorkspaces: HTTP and iceservers', () => {
  it('answers GET / like the original', async () => {
    const res = await fetch(`${h.url}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Yupiii!!! Your webRTCWorkspaces Signaling Server is up and running!');
  });

  it('connects over long-polling (Engine.IO 3) too', async () => {
    const c = await client(['polling']);
    const servers = await c.request<unknown[]>('iceservers', {}, 'iceservers');
    expect(Array.isArray(servers)).toBe(true);
  });

  it('iceservers returns Parley STUN/TURN with `urls` and coturn REST credentials', async () => {
    const c = await client();
    const servers = await c.request<Array<{ urls: string[]; username?: string; credential?: string }>>('iceservers', {}, 'iceservers');
    const turn = servers.find((s) => s.username);
    expect(servers.every((s) => Array.isArray(s.urls) && !('url' in s))).toBe(true);
    expect(turn?.username).toMatch(/^\d+:workspaces-/);
    expect(turn?.credential).toBe(createHmac('sha1', TURN_SECRET).update(turn?.username ?? '').digest('base64'));
  });
});

describe('webRTCWorkspaces: create and tokens', () => {
  it('create replies `created` with the original fields, tokens and the nonce', async () => {
    const { created } = await createWorkspace({ name: 'Design' });
    expect(created.workspace).toMatchObject({ name: 'Design', avatar: '', owner: created.attendee.id });
    expect(created.workspace.id).toMatch(/^_[A-Za-z0-9]{10}$/);
    expect(created.attendee).toEqual({ id: created.workspace.owner, name: 'Olga', avatar: '' });
    expect(created.nonce).toBe('create:x:1');
    expect(decodeProtectedHeader(created.workspace.token)).toMatchObject({ alg: 'HS256', typ: 'JWT' });
    const wsClaims = decodeJwt(created.workspace.token);
    expect(wsClaims.id).toBe(created.workspace.id);
    expect(typeof wsClaims.iat).toBe('number');
    expect(await bcrypt.compare(`${created.workspace.id}::${SALT}`, String(wsClaims.singningToken))).toBe(true);
    const access = decodeJwt(created.accessToken);
    expect(access).toMatchObject({ id: created.workspace.id, owner: created.attendee.id });
    expect(await bcrypt.compare(`${created.workspace.id}:${created.attendee.id}:${SALT}`, String(access.singningToken))).toBe(true);
    const room = h.deps.rooms.get(`workspaces:${created.workspace.id}`);
    expect(room?.info().origin).toBe('workspaces');
    expect(room?.findByIdentity(created.attendee.id)).toBeDefined();
  });

  it('defaults the names as the original', async () => {
    const c = await client();
    const created = await c.request<Created>('create', {}, 'created');
    expect(created.workspace.name).toBe('Untitled Workspace');
    expect(created.attendee.name).toBe('Anonymous Attendee');
  });

  it('create never overwrites an existing workspace, even when the client names its id', async () => {
    const { created } = await createWorkspace({ name: 'First' });
    const c = await client();
    const second = await c.request<Created>('create', { workspace: { id: created.workspace.id, name: 'Hijack' }, attendee: { name: 'Mallory' } }, 'created');
    expect(second.workspace.id).not.toBe(created.workspace.id);
    const { granted } = await attend(created.workspace.token, 'Bob');
    expect(granted.workspace).toMatchObject({ name: 'First', owner: created.attendee.id });
  });

  it('a create naming a free id brings a workspace back: its old tokens verify again', async () => {
    const { owner, created } = await createWorkspace({ pin: '55' });
    await owner.request('destroy', auth(created.workspace, created.attendee, created.accessToken), 'destroyed');
    const again = await owner.request<Created>('create', { workspace: { id: created.workspace.id, name: 'Back', pin: '55' }, attendee: { id: created.attendee.id, name: 'Olga' } }, 'created');
    expect(again.workspace.id).toBe(created.workspace.id);
    const { granted } = await attend(created.workspace.token, 'Old link', '55');
    expect(granted.workspace).toMatchObject({ id: created.workspace.id, name: 'Back' });
    expect(await owner.request('attendees', auth(created.workspace, created.attendee, created.accessToken), 'attendees')).toBeTruthy();
  });

  it('accepts tokens minted by the original server (jsonwebtoken + native bcrypt $2b$)', async () => {
    const { created } = await createWorkspace({ pin: '4321' });
    const hash = await bcrypt.hash(`${created.workspace.id}:4321:${SALT}`, 10);
    const native = `$2b$${hash.slice(4)}`;
    const legacy = await new SignJWT({ id: created.workspace.id, singningToken: native }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().sign(new TextEncoder().encode(SECRET));
    const { granted } = await attend(legacy, 'Legacy', '4321');
    expect(granted.workspace.id).toBe(created.workspace.id);
  });
});

describe('webRTCWorkspaces: attend', () => {
  it('grants attendance with the workspace, attendees, call, token and nonce, and tells the others', async () => {
    const { owner, created } = await createWorkspace({ pin: '1234' });
    const mark = owner.received.length;
    const { granted } = await attend(created.workspace.token, 'Bob', '1234');
    expect(granted.workspace).toEqual({ ...created.workspace, call: null });
    expect(granted.attendee).toMatchObject({ name: 'Bob', avatar: '' });
    expect(Object.keys(granted.attendees).sort()).toEqual([created.attendee.id, granted.attendee.id].sort());
    expect(granted.nonce).toBe('attend:Bob');
    expect(decodeJwt(granted.accessToken)).toMatchObject({ id: created.workspace.id, owner: created.attendee.id });
    expect(await owner.next<Attendee>('attend', mark)).toEqual(granted.attendee);
  });

  it('alerts without a token, on a wrong PIN and on a forged token', async () => {
    const { created } = await createWorkspace({ pin: '1234' });
    const c = await client();
    expect(await c.request('attend', { workspace: { pin: '1234' }, attendee: { name: 'x' } }, 'alert')).toBe(ALERT.noWorkspaceToken);
    expect(await c.request('attend', {}, 'alert')).toBe(ALERT.noWorkspaceToken);
    expect(await c.request('attend', { workspace: { token: created.workspace.token, pin: '0000' } }, 'alert')).toBe(ALERT.wrongPin);
    expect(await c.request('attend', { workspace: { token: created.workspace.token } }, 'alert')).toBe(ALERT.wrongPin);
    const forged = await new SignJWT({ id: created.workspace.id, singningToken: 'x' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('not-the-secret'));
    expect(await c.request('attend', { workspace: { token: forged, pin: '1234' } }, 'alert')).toBe(ALERT.wrongPin);
    expect(await c.request('attend', { workspace: { token: 'garbage', pin: '1234' } }, 'alert')).toBe(ALERT.wrongPin);
    expect(await c.request('attend', { workspace: { token: 12345, pin: '1234' } }, 'alert')).toBe(ALERT.wrongPin);
    expect(await c.request('attend', { workspace: { token: { alg: 'none' }, pin: '1234' } }, 'alert')).toBe(ALERT.wrongPin);
    expect(await c.request('attend', { workspace: { token: '', pin: '1234' } }, 'alert')).toBe(ALERT.noWorkspaceToken);
    const none = `${created.workspace.token.split('.').slice(0, 2).join('.')}.`;
    expect(await c.request('attend', { workspace: { token: none, pin: '1234' } }, 'alert')).toBe(ALERT.wrongPin);
  });

  it('answers `destroyed` for a token of a workspace that no longer exists', async () => {
    const { owner, created } = await createWorkspace();
    await owner.request('destroy', auth(created.workspace, created.attendee, created.accessToken), 'destroyed');
    const c = await client();
    expect(await c.request('attend', { workspace: { token: created.workspace.token, pin: '' } }, 'destroyed')).toEqual({});
  });

  it('refuses a 4th attendee besides the owner with `full`; the owner is never refused', async () => {
    const { owner, created } = await createWorkspace();
    for (const name of ['A', 'B', 'C']) await attend(created.workspace.token, name);
    const late = await client();
    expect(await late.request('attend', { workspace: { token: created.workspace.token, pin: '' }, attendee: { name: 'D' } }, 'full')).toEqual({});
    owner.close();
    const again = await client();
    const back = await again.request<Granted>('re-attend', auth(created.workspace, created.attendee, created.accessToken), 're-attendance-granted');
    expect(Object.keys(back.attendees)).toHaveLength(4);
  });

  it('does not let an attendee take the owner id (or a present attendee id)', async () => {
    const { created } = await createWorkspace();
    const c = await client();
    const granted = await c.request<Granted>('attend', { workspace: { token: created.workspace.token, pin: '' }, attendee: { id: created.attendee.id, name: 'Mallory' } }, 'attendance-granted');
    expect(granted.attendee.id).not.toBe(created.attendee.id);
    expect(decodeJwt(granted.accessToken).owner).toBe(created.attendee.id);
    expect(await c.request('destroy', auth(created.workspace, granted.attendee, granted.accessToken), 'alert')).toBe(ALERT.notOwner);
  });
});

describe('webRTCWorkspaces: access checks (checkAccessToken)', () => {
  it('alerts with each of the original strings', async () => {
    const { owner, created } = await createWorkspace();
    const other = await createWorkspace();
    const { c, granted } = await attend(created.workspace.token, 'Bob');
    const ws = created.workspace;
    const me = granted.attendee;
    expect(await c.request('mic-toggle', { attendee: me, accessToken: granted.accessToken, state: true }, 'alert')).toBe(ALERT.workspaceId);
    expect(await c.request('mic-toggle', { workspace: { id: 'abc' }, attendee: me, accessToken: granted.accessToken, state: true }, 'alert')).toBe(ALERT.workspaceId);
    expect(await c.request('mic-toggle', { workspace: { id: ws.id }, attendee: { id: 42 }, accessToken: granted.accessToken, state: true }, 'alert')).toBe(ALERT.attendeeId);
    expect(await c.request('mic-toggle', { workspace: { id: ws.id }, attendee: me, state: true }, 'alert')).toBe(ALERT.badToken);
    expect(await c.request('mic-toggle', { workspace: { id: ws.id }, attendee: me, accessToken: 'x.y.z', state: true }, 'alert')).toBe(ALERT.badToken);
    // someone else's workspace id with my token, and my workspace with someone else's attendee id
    expect(await c.request('mic-toggle', { workspace: { id: other.created.workspace.id }, attendee: me, accessToken: granted.accessToken, state: true }, 'alert')).toBe(ALERT.invalidAccess);
    expect(await c.request('mic-toggle', auth(ws, created.attendee, granted.accessToken), 'alert')).toBe(ALERT.invalidAccess);
    // the owner's token from another workspace
    expect(await c.request('kick', { ...auth(ws, other.created.attendee, other.created.accessToken), kickedAttendee: me }, 'alert')).toBe(ALERT.invalidAccess);
    // a forged token with the right claims but the wrong key
    const forged = await new SignJWT({ id: ws.id, owner: me.id, singningToken: 'x' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('nope'));
    expect(await c.request('destroy', auth(ws, me, forged), 'alert')).toBe(ALERT.badToken);
    // an owner-only event from a non-owner
    expect(await c.request('destroy', auth(ws, me, granted.accessToken), 'alert')).toBe(ALERT.notOwner);
    expect(await c.request('kick', { ...auth(ws, me, granted.accessToken), kickedAttendee: me }, 'alert')).toBe(ALERT.notOwner);
    await owner.barrier();
  });

  it('survives payloads of the wrong shape on every event', async () => {
    const c = await client();
    const events = ['create', 'destroy', 'attend', 're-attend', 'leave', 'kick', 'ring', 'answer', 'busy', 'hangup', 'icecandidate', 'negotiation', 'mic-toggle', 'cam-toggle', 'attendees', 'iceservers'];
    for (const payload of [null, 'text', 42, [], { workspace: 'x', attendee: 7, accessToken: {} }]) {
      for (const event of events) c.socket.emit(event, payload);
    }
    c.socket.emit('create');
    c.socket.emit('unknown-event', { x: 1 });
    await c.barrier();
    expect(c.all('alert').length).toBeGreaterThan(40);
    const alerts = new Set(c.all('alert'));
    expect(alerts.has(ALERT.workspaceId)).toBe(true);
    expect(alerts.has(ALERT.noWorkspaceToken)).toBe(true);
    // and the server still works
    const created = await c.request<Created>('create', { workspace: { name: 'ok' } }, 'created');
    expect(created.workspace.name).toBe('ok');
  });

  it('rejects wrong field types with a clear alert', async () => {
    const c = await client();
    expect(await c.request('create', { workspace: { name: 123 } }, 'alert')).toMatch(/^Invalid create request: workspace\.name/);
    const { owner, created } = await createWorkspace();
    expect(await c.request('attend', { workspace: { token: created.workspace.token, pin: {} } }, 'alert')).toMatch(/^Invalid attend request: workspace\.pin/);
    expect(await owner.request('mic-toggle', { ...auth(created.workspace, created.attendee, created.accessToken), state: 'on' }, 'alert')).toMatch(/^Invalid mic-toggle request: state/);
    expect(await owner.request('ring', { ...auth(created.workspace, created.attendee, created.accessToken), callee: {}, offer: {} }, 'alert')).toMatch(/^Invalid ring request/);
  });
});

describe('webRTCWorkspaces: calls', () => {
  it('relays ring, answer, busy, hangup, icecandidate, negotiation and the toggles', async () => {
    const { owner, created } = await createWorkspace();
    const { c: bob, granted: b } = await attend(created.workspace.token, 'Bob');
    const { c: eve, granted: e } = await attend(created.workspace.token, 'Eve');
    const ws = created.workspace;
    const o = created.attendee;
    const offer = { type: 'offer', sdp: 'v=0 offer' };

    const ring = bob.next<Record<string, unknown>>('ring');
    owner.socket.emit('ring', { workspace: { ...ws, call: { id: o.id } }, attendee: o, accessToken: created.accessToken, call: { id: o.id }, callee: { id: b.attendee.id }, offer, nonce: 'ring:1' });
    expect(await ring).toEqual({ workspace: { ...ws, call: { id: o.id } }, caller: o, offer, call: { id: o.id }, nonce: 'ring:1' });

    const answer = { type: 'answer', sdp: 'v=0 answer' };
    const answered = owner.next<Record<string, unknown>>('answer');
    bob.socket.emit('answer', { workspace: ws, attendee: b.attendee, call: { id: o.id }, caller: { id: o.id }, answer, accessToken: b.accessToken, nonce: 'ans:1' });
    expect(await answered).toEqual({ workspace: ws, callee: b.attendee, answer, call: { id: o.id }, nonce: 'ans:1' });

    const late = await attend(created.workspace.token, 'Late');
    expect(late.granted.workspace.call).toEqual({ id: o.id });

    const busyAtOwner = owner.next<Record<string, unknown>>('busy');
    const busyAtBob = bob.next<Record<string, unknown>>('busy');
    eve.socket.emit('busy', { workspace: ws, attendee: e.attendee, call: { id: o.id }, caller: { id: o.id }, accessToken: e.accessToken });
    expect(await busyAtOwner).toEqual({ workspace: ws, callee: e.attendee, call: { id: o.id } });
    expect(await busyAtBob).toEqual({ workspace: ws, callee: e.attendee, call: { id: o.id } });

    const candidate = { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    const ice = bob.next<Record<string, unknown>>('icecandidate');
    owner.socket.emit('icecandidate', { attendee: { id: b.attendee.id }, broadcaster: { id: o.id }, workspace: { id: ws.id }, accessToken: created.accessToken, candidate });
    expect(await ice).toEqual({ attendee: { id: b.attendee.id }, broadcaster: { id: o.id }, candidate });

    const neg = bob.next<Record<string, unknown>>('negotiation');
    owner.socket.emit('negotiation', { attendee: { id: b.attendee.id }, broadcaster: { id: o.id }, workspace: { id: ws.id }, accessToken: created.accessToken, message: { type: 'offer', data: offer } });
    expect(await neg).toEqual({ attendee: { id: o.id }, message: { type: 'offer', data: offer } });

    for (const event of ['mic-toggle', 'cam-toggle']) {
      const got = owner.next<Record<string, unknown>>(event);
      bob.socket.emit(event, { ...auth(ws, { id: b.attendee.id }, b.accessToken), state: false });
      expect(await got).toEqual({ attendee: { id: b.attendee.id }, state: false });
    }

    const hang = bob.next<Record<string, unknown>>('hangup');
    owner.socket.emit('hangup', { workspace: { id: ws.id }, attendee: o, call: { id: o.id }, accessToken: created.accessToken });
    expect(await hang).toEqual({ attendee: o, call: { id: o.id } });
    const lateGone = owner.next('leave');
    late.c.close();
    await lateGone;
    const after = await attend(created.workspace.token, 'After');
    expect(after.granted.workspace.call).toBeNull();
    expect(owner.all('mic-toggle')).toHaveLength(1);
  });

  it('authenticates icecandidate and negotiation (open in the original)', async () => {
    const { owner, created } = await createWorkspace();
    const { c: bob, granted: b } = await attend(created.workspace.token, 'Bob');
    const mallory = await client();
    const base = { attendee: { id: b.attendee.id }, broadcaster: { id: created.attendee.id }, workspace: { id: created.workspace.id } };
    expect(await mallory.request('icecandidate', { ...base, candidate: {} }, 'alert')).toBe(ALERT.badToken);
    expect(await mallory.request('negotiation', { ...base, accessToken: b.accessToken, message: { type: 'offer', data: {} } }, 'alert')).toBe(ALERT.invalidAccess);
    expect(await mallory.request('icecandidate', { ...base, broadcaster: {}, accessToken: created.accessToken }, 'alert')).toBe(ALERT.attendeeId);
    await mallory.barrier();
    await bob.barrier();
    expect(bob.all('icecandidate')).toHaveLength(0);
    expect(bob.all('negotiation')).toHaveLength(0);
    void owner;
  });

  it('stamps the authenticated sender: a forged caller id does not get through', async () => {
    const { created } = await createWorkspace();
    const { c: bob, granted: b } = await attend(created.workspace.token, 'Bob');
    const { c: eve, granted: e } = await attend(created.workspace.token, 'Eve');
    const got = bob.next<{ broadcaster: { id: string } }>('icecandidate');
    eve.socket.emit('icecandidate', { attendee: { id: b.attendee.id }, broadcaster: { id: e.attendee.id, name: 'x' }, workspace: { id: created.workspace.id }, accessToken: e.accessToken, candidate: null });
    expect((await got).broadcaster).toEqual({ id: e.attendee.id, name: 'x' });
  });
});

describe('webRTCWorkspaces: leave, kick, destroy, disconnect, re-attend', () => {
  it('leave: the owner cannot, an attendee can and the others are told', async () => {
    const { owner, created } = await createWorkspace();
    const { c: bob, granted: b } = await attend(created.workspace.token, 'Bob');
    expect(await owner.request('leave', auth(created.workspace, created.attendee, created.accessToken), 'alert')).toBe(ALERT.ownerCannotLeave);
    const told = owner.next<Attendee>('leave');
    bob.socket.emit('leave', auth(created.workspace, b.attendee, b.accessToken));
    expect(await told).toEqual(b.attendee);
    expect(h.deps.rooms.get(`workspaces:${created.workspace.id}`)?.findByIdentity(b.attendee.id)).toBeUndefined();
  });

  it('kick: owner only, never the owner, and everyone (the kicked too) hears `kicked`', async () => {
    const { owner, created } = await createWorkspace();
    const { c: bob, granted: b } = await attend(created.workspace.token, 'Bob');
    const { c: eve } = await attend(created.workspace.token, 'Eve');
    const ownerAuth = auth(created.workspace, created.attendee, created.accessToken);
    expect(await owner.request('kick', { ...ownerAuth, kickedAttendee: { id: created.attendee.id, name: 'Olga' } }, 'alert')).toBe(ALERT.ownerCannotBeKicked);
    const atBob = bob.next('kicked');
    const atEve = eve.next('kicked');
    const kicked = { id: b.attendee.id, name: 'Bob' };
    expect(await owner.request('kick', { ...ownerAuth, kickedAttendee: kicked }, 'kicked')).toEqual(kicked);
    expect(await atBob).toEqual(kicked);
    expect(await atEve).toEqual(kicked);
    // a relay to the kicked attendee now goes nowhere
    owner.socket.emit('ring', { ...ownerAuth, call: {}, callee: { id: b.attendee.id }, offer: {} });
    await owner.barrier();
    await bob.barrier();
    expect(bob.all('ring')).toHaveLength(0);
  });

  it('destroy: `destroyed` to everyone, the workspace is gone from the store and Parley', async () => {
    const { owner, created } = await createWorkspace();
    const { c: bob } = await attend(created.workspace.token, 'Bob');
    const atBob = bob.next('destroyed');
    expect(await owner.request('destroy', auth(created.workspace, created.attendee, created.accessToken), 'destroyed')).toEqual({});
    expect(await atBob).toEqual({});
    expect(await h.deps.store.collection('workspaces').get(created.workspace.id)).toBeUndefined();
    expect(h.deps.rooms.get(`workspaces:${created.workspace.id}`)).toBeUndefined();
    expect(await owner.request('mic-toggle', { ...auth(created.workspace, created.attendee, created.accessToken), state: true }, 'destroyed')).toEqual({});
  });

  it('a disconnect tells the others (`leave`) and frees the seat', async () => {
    const { owner, created } = await createWorkspace();
    const { c: bob, granted: b } = await attend(created.workspace.token, 'Bob');
    const told = owner.next<Attendee>('leave');
    bob.close();
    expect(await told).toEqual(b.attendee);
    expect(h.events.some((e) => e.type === 'participant_left' && e.participant.identity === b.attendee.id && e.reason === 'disconnected')).toBe(true);
  });

  it('re-attend rebinds the attendee to the new connection (relays follow it)', async () => {
    const { owner, created } = await createWorkspace();
    const { c: old, granted: b } = await attend(created.workspace.token, 'Bob');
    const fresh = await client();
    const mark = owner.received.length;
    const again = await fresh.request<Granted>('re-attend', { workspace: created.workspace, attendee: b.attendee, accessToken: b.accessToken, nonce: 'n' }, 're-attendance-granted');
    expect(again).toMatchObject({ workspace: created.workspace, attendee: b.attendee, accessToken: b.accessToken, nonce: 'n', call: null });
    expect(Object.keys(again.attendees)).toHaveLength(2);
    expect(await owner.next('attend', mark)).toEqual(b.attendee);
    const ring = fresh.next('ring');
    owner.socket.emit('ring', { ...auth(created.workspace, created.attendee, created.accessToken), call: {}, callee: { id: b.attendee.id }, offer: { type: 'offer', sdp: 's' } });
    await ring;
    await old.barrier();
    expect(old.all('ring')).toHaveLength(0);
    // the old connection closing does not unbind the attendee from the new one
    old.close();
    await owner.barrier();
    const ring2 = fresh.next('ring', fresh.received.length);
    owner.socket.emit('ring', { ...auth(created.workspace, created.attendee, created.accessToken), call: {}, callee: { id: b.attendee.id }, offer: { type: 'offer', sdp: 's2' } });
    expect(await ring2).toMatchObject({ offer: { sdp: 's2' } });
  });

  it('attendees: answered for a valid session, silent otherwise', async () => {
    const { owner, created } = await createWorkspace();
    const { granted: b } = await attend(created.workspace.token, 'Bob');
    const got = await owner.request<{ attendees: Record<string, Attendee> }>('attendees', auth(created.workspace, created.attendee, created.accessToken), 'attendees');
    expect(Object.keys(got.attendees).sort()).toEqual([created.attendee.id, b.attendee.id].sort());
    const stranger = await client();
    stranger.socket.emit('attendees', {});
    await stranger.barrier();
    expect(stranger.all('alert')).toHaveLength(0);
    expect(stranger.all('attendees')).toHaveLength(0);
  });

  it('an admin removing the participant through Parley kicks it', async () => {
    const { owner, created } = await createWorkspace();
    const { c: bob, granted: b } = await attend(created.workspace.token, 'Bob');
    const room = h.deps.rooms.get(`workspaces:${created.workspace.id}`);
    const participant = room?.findByIdentity(b.attendee.id);
    expect(participant).toBeDefined();
    const atOwner = owner.next('kicked');
    const atBob = bob.next('kicked');
    if (participant) h.deps.rooms.remove(participant);
    expect(await atBob).toEqual(b.attendee);
    expect(await atOwner).toEqual(b.attendee);
  });

  it('counts events in parley_workspaces_* metrics', async () => {
    const text = await h.deps.registry.metrics();
    expect(text).toMatch(/parley_workspaces_events_total\{event="create",outcome="ok"\} \d+/);
    expect(text).toMatch(/parley_workspaces_events_total\{event="mic-toggle",outcome="alert"\} \d+/);
    expect(text).toContain('parley_workspaces_connections');
  });
});
