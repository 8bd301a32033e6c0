import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { ParleyError } from '../../../src/core/errors.js';
import { completeEvent, serializeEvent } from '../../../src/webhooks/events.js';
import { bodyDigest, signWebhook, verifyWebhook, WEBHOOK_TOKEN_TTL_SECONDS } from '../../../src/webhooks/sign.js';
import { sampleParticipant, sampleRoom } from './sample.js';

const keys = { apiKey: 'APIkey1', apiSecret: 'secret-one-that-is-at-least-32-characters' };
const secrets = { [keys.apiKey]: keys.apiSecret, APIother: 'another-secret-that-is-at-least-32-chars' };
const now = 1_700_000_000_000;
const event = completeEvent({ event: 'participant_joined', room: sampleRoom(), participant: sampleParticipant() }, 'EV_1', now);
const body = serializeEvent(event);

async function rejection(p: Promise<unknown>): Promise<ParleyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ParleyError)) throw new Error(`expected a ParleyError, got ${String(err)}`);
  return err;
}

describe('signWebhook', () => {
  it('signs HS256 with iss = api key, sha256 of the body and a short exp', async () => {
    const token = await signWebhook(body, keys, { now });
    expect(decodeProtectedHeader(token).alg).toBe('HS256');
    const claims = decodeJwt(token);
    expect(claims.iss).toBe(keys.apiKey);
    expect(claims['sha256']).toBe(bodyDigest(body));
    expect(claims.exp).toBe(now / 1000 + WEBHOOK_TOKEN_TTL_SECONDS);
    expect(WEBHOOK_TOKEN_TTL_SECONDS).toBeLessThanOrEqual(600);
  });

  it('digests the UTF-8 bytes: a string and its bytes give the same digest', () => {
    const text = '{"name":"héllo 👋"}';
    expect(bodyDigest(text)).toBe(bodyDigest(new TextEncoder().encode(text)));
    expect(bodyDigest('')).toBe('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
  });
});

describe('verifyWebhook', () => {
  it('accepts a signed body and returns the event and the signing key', async () => {
    const token = await signWebhook(body, keys, { now });
    expect(await verifyWebhook(body, token, secrets, { now })).toEqual({ apiKey: keys.apiKey, event });
    expect((await verifyWebhook(Buffer.from(body), `Bearer ${token}`, secrets, { now })).event).toEqual(event);
  });

  it('rejects a tampered body', async () => {
    const token = await signWebhook(body, keys, { now });
    const tampered = body.replace('"ada"', '"eve"');
    expect(tampered).not.toBe(body);
    const err = await rejection(verifyWebhook(tampered, token, secrets, { now }));
    expect(err.code).toBe('TOKEN_INVALID');
    expect(err.message).toMatch(/body does not match/);
  });

  it('rejects a token signed with the wrong secret', async () => {
    const token = await signWebhook(body, { apiKey: keys.apiKey, apiSecret: 'not-the-secret-but-also-32-characters-long' }, { now });
    const err = await rejection(verifyWebhook(body, token, secrets, { now }));
    expect(err.code).toBe('TOKEN_INVALID');
    expect(err.message).toMatch(/bad signature/);
  });

  it('rejects an expired token, beyond the clock tolerance', async () => {
    const token = await signWebhook(body, keys, { now });
    const later = now + (WEBHOOK_TOKEN_TTL_SECONDS + 10) * 1000;
    expect((await verifyWebhook(body, token, secrets, { now: later })).event.id).toBe('EV_1'); // within tolerance
    const err = await rejection(verifyWebhook(body, token, secrets, { now: now + (WEBHOOK_TOKEN_TTL_SECONDS + 60) * 1000 }));
    expect(err.code).toBe('TOKEN_EXPIRED');
  });

  it('rejects a missing header, an unknown key and a malformed token', async () => {
    expect((await rejection(verifyWebhook(body, undefined, secrets, { now }))).code).toBe('TOKEN_MISSING');
    expect((await rejection(verifyWebhook(body, '', secrets, { now }))).code).toBe('TOKEN_MISSING');
    const stranger = await signWebhook(body, { apiKey: 'APIstranger', apiSecret: keys.apiSecret }, { now });
    expect((await rejection(verifyWebhook(body, stranger, secrets, { now }))).code).toBe('TOKEN_UNKNOWN_KEY');
    const proto = await signWebhook(body, { apiKey: 'toString', apiSecret: keys.apiSecret }, { now });
    expect((await rejection(verifyWebhook(body, proto, secrets, { now }))).code).toBe('TOKEN_UNKNOWN_KEY');
    expect((await rejection(verifyWebhook(body, 'not.a.jwt', secrets, { now }))).code).toBe('TOKEN_INVALID');
  });

  it('rejects a correctly signed body that is not a webhook event', async () => {
    for (const other of ['[1,2]', '{"id":"x","event":"nope","createdAt":1,"room":{"name":"r"}}', 'not json']) {
      const token = await signWebhook(other, keys, { now });
      expect((await rejection(verifyWebhook(other, token, secrets, { now }))).code).toBe('BAD_MESSAGE');
    }
  });
});
