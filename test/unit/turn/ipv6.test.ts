/** IPv6 relays (RFC 8656 §7.2, RFC 6156): REQUESTED-ADDRESS-FAMILY, dual allocations, 440 and 443. */
import { describe, expect, it } from 'vitest';
import { decodeErrorCode } from '../../../src/turn/stun/attributes.js';
import { Attr, Class, Method } from '../../../src/turn/stun/constants.js';
import { getAttr } from '../../../src/turn/stun/message.js';
import type { TransportAddress } from '../../../src/turn/stun/address.js';
import { turnSection } from '../../../src/config/turn.js';
import { ipv6RelayAddress } from '../../../src/turn/runner/addresses.js';
import { errorCode, lifetime, makeCore, source, TestClient, udp } from './helpers.js';

const T0 = 1_700_000_000_000;
const family = (f: 1 | 2 | 3, type: number = Attr.RequestedAddressFamily) => ({ type, value: Buffer.from([f, 0, 0, 0]) });
const additional = (f: 1 | 2 | 3) => family(f, Attr.AdditionalAddressFamily);
const PEER4: TransportAddress = { family: 4, ip: '8.8.8.8', port: 3480 };
const PEER6: TransportAddress = { family: 6, ip: '2606:4700::1111', port: 3480 };

describe('TurnCore: IPv6 relays', () => {
  it('REQUESTED-ADDRESS-FAMILY IPv6 asks the runner for an IPv6 relay and answers with it', () => {
    const c = new TestClient(makeCore({ ipv6Relay: true }), source());
    c.request(Method.Allocate, [udp()], T0, { auth: false });
    const open = c.request(Method.Allocate, [udp(), family(2)], T0).actions.find((a) => a.kind === 'openRelay');
    expect(open).toMatchObject({ families: [6] });
    const r = new TestClient(c.core, source(40001)).allocate(T0, [family(2)]);
    expect(r.relays).toEqual([{ family: 6, ip: '2001:db8::9', port: 50000 }]);
  });

  it('gives 440 for IPv6 without an IPv6 relay address, 440 for an unknown family, 400 for a malformed one', () => {
    const c = new TestClient(makeCore({ ipv6Relay: false }), source());
    expect(c.allocate(T0, [family(2)]).code).toBe(440);
    expect(c.allocate(T0, [family(3)]).code).toBe(440);
    expect(c.allocate(T0, [{ type: Attr.RequestedAddressFamily, value: Buffer.from([2]) }]).code).toBe(400);
  });

  it('relays to IPv6 peers and refuses IPv4 peers with 443 on an IPv6 allocation (and the reverse)', () => {
    const core = makeCore({ ipv6Relay: true });
    const six = new TestClient(core, source(1));
    six.allocate(T0, [family(2)]);
    expect(six.permission(PEER6, T0).reply?.cls).toBe(Class.Success);
    expect(errorCode(six.permission(PEER4, T0).reply)).toBe(443);
    expect(errorCode(six.channelBind(0x4001, PEER4, T0).reply)).toBe(443);
    const four = new TestClient(core, source(2));
    four.allocate(T0);
    expect(errorCode(four.permission(PEER6, T0).reply)).toBe(443);
    expect(six.channelBind(0x4001, PEER6, T0).reply?.cls).toBe(Class.Success);
    const relayed = core.handle(Buffer.from([0x40, 0x01, 0, 2, 0xab, 0xcd]), six.src, T0);
    expect(relayed).toEqual([{ kind: 'relay', alloc: expect.any(Number), peer: PEER6, data: Buffer.from([0xab, 0xcd]) }]);
    expect(core.fromPeer(relayed[0]?.kind === 'relay' ? relayed[0].alloc : 0, PEER6, Buffer.from('x'), T0)).toMatchObject({ kind: 'send' });
  });

  it('applies the deny list to IPv6 peers (loopback, ULA, IPv4-mapped) with 403', () => {
    const c = new TestClient(makeCore({ ipv6Relay: true }), source());
    c.allocate(T0, [family(2)]);
    for (const ip of ['::1', 'fd00::2', '::ffff:127.0.0.1', '64:ff9b::a00:1', 'fe80::1']) {
      expect(errorCode(c.permission({ family: 6, ip, port: 1 }, T0).reply), ip).toBe(403);
    }
  });

  it('Refresh with REQUESTED-ADDRESS-FAMILY of another family gets 443', () => {
    const c = new TestClient(makeCore({ ipv6Relay: true }), source());
    c.allocate(T0, [family(2)]);
    expect(errorCode(c.request(Method.Refresh, [lifetime(600), family(1)], T0).reply)).toBe(443);
    expect(c.request(Method.Refresh, [lifetime(600), family(2)], T0).reply?.cls).toBe(Class.Success);
  });
});

