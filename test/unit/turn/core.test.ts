import { describe, expect, it } from 'vitest';
import { Attr, Class, Method } from '../../../src/turn/stun/constants.js';
import { decodeXorAddress, readU32, u32 } from '../../../src/turn/stun/attributes.js';
import { encode, getAttr, parse } from '../../../src/turn/stun/message.js';
import { restPassword } from '../../../src/turn/core/auth.js';
import { LocalQuota } from '../../../src/turn/core/quota.js';
import { errorCode, lifetime, makeCore, peerAttr, sent, source, TestClient, udp } from './helpers.js';

const T0 = 1_700_000_000_000;
const PEER = { family: 4 as const, ip: '8.8.8.8', port: 3480 };

describe('TurnCore: STUN Binding', () => {
  it('answers with XOR-MAPPED-ADDRESS of the source, no SOFTWARE by default', () => {
    const core = makeCore();
    const tid = Buffer.alloc(12, 7);
    const out = core.handle(encode(Method.Binding, Class.Request, tid, []), source(1234, '192.0.2.44'), T0);
    const [m] = sent(out);
    expect(m?.cls).toBe(Class.Success);
    const x = m && getAttr(m, Attr.XorMappedAddress);
    expect(x && m && decodeXorAddress(x, m.tid)).toEqual({ family: 4, ip: '192.0.2.44', port: 1234 });
    expect(m && getAttr(m, Attr.Software)).toBeUndefined();
  });

  it('adds SOFTWARE only when configured', () => {
    const core = makeCore({ software: 'parley' });
    const [m] = sent(core.handle(encode(Method.Binding, Class.Request, Buffer.alloc(12), []), source(), T0));
    expect(m && getAttr(m, Attr.Software)?.toString()).toBe('parley');
  });

  it('refuses unknown comprehension-required attributes with 420', () => {
    const core = makeCore();
    const [m] = sent(core.handle(encode(Method.Binding, Class.Request, Buffer.alloc(12), [{ type: 0x0031, value: Buffer.alloc(4) }]), source(), T0));
    expect(errorCode(m)).toBe(420);
    expect(m && getAttr(m, Attr.UnknownAttributes)).toEqual(Buffer.from([0x00, 0x31]));
  });
});

describe('TurnCore: authentication', () => {
  it('challenges with 401 + REALM + NONCE, then allocates with long-term credentials', () => {
    const c = new TestClient(makeCore(), source());
    const ch = c.request(Method.Allocate, [udp()], T0, { auth: false });
    expect(errorCode(ch.reply)).toBe(401);
    expect(ch.reply && getAttr(ch.reply, Attr.Realm)?.toString()).toBe('parley.test');
    const r = c.allocate(T0);
    expect(r.relay).toEqual({ family: 4, ip: '203.0.113.9', port: 50000 });
    expect(r.reply && readU32(getAttr(r.reply, Attr.Lifetime))).toBe(600);
    expect(r.reply?.integrityAt).toBeGreaterThan(0);
  });

  it('refuses a wrong password with 401 and rate-limits repeated failures per source', () => {
    const c = new TestClient(makeCore(), source(), 'alice', 'nope');
    c.request(Method.Allocate, [udp()], T0, { auth: false });
    const codes: Array<number | undefined> = [];
    for (let i = 0; i < 40; i++) codes.push(errorCode(c.request(Method.Allocate, [udp()], T0).reply));
    expect(codes.slice(0, 30).every((x) => x === 401)).toBe(true);
    expect(codes.slice(30).every((x) => x === undefined)).toBe(true);
    expect(c.core.stats.drops.get('auth_rate_limited')).toBe(10);
  });

  it('answers 438 Stale Nonce with a fresh nonce once the nonce expired', () => {
    const c = new TestClient(makeCore({ nonceLifetimeMs: 1000 }), source());
    c.request(Method.Allocate, [udp()], T0, { auth: false });
    const old = c.nonce;
    const r = c.request(Method.Allocate, [udp()], T0 + 5000);
    expect(errorCode(r.reply)).toBe(438);
    expect(c.nonce).not.toBe(old);
    expect(c.allocate(T0 + 5000).relay).toBeDefined();
  });

  it('accepts TURN REST credentials and refuses expired ones', () => {
    const core = makeCore();
    const good = `${Math.floor(T0 / 1000) + 3600}:carol`;
    const c = new TestClient(core, source(1), good, restPassword('shared-secret', good));
    expect(c.allocate(T0).relay).toBeDefined();
    const expired = `${Math.floor(T0 / 1000) - 60}:carol`;
    const x = new TestClient(core, source(2), expired, restPassword('shared-secret', expired));
    expect(x.allocate(T0).code).toBe(401);
    expect(core.stats.authFailures.get('expired')).toBe(1);
  });
});

