import { describe, expect, it } from 'vitest';
import { Credentials, longTermKey, Nonces, restPassword } from '../../../src/turn/core/auth.js';

const T0 = 1_800_000_000_000;

describe('Nonces', () => {
  it('issues the same nonce to a client IP for a second, then a fresh one', () => {
    const n = new Nonces(600_000);
    const a = n.issue('198.51.100.7', T0);
    expect(n.issue('198.51.100.7', T0 + 999)).toBe(a);
    expect(n.issue('198.51.100.8', T0)).not.toBe(a);
    expect(n.issue('198.51.100.7', T0 + 1000)).not.toBe(a);
  });

  it('accepts its nonces (also another instance’s with the same key) only from their IP and until they expire', () => {
    const key = Buffer.alloc(20, 7);
    const n = new Nonces(600_000, key);
    const other = new Nonces(600_000, key);
    const a = n.issue('198.51.100.7', T0);
    expect(n.check(a, '198.51.100.7', T0 + 1)).toBe('ok');
    expect(other.check(a, '198.51.100.7', T0 + 1)).toBe('ok');
    expect(n.check(a, '198.51.100.8', T0 + 1)).toBe('invalid');
    expect(n.check(a, '198.51.100.7', T0 + 600_000)).toBe('stale');
    expect(other.check(a, '198.51.100.7', T0 + 600_000)).toBe('stale');
    const forged = a.slice(0, 35) + (a.endsWith('0') ? '1' : '0');
    expect(n.check(forged, '198.51.100.7', T0 + 1)).toBe('invalid');
  });
});

describe('Credentials', () => {
  it('derives a REST username’s key once and still refuses it once it expires', () => {
    const c = new Credentials({ realm: 'r', users: new Map(), secret: 's' });
    const name = `${T0 / 1000 + 60}:carol`;
    const first = c.lookup(name, T0);
    expect(first).toEqual({ ok: true, key: longTermKey(name, 'r', restPassword('s', name)), quotaUser: 'carol' });
    expect(c.lookup(name, T0 + 1000)).toEqual(first);
    expect(c.lookup(name, T0 + 60_000)).toEqual({ ok: false, reason: 'expired' });
    expect(c.lookup('carol', T0)).toEqual({ ok: false, reason: 'unknown_user' });
  });
});
