/**
 * Webhook signatures (docs/webhooks.md). The body is JSON; the `Authorization` header carries a
 * JWT, HS256 with the API secret, whose claims are:
 *
 *   iss     the API key (tells the receiver which secret to verify with)
 *   sha256  base64 SHA-256 of the exact body bytes
 *   iat/exp issued now, valid for 5 minutes (each delivery attempt signs afresh)
 *
 * No I/O; the time is passed in. Both sides live here so they cannot drift apart.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { decodeJwt, errors, jwtVerify, SignJWT } from 'jose';
import { ParleyError } from '../core/errors.js';
import { isWebhookEventName, type WebhookEvent } from './events.js';

export const WEBHOOK_TOKEN_TTL_SECONDS = 300;
/** Clock skew tolerated when verifying. */
export const WEBHOOK_CLOCK_TOLERANCE_SECONDS = 30;

export interface WebhookKeys {
  apiKey: string;
  apiSecret: string;
}

const encoder = new TextEncoder();
const bytes = (body: string | Uint8Array): Uint8Array => (typeof body === 'string' ? encoder.encode(body) : body);

/** Base64 SHA-256 of the body's bytes (UTF-8 for a string). */
export function bodyDigest(body: string | Uint8Array): string {
  return createHash('sha256').update(bytes(body)).digest('base64');
}

/** The `Authorization` header value for `body`: a bare JWT (no "Bearer"), as LiveKit sends it. */
export async function signWebhook(
  body: string | Uint8Array,
  keys: WebhookKeys,
  opts: { now?: number; ttlSeconds?: number } = {},
): Promise<string> {
  const iat = Math.floor((opts.now ?? Date.now()) / 1000);
  return new SignJWT({ sha256: bodyDigest(body) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(keys.apiKey)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (opts.ttlSeconds ?? WEBHOOK_TOKEN_TTL_SECONDS))
    .sign(encoder.encode(keys.apiSecret));
}

export interface VerifiedWebhook {
  /** The API key that signed it (the JWT's iss). */
  apiKey: string;
  event: WebhookEvent;
}

const invalid = (reason: string): ParleyError => new ParleyError('TOKEN_INVALID', `webhook signature invalid: ${reason}`, { reason });

function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks a received webhook: the JWT in `authHeader` (bare or "Bearer ...") must be HS256-signed
 * with the secret of its `iss` key, unexpired, and carry the SHA-256 of exactly `body` (the raw
 * request bytes, before any JSON parsing). Returns the parsed event; throws a ParleyError:
 * TOKEN_MISSING, TOKEN_UNKNOWN_KEY, TOKEN_EXPIRED, TOKEN_INVALID (bad signature, tampered body)
 * or BAD_MESSAGE (signed, but not a webhook event).
 */
export async function verifyWebhook(
  body: string | Uint8Array,
  authHeader: string | undefined,
  secretsByKey: Readonly<Record<string, string>>,
  opts: { now?: number } = {},
): Promise<VerifiedWebhook> {
  const token = authHeader?.replace(/^Bearer\s+/i, '').trim();
  if (!token) throw new ParleyError('TOKEN_MISSING', 'webhook has no Authorization header');

  let iss: string | undefined;
  try {
    iss = decodeJwt(token).iss;
  } catch {
    throw invalid('malformed token');
  }
  const secret = iss !== undefined && Object.hasOwn(secretsByKey, iss) ? secretsByKey[iss] : undefined;
  if (iss === undefined || secret === undefined) throw new ParleyError('TOKEN_UNKNOWN_KEY', `webhook signed with unknown API key ${JSON.stringify(iss ?? '')}`);

  let claims: Record<string, unknown>;
  try {
    const verified = await jwtVerify(token, encoder.encode(secret), {
      algorithms: ['HS256'],
      issuer: iss,
      requiredClaims: ['exp'],
      clockTolerance: WEBHOOK_CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(opts.now ?? Date.now()),
    });
    claims = verified.payload;
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw new ParleyError('TOKEN_EXPIRED', 'webhook signature has expired');
    throw invalid(err instanceof errors.JWSSignatureVerificationFailed ? 'bad signature' : 'token rejected');
  }
  if (typeof claims['sha256'] !== 'string' || !sameDigest(claims['sha256'], bodyDigest(body))) {
    throw invalid('body does not match the signed sha256');
  }
  return { apiKey: iss, event: parseEvent(body) };
}

/** A shallow check that the (already authenticated) body is a webhook event. */
function parseEvent(body: string | Uint8Array): WebhookEvent {
  let value: unknown;
  try {
    value = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
  } catch {
    throw new ParleyError('BAD_MESSAGE', 'webhook body is not JSON');
  }
  const v = value as Partial<Record<string, unknown>> | null;
  const room = v?.['room'] as Partial<Record<string, unknown>> | null | undefined;
  const ok =
    typeof v === 'object' && v !== null &&
    typeof v['id'] === 'string' &&
    isWebhookEventName(v['event']) &&
    typeof v['createdAt'] === 'number' &&
    typeof room === 'object' && room !== null && typeof room['name'] === 'string';
  if (!ok) throw new ParleyError('BAD_MESSAGE', 'webhook body is not a webhook event');
  return value as WebhookEvent; // trusted: signed by a holder of the secret, shape checked above
}