describe('TurnCore: Allocate rules', () => {
  it('gives 437 for a second Allocate on the same 5-tuple and resends the stored response on retransmission', () => {
    const c = new TestClient(makeCore(), source());
    c.request(Method.Allocate, [udp()], T0, { auth: false });
    const tid = Buffer.alloc(12, 3);
    const r = c.request(Method.Allocate, [udp()], T0, { tid });
    const open = r.actions.find((a) => a.kind === 'openRelay');
    if (!open || open.kind !== 'openRelay') throw new Error('no openRelay');
    const first = c.core.relayOpened(open.alloc, { ok: true, relays: [{ family: 4, ip: '203.0.113.9', port: 50000 }] }, T0);
    const again = c.request(Method.Allocate, [udp()], T0, { tid });
    expect(again.actions).toEqual(first);
    expect(errorCode(c.request(Method.Allocate, [udp()], T0).reply)).toBe(437);
  });

  it('refuses IPv6 relays with 440 when there is none, and bad transports with 442', () => {
    const c = new TestClient(makeCore(), source());
    expect(c.allocate(T0, [{ type: Attr.RequestedAddressFamily, value: Buffer.from([2, 0, 0, 0]) }]).code).toBe(440);
    expect(errorCode(c.request(Method.Allocate, [{ type: Attr.RequestedTransport, value: Buffer.from([99, 0, 0, 0]) }], T0).reply)).toBe(442);
  });

  it('enforces the per-user quota with 486 and frees it on Refresh(0)', () => {
    const core = makeCore({ quota: new LocalQuota(1, 10) });
    const a = new TestClient(core, source(1));
    expect(a.allocate(T0).relay).toBeDefined();
    const b = new TestClient(core, source(2));
    expect(b.allocate(T0).code).toBe(486);
    const r = a.request(Method.Refresh, [lifetime(0)], T0);
    expect(r.reply?.cls).toBe(Class.Success);
    expect(r.actions.some((x) => x.kind === 'closeRelay')).toBe(true);
    expect(b.allocate(T0).relay).toBeDefined();
  });

  it('Refresh lifetimes: below 600 s gets 600, above 3600 s gets 3600 (RFC 8656 §8)', () => {
    const c = new TestClient(makeCore(), source());
    c.allocate(T0);
    const granted = (attrs: ReturnType<typeof lifetime>[]): number | undefined => {
      const r = c.request(Method.Refresh, attrs, T0).reply;
      return r && readU32(getAttr(r, Attr.Lifetime));
    };
    expect(granted([lifetime(300)])).toBe(600);
    expect(granted([lifetime(99999)])).toBe(3600);
    expect(granted([])).toBe(600);
  });

  it('clamps lifetimes to 3600 s and expires allocations on tick', () => {
    const c = new TestClient(makeCore(), source());
    const r = c.allocate(T0, [lifetime(99999)]);
    expect(r.reply && readU32(getAttr(r.reply, Attr.Lifetime))).toBe(3600);
    expect(c.core.tick(T0 + 3599_000)).toEqual([]);
    expect(c.core.tick(T0 + 3600_000)).toEqual([{ kind: 'closeRelay', alloc: r.alloc }]);
    expect(c.core.allocationCount).toBe(0);
  });

  it('passes EVEN-PORT and RESERVATION-TOKEN to the runner and returns the token', () => {
    const c = new TestClient(makeCore(), source());
    c.request(Method.Allocate, [udp()], T0, { auth: false });
    const r = c.request(Method.Allocate, [udp(), { type: Attr.EvenPort, value: Buffer.from([0x80]) }], T0);
    const open = r.actions.find((a) => a.kind === 'openRelay');
    expect(open).toMatchObject({ evenPort: true, reserveNext: true });
    if (!open || open.kind !== 'openRelay') return;
    const token = Buffer.alloc(8, 9);
    const [m] = sent(c.core.relayOpened(open.alloc, { ok: true, relays: [{ family: 4, ip: '203.0.113.9', port: 50002 }], token }, T0));
    expect(m && getAttr(m, Attr.ReservationToken)).toEqual(token);
    const other = new TestClient(c.core, source(9));
    other.request(Method.Allocate, [udp()], T0, { auth: false });
    const r2 = other.request(Method.Allocate, [udp(), { type: Attr.ReservationToken, value: token }], T0);
    expect(r2.actions.find((a) => a.kind === 'openRelay')).toMatchObject({ token, evenPort: false });
  });
});