describe('TurnCore: dual allocations (ADDITIONAL-ADDRESS-FAMILY)', () => {
  it('allocates IPv4 + IPv6, answers with two XOR-RELAYED-ADDRESS and relays to peers of both families', () => {
    const core = makeCore({ ipv6Relay: true });
    const c = new TestClient(core, source());
    const r = c.allocate(T0, [additional(2)]);
    expect(r.relays).toEqual([{ family: 4, ip: '203.0.113.9', port: 50000 }, { family: 6, ip: '2001:db8::9', port: 50001 }]);
    expect(r.reply && getAttr(r.reply, Attr.AddressErrorCode)).toBeUndefined();
    expect(c.permission(PEER4, T0).reply?.cls).toBe(Class.Success);
    expect(c.permission(PEER6, T0).reply?.cls).toBe(Class.Success);
  });

  it('falls back to IPv4 with ADDRESS-ERROR-CODE 440 (family IPv6) when there is no IPv6 relay', () => {
    const c = new TestClient(makeCore({ ipv6Relay: false }), source());
    const r = c.allocate(T0, [additional(2)]);
    expect(r.relays).toEqual([{ family: 4, ip: '203.0.113.9', port: 50000 }]);
    const v = r.reply && getAttr(r.reply, Attr.AddressErrorCode);
    expect(v?.[0]).toBe(2);
    expect(v && decodeErrorCode(v)?.code).toBe(440);
    expect(errorCode(c.permission(PEER6, T0).reply)).toBe(443);
  });

  it('reports ADDRESS-ERROR-CODE 508 when the runner could not bind the IPv6 socket, and narrows the allocation to IPv4', () => {
    const c = new TestClient(makeCore({ ipv6Relay: true }), source());
    const r = c.allocate(T0, [additional(2)], 50000, { dropAdditional: 508 });
    const v = r.reply && getAttr(r.reply, Attr.AddressErrorCode);
    expect(v && decodeErrorCode(v)?.code).toBe(508);
    expect(errorCode(c.permission(PEER6, T0).reply)).toBe(443);
  });

  it('refuses ADDITIONAL-ADDRESS-FAMILY IPv4, with REQUESTED-ADDRESS-FAMILY, with a token, or for TCP relays (400)', () => {
    const core = makeCore({ ipv6Relay: true });
    expect(new TestClient(core, source(1)).allocate(T0, [additional(1)]).code).toBe(400);
    expect(new TestClient(core, source(2)).allocate(T0, [additional(2), family(2)]).code).toBe(400);
    expect(new TestClient(core, source(3)).allocate(T0, [additional(2), { type: Attr.ReservationToken, value: Buffer.alloc(8) }]).code).toBe(400);
    const tcp = new TestClient(core, source(4, '198.51.100.7', 'tcp'));
    tcp.request(Method.Allocate, [udp()], T0, { auth: false });
    const r = tcp.request(Method.Allocate, [{ type: Attr.RequestedTransport, value: Buffer.from([6, 0, 0, 0]) }, additional(2)], T0);
    expect(errorCode(r.reply)).toBe(400);
  });
});

describe('IPv6 relay address (turn.relayIp6)', () => {
  it('takes a configured address, none for "none", and for "auto" a concrete IPv6 listen address', () => {
    expect(ipv6RelayAddress(turnSection.parse({ relayIp6: '2001:db8::5' }))).toBe('2001:db8::5');
    expect(ipv6RelayAddress(turnSection.parse({ relayIp6: 'none' }))).toBeUndefined();
    expect(ipv6RelayAddress(turnSection.parse({ listenIp: 'fd00::7' }))).toBe('fd00::7');
  });

  it('refuses a value that is not "auto", "none" or a concrete IPv6 address', () => {
    for (const v of ['::', '10.0.0.1', 'yes', '']) expect(turnSection.safeParse({ relayIp6: v }).success, v).toBe(false);
  });
});
