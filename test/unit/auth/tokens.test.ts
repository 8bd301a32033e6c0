import { describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { createToken, KeyRing, verifyToken } from '../../../src/auth/tokens.js';
import { AuthThrottle } from '../../../src/auth/throttle.js';

const key = { key: 'APIk', secret: 's'.repeat(40) };
const ring = new KeyRing([key, { key: 'APIold', secret: 'o'.repeat(40) }]);

describe('tokens', () => {
  it('round-trips identity, name, metadata and grants', async () => {
    const t = await createToken(key, { identity: 'ann', name: 'Ann', metadata: '{"a":1}', grants: { room: 'r', roomJoin: true, canPublish: false }, ttlSeconds: 60 });
    expect(await verifyToken(t, ring)).toMatchObject({ identity: 'ann', name: 'Ann', metadata: '{"a":1}', apiKey: 'APIk', grants: { room: 'r', roomJoin: true, canPublish: false } });
  });

  it('accepts every key of the ring (rotation)', async () => {
    const t = await createToken({ key: 'APIold', secret: 'o'.repeat(40) }, { identity: 'x', grants: {}, ttlSeconds: 60 });
    expect((await verifyToken(t, ring)).apiKey).toBe('APIold');
  });

  it('maps every failure to a code', async () => {
    await expect(verifyToken(undefined, ring)).rejects.toMatchObject({ code: 'TOKEN_MISSING' });
    await expect(verifyToken('abc', ring)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    const t = await createToken(key, { identity: 'x', grants: {}, ttlSeconds: 60 });
    await expect(verifyToken(t, ring, Date.now() + 3600_000)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    await expect(verifyToken(`${t.slice(0, -3)}abc`, ring)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    const stranger = await createToken({ key: 'APIx', secret: 'x'.repeat(40) }, { identity: 'x', grants: {}, ttlSeconds: 60 });
    await expect(verifyToken(stranger, ring)).rejects.toMatchObject({ code: 'TOKEN_UNKNOWN_KEY' });
    const badGrants = await new SignJWT({ grants: { roomJoin: 'yes' } }).setProtectedHeader({ alg: 'HS256' }).setIssuer('APIk').setSubject('x').setExpirationTime('1h').sign(new TextEncoder().encode(key.secret));
    await expect(verifyToken(badGrants, ring)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    const noneAlg = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x","iss":"APIk"}').toString('base64url')}.`;
    await expect(verifyToken(noneAlg, ring)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
  });
});

describe('AuthThrottle', () => {
  it('lets failures through up to the rate, then delays, then refuses; the window forgets', () => {
    const t = new AuthThrottle(3);
    expect([0, 1, 2].map(() => t.fail('a', 0))).toEqual([0, 0, 0]);
    expect([t.fail('a', 1), t.fail('a', 2), t.fail('a', 3)]).toEqual([250, 500, 1000]);
    expect(t.fail('a', 4)).toBe(-1);
    expect(t.fail('b', 4)).toBe(0);
    expect(t.fail('a', 61_000)).toBe(0);
    t.sweep(200_000);
    expect(t.fail('a', 200_000)).toBe(0);
  });
});
