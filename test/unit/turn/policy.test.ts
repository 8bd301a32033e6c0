import { describe, expect, it } from 'vitest';
import { PeerPolicy } from '../../../src/turn/core/policy.js';
import { bytesToIp, ipToBytes } from '../../../src/turn/stun/address.js';

const def = new PeerPolicy({ allowLoopbackPeers: false, allowPeers: [], denyPeers: [] });

describe('PeerPolicy', () => {
  it.each([
    '0.0.0.0', '0.1.2.3', '127.0.0.1', '127.9.9.9', '10.0.0.1', '100.64.0.1', '169.254.169.254', '172.16.0.1', '172.31.255.255',
    '192.168.0.1', '192.0.0.8', '192.0.2.1', '198.51.100.1', '203.0.113.1', '198.18.0.1', '198.19.255.255', '224.0.0.1', '239.1.1.1',
    '240.0.0.1', '255.255.255.255', '::', '::1', '::ffff:127.0.0.1', '::ffff:8.8.8.8', '::127.0.0.1', '64:ff9b::7f00:1',
    '64:ff9b::808:808', '2001::1', '2001:db8::1', '2002:7f00:1::', '2002:808:808::1', 'fc00::1', 'fd12::1', 'fe80::1', 'fec0::1', 'ff02::1',
  ])('refuses %s by default', (ip) => {
    expect(def.check(ip).ok).toBe(false);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '2a00:1450::1'])('allows public %s', (ip) => {
    expect(def.check(ip).ok).toBe(true);
  });

  it('canonicalises IPv4 wrapped in IPv6 before matching the allow list', () => {
    const p = new PeerPolicy({ allowLoopbackPeers: false, allowPeers: ['10.0.0.0/8'], denyPeers: [] });
    expect(p.check('::ffff:10.1.1.1')).toEqual({ ok: true, canonical: '10.1.1.1' });
    expect(p.check('10.1.1.1').ok).toBe(true);
    expect(p.check('192.168.1.1').ok).toBe(false);
  });

  it('allowLoopbackPeers opens loopback only, never 0.0.0.0', () => {
    const p = new PeerPolicy({ allowLoopbackPeers: true, allowPeers: [], denyPeers: [] });
    expect(p.check('127.0.0.1').ok).toBe(true);
    expect(p.check('0.0.0.0').ok).toBe(false);
    expect(p.check('10.0.0.1').ok).toBe(false);
  });

  it('extra deny entries apply to public ranges', () => {
    const p = new PeerPolicy({ allowLoopbackPeers: false, allowPeers: [], denyPeers: ['8.8.0.0/16'] });
    expect(p.check('8.8.8.8')).toEqual({ ok: false, reason: 'configured' });
  });

  it('reports the reason', () => {
    expect(def.check('::1')).toEqual({ ok: false, reason: 'loopback' });
    expect(def.check('not an ip')).toEqual({ ok: false, reason: 'invalid' });
  });

  it('round-trips IPv6 text through bytes (RFC 5952 compression)', () => {
    for (const ip of ['::', '::1', '2001:db8::1', 'fe80::1:2', '1:2:3:4:5:6:7:8', '2001:db8:1234:5678:11:2233:4455:6677']) {
      expect(bytesToIp(ipToBytes(ip) as Buffer)).toBe(ip);
    }
    expect(bytesToIp(ipToBytes('::ffff:1.2.3.4') as Buffer)).toBe('::ffff:102:304');
  });

  it("lets clients relay to the SFU's own addresses on the RTC ports only", () => {
    const p = new PeerPolicy({
      allowLoopbackPeers: false,
      allowPeers: [],
      denyPeers: [],
      internalPeers: { addresses: ['10.1.2.3', '::ffff:192.168.7.7'], portMin: 50000, portMax: 60000 },
    });
    expect(p.check('10.1.2.3')).toEqual({ ok: true, canonical: '10.1.2.3' }); // CreatePermission: per address
    expect(p.check('10.1.2.3', 50000)).toMatchObject({ ok: true });
    expect(p.check('10.1.2.3', 60000)).toMatchObject({ ok: true });
    expect(p.check('10.1.2.3', 6379)).toEqual({ ok: false, reason: 'private' }); // another service on the host
    expect(p.check('::ffff:10.1.2.3', 50001)).toMatchObject({ ok: true }); // wrapped forms too
    expect(p.check('192.168.7.7', 55555)).toMatchObject({ ok: true });
    expect(p.check('10.1.2.4', 50000)).toEqual({ ok: false, reason: 'private' }); // a neighbour is not us
  });
});