describe('TurnCore: permissions, channels and relaying', () => {
  it('refuses loopback, private and smuggled peers with 403 by default', () => {
    const c = new TestClient(makeCore(), source());
    c.allocate(T0);
    for (const ip of ['127.0.0.1', '127.9.9.9', '0.0.0.0', '10.1.2.3', '192.168.1.1', '169.254.1.1', '224.0.0.1']) {
      expect(errorCode(c.permission({ family: 4, ip, port: 1 }, T0).reply), ip).toBe(403);
    }
    expect(c.core.stats.refusedPeers.get('loopback')).toBe(2);
    expect(c.permission(PEER, T0).reply?.cls).toBe(Class.Success);
  });

  it('answers a retransmitted request of the allocation with the bytes it sent, without handling it again (RFC 8489 §6.3.1)', () => {
    const c = new TestClient(makeCore(), source());
    c.allocate(T0);
    const tid = Buffer.alloc(12, 5);
    const first = c.request(Method.CreatePermission, [peerAttr(PEER)], T0, { tid });
    expect(first.reply?.cls).toBe(Class.Success);
    c.core.allocationOf(c.src)?.permissions.clear();
    const again = c.request(Method.CreatePermission, [peerAttr(PEER)], T0 + 10, { tid });
    expect(again.actions).toEqual(first.actions);
    expect(c.core.allocationOf(c.src)?.permissions.size).toBe(0);
    const other = c.request(Method.CreatePermission, [peerAttr(PEER)], T0 + 20);
    expect(other.reply?.cls).toBe(Class.Success);
    expect(c.core.allocationOf(c.src)?.permissions.size).toBe(1);
  });

  it('relays ChannelData to the peer and peer data back as ChannelData; drops without permission', () => {
    const c = new TestClient(makeCore(), source());
    const { alloc } = c.allocate(T0);
    if (alloc === undefined) throw new Error('alloc');
    expect(c.core.fromPeer(alloc, PEER, Buffer.from('x'), T0)).toBeUndefined();
    expect(c.core.stats.drops.get('no_permission')).toBe(1);
    expect(c.channelBind(0x4001, PEER, T0).reply?.cls).toBe(Class.Success);
    const cd = Buffer.from([0x40, 0x01, 0x00, 0x03, 1, 2, 3, 0]);
    const out = c.core.handle(cd, c.src, T0);
    expect(out).toEqual([{ kind: 'relay', alloc, peer: PEER, data: Buffer.from([1, 2, 3]) }]);
    const back = c.core.fromPeer(alloc, PEER, Buffer.from([9, 9]), T0);
    expect(back?.kind === 'send' && back.data).toEqual(Buffer.from([0x40, 0x01, 0x00, 0x02, 9, 9]));
  });

  it('pads ChannelData to 4 bytes over TCP', () => {
    const c = new TestClient(makeCore(), source(5, '198.51.100.7', 'tcp'));
    const { alloc } = c.allocate(T0);
    c.channelBind(0x7fff, PEER, T0);
    const back = c.core.fromPeer(alloc ?? 0, PEER, Buffer.from([1, 2, 3, 4, 5]), T0);
    expect(back?.kind === 'send' && back.data.length).toBe(12);
  });

  it('rejects a ChannelBind that rebinds a peer to another channel (400) and bad channel numbers', () => {
    const c = new TestClient(makeCore(), source());
    c.allocate(T0);
    c.channelBind(0x4000, PEER, T0);
    expect(errorCode(c.channelBind(0x4002, PEER, T0).reply)).toBe(400);
    expect(errorCode(c.channelBind(0x4000, { ...PEER, port: 9 }, T0).reply)).toBe(400);
    expect(errorCode(c.channelBind(0x3fff, { ...PEER, port: 10 }, T0).reply)).toBe(400);
    expect(errorCode(c.channelBind(0x4003, { family: 4, ip: '127.0.0.1', port: 1 }, T0).reply)).toBe(403);
  });

  it('relays Send indications only to permitted peers and wraps peer data in Data indications', () => {
    const c = new TestClient(makeCore(), source());
    const { alloc } = c.allocate(T0);
    const send = (tid: Buffer) =>
      encode(Method.Send, Class.Indication, tid, [(peerAttr(PEER) as (t: Buffer) => { type: number; value: Buffer })(tid), { type: Attr.Data, value: Buffer.from('hi') }]);
    expect(c.core.handle(send(Buffer.alloc(12, 1)), c.src, T0)).toEqual([]);
    c.permission(PEER, T0);
    expect(c.core.handle(send(Buffer.alloc(12, 2)), c.src, T0)).toEqual([{ kind: 'relay', alloc, peer: PEER, data: Buffer.from('hi') }]);
    const back = c.core.fromPeer(alloc ?? 0, PEER, Buffer.from('yo'), T0);
    const p = back?.kind === 'send' ? parse(back.data) : undefined;
    expect(p?.ok && p.msg.method === Method.Data && getAttr(p.msg, Attr.Data)?.toString()).toBe('yo');
    expect(c.core.fromPeer(alloc ?? 0, PEER, Buffer.from('late'), T0 + 301_000)).toBeUndefined();
  });

  it("spends an allocation's bandwidth budget on Send indications and ChannelData, unless the native engine meters it", () => {
    // 8000 bit/s = 1000 bytes a second; a second's worth fits at once
    const c = new TestClient(makeCore({ maxBitrate: 8000 }), source());
    const { alloc } = c.allocate(T0);
    c.permission(PEER, T0);
    const send = (n: number, bytes: number) => {
      const tid = Buffer.alloc(12, n);
      return encode(Method.Send, Class.Indication, tid, [(peerAttr(PEER) as (t: Buffer) => { type: number; value: Buffer })(tid), { type: Attr.Data, value: Buffer.alloc(bytes) }]);
    };
    const at = T0 + 1000; // a full bucket
    expect(c.core.handle(send(1, 600), c.src, at)).toHaveLength(1);
    expect(c.core.handle(send(2, 600), c.src, at)).toEqual([]); // over the budget: dropped
    expect(c.core.stats.drops.get('bandwidth')).toBe(1);
    expect(c.core.handle(send(3, 600), c.src, at + 600)).toHaveLength(1); // 0.6 s refilled 600 bytes: 400 left
    expect(c.core.stats.packetsToPeer).toBe(2);
    // ChannelData spends the same bucket: 500 bytes do not fit in the 400 left
    c.channelBind(0x4001, PEER, at + 600);
    const data = Buffer.concat([Buffer.from([0x40, 0x01, 0x01, 0xf4]), Buffer.alloc(500)]);
    expect(c.core.channelRelay(data, c.src, at + 600)).toBeUndefined();
    expect(c.core.stats.drops.get('bandwidth')).toBe(2);

    // the native engine holds the budget (and counts what it sends): the core passes everything on
    c.core.allocation(alloc ?? 0)!.meteredNatively = true;
    for (let i = 4; i < 8; i++) expect(c.core.handle(send(i, 600), c.src, at + 600)).toHaveLength(1);
    expect(c.core.channelRelay(data, c.src, at + 600)?.kind).toBe('relay');
    expect(c.core.stats.drops.get('bandwidth')).toBe(2);
    expect(c.core.stats.packetsToPeer).toBe(2);
  });

  it('enforces the permission quota with 508', () => {
    const c = new TestClient(makeCore(), source());
    c.allocate(T0);
    for (let i = 1; i <= 4; i++) expect(c.permission({ family: 4, ip: `8.8.8.${i}`, port: 1 }, T0).reply?.cls).toBe(Class.Success);
    expect(errorCode(c.permission({ family: 4, ip: '8.8.8.5', port: 1 }, T0).reply)).toBe(508);
  });

  it('answers 441 when another user refreshes the allocation', () => {
    const core = makeCore();
    const a = new TestClient(core, source());
    a.allocate(T0);
    const b = new TestClient(core, source(), 'bob', 'secret2');
    b.request(Method.Refresh, [], T0, { auth: false });
    expect(errorCode(b.request(Method.Refresh, [{ type: Attr.Lifetime, value: u32(600) }], T0).reply)).toBe(441);
  });
});

