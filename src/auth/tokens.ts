/**
 * Access tokens: HS256 JWTs signed with an API secret, `iss` = API key, `sub` = identity,
 * claims `name`, `metadata` and `grants`. Verification maps every failure to a coded error.
 */
import { SignJWT, jwtVerify, decodeProtectedHeader, decodeJwt, errors as joseErrors } from 'jose';
import { z } from 'zod';
import { ParleyError } from '../core/errors.js';
import type { Grants } from '../core/grants.js';

export interface ApiKey {
  key: string;
  secret: string;
}

/** All accepted keys; the first signs what the server itself issues. */
export class KeyRing {
  private readonly secrets = new Map<string, Uint8Array>();
  private readonly keys = new Map<string, ApiKey>();
  readonly primary: ApiKey;

  constructor(keys: readonly ApiKey[]) {
    if (keys.length === 0) throw new Error('KeyRing needs at least one key');
    this.primary = keys[0]!;
    for (const k of keys) {
      this.keys.set(k.key, k);
      this.secrets.set(k.key, new TextEncoder().encode(k.secret));
    }
  }

  secretOf(key: string): Uint8Array | undefined {
    return this.secrets.get(key);
  }

  find(key: string): ApiKey | undefined {
    return this.keys.get(key);
  }
}

export interface TokenOptions {
  identity: string;
  name?: string;
  metadata?: string;
  grants: Grants;
  ttlSeconds: number;
}

export interface VerifiedToken {
  identity: string;
  name: string;
  metadata: string;
  grants: Grants;
  apiKey: string;
  expiresAt: number;
}

const grantsSchema = z
  .object({
    room: z.string().min(1).max(256).optional(),
    roomJoin: z.boolean().optional(),
    roomCreate: z.boolean().optional(),
    roomList: z.boolean().optional(),
    roomAdmin: z.boolean().optional(),
    canPublish: z.boolean().optional(),
    canSubscribe: z.boolean().optional(),
    canPublishData: z.boolean().optional(),
    hidden: z.boolean().optional(),
  })
  .strict();

const claimsSchema = z.object({
  sub: z.string().min(1).max(256),
  iss: z.string().min(1),
  exp: z.number(),
  name: z.string().max(256).optional(),
  metadata: z.string().max(16 * 1024).optional(),
  grants: grantsSchema.default({}),
});

export async function createToken(key: ApiKey, opts: TokenOptions, now = Date.now()): Promise<string> {
  const iat = Math.floor(now / 1000);
  const jwt = new SignJWT({
    name: opts.name ?? opts.identity,
    ...(opts.metadata !== undefined ? { metadata: opts.metadata } : {}),
    grants: opts.grants,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(key.key)
    .setSubject(opts.identity)
    .setIssuedAt(iat)
    .setNotBefore(iat - 10)
    .setExpirationTime(iat + Math.max(1, Math.round(opts.ttlSeconds)));
  return jwt.sign(new TextEncoder().encode(key.secret));
}

export async function verifyToken(token: string | undefined, keys: KeyRing, now = Date.now()): Promise<VerifiedToken> {
  if (!token) throw new ParleyError('TOKEN_MISSING');
  let iss: unknown;
  try {
    if (decodeProtectedHeader(token).alg !== 'HS256') throw new ParleyError('TOKEN_INVALID', 'the access token must be signed with HS256');
    iss = decodeJwt(token).iss;
  } catch (err) {
    if (err instanceof ParleyError) throw err;
    throw new ParleyError('TOKEN_INVALID', 'the access token is not a JWT');
  }
  const secret = typeof iss === 'string' ? keys.secretOf(iss) : undefined;
  if (!secret) throw new ParleyError('TOKEN_UNKNOWN_KEY');
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, secret, { algorithms: ['HS256'], currentDate: new Date(now), clockTolerance: 5 }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new ParleyError('TOKEN_EXPIRED');
    throw new ParleyError('TOKEN_INVALID', 'the access token signature or claims are invalid');
  }
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) throw new ParleyError('TOKEN_INVALID', `the access token claims are invalid: ${claims.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const c = claims.data;
  return { identity: c.sub, name: c.name ?? c.sub, metadata: c.metadata ?? '', grants: c.grants, apiKey: c.iss, expiresAt: c.exp * 1000 };
}