describe('TurnCore: RFC 6062 TCP allocations', () => {
  it('Connect -> tcpConnect -> CONNECTION-ID; ConnectionBind on a second connection -> tcpBind', () => {
    const core = makeCore();
    const ctl = new TestClient(core, source(7, '198.51.100.7', 'tcp'));
    ctl.request(Method.Allocate, [udp()], T0, { auth: false });
    const r = ctl.request(Method.Allocate, [{ type: Attr.RequestedTransport, value: Buffer.from([6, 0, 0, 0]) }], T0);
    const open = r.actions.find((a) => a.kind === 'openRelay');
    if (!open || open.kind !== 'openRelay') throw new Error('no openRelay');
    expect(open.transport).toBe('tcp');
    core.relayOpened(open.alloc, { ok: true, relays: [{ family: 4, ip: '203.0.113.9', port: 50010 }] }, T0);
    const c = ctl.request(Method.Connect, [peerAttr(PEER)], T0);
    const tc = c.actions.find((a) => a.kind === 'tcpConnect');
    if (!tc || tc.kind !== 'tcpConnect') throw new Error('no tcpConnect');
    expect(errorCode(ctl.request(Method.Connect, [peerAttr(PEER)], T0).reply)).toBe(446);
    const [ok] = sent(core.tcpConnected(tc.alloc, tc.connectionId, true, T0));
    const cid = ok && readU32(getAttr(ok, Attr.ConnectionId));
    expect(cid).toBe(tc.connectionId);
    const data = new TestClient(core, source(8, '198.51.100.7', 'tcp'));
    data.request(Method.ConnectionBind, [], T0, { auth: false });
    const b = data.request(Method.ConnectionBind, [{ type: Attr.ConnectionId, value: u32(cid ?? 0) }], T0);
    expect(b.reply?.cls).toBe(Class.Success);
    expect(b.actions.find((a) => a.kind === 'tcpBind')).toMatchObject({ connectionId: cid, alloc: tc.alloc });
  });

  it('refuses UDP-transport Allocate of TCP relays and Connect to denied peers', () => {
    const core = makeCore();
    const u = new TestClient(core, source());
    u.request(Method.Allocate, [udp()], T0, { auth: false });
    expect(errorCode(u.request(Method.Allocate, [{ type: Attr.RequestedTransport, value: Buffer.from([6, 0, 0, 0]) }], T0).reply)).toBe(400);
  });
});
