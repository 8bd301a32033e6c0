/**
 * The original's security model, kept bit-compatible so tokens issued by an existing deployment
 * stay valid: HS256 JWTs (with `iat`) carrying `id`, `owner` and the misspelled `singningToken`, a
 * bcrypt hash (cost 10) of `<workspaceId>:<pin or attendeeId>:<SALT_STRING>`.
 *
 * Verified access tokens are cached (token -> claims), so a stream of icecandidate messages costs
 * one HMAC each instead of a bcrypt compare.
 */
import bcrypt from 'bcryptjs';
import { jwtVerify, SignJWT } from 'jose';
import { ALERTS, DEFAULTS } from './alerts.js';

const BCRYPT_COST = 10;
const CACHE_LIMIT = 10_000;

export interface AccessClaims {
  workspaceId: string;
  attendeeId: string;
  /** The owner claim of the token (the workspace owner's attendee id). */
  owner: string | undefined;
}

export type AccessCheck = { ok: true; claims: AccessClaims } | { ok: false; alert: string };

/** What `checkAccessToken` reads from a request; unknown because it comes straight off the wire. */
export interface AccessInput {
  workspaceId: unknown;
  attendeeId: unknown;
  accessToken: unknown;
}

export const isEntityId = (v: unknown): v is string => typeof v === 'string' && v.length > 2 && v.startsWith('_') && v.length <= 64;

export class WorkspaceTokens {
  private readonly key: Uint8Array;
  private readonly verified = new Map<string, AccessClaims>();

  constructor(
    secret: string,
    private readonly salt: string,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  /** The token shared with invitees: proves the workspace id and (through the hash) its PIN. */
  async workspaceToken(workspaceId: string, pin: string): Promise<string> {
    return this.sign({ id: workspaceId, singningToken: await bcrypt.hash(this.material(workspaceId, pin), BCRYPT_COST) });
  }

  /** An attendee's access token; `owner` is the workspace owner's attendee id. */
  async accessToken(workspaceId: string, owner: string, attendeeId: string): Promise<string> {
    return this.sign({ id: workspaceId, owner, singningToken: await bcrypt.hash(this.material(workspaceId, attendeeId), BCRYPT_COST) });
  }

  /** `attend`: the workspace id the token grants with this PIN, or undefined (bad token or PIN). */
  async verifyWorkspaceToken(token: string, pin: string): Promise<string | undefined> {
    try {
      const { id, singningToken } = await this.decode(token);
      return (await bcrypt.compare(this.material(id, pin), singningToken)) ? id : undefined;
    } catch {
      return undefined;
    }
  }

  /** The original `checkAccessToken`, step by step, with its alert strings. */
  async checkAccessToken(input: AccessInput, ownerOnly: boolean): Promise<AccessCheck> {
    const { workspaceId, attendeeId, accessToken } = input;
    if (!isEntityId(workspaceId)) return { ok: false, alert: ALERTS.workspaceId };
    if (!isEntityId(attendeeId)) return { ok: false, alert: ALERTS.attendeeId };
    let claims: AccessClaims;
    try {
      claims = await this.verifyAccess(accessToken, workspaceId, attendeeId);
    } catch (err) {
      return { ok: false, alert: err instanceof AccessDenied ? ALERTS.invalidAccess : ALERTS.badToken };
    }
    if (claims.workspaceId !== workspaceId || claims.attendeeId !== attendeeId) return { ok: false, alert: ALERTS.invalidAccess };
    if (ownerOnly && claims.owner !== attendeeId) return { ok: false, alert: ALERTS.notOwner };
    return { ok: true, claims };
  }

  private async verifyAccess(token: unknown, workspaceId: string, attendeeId: string): Promise<AccessClaims> {
    if (typeof token !== 'string' || token === '') throw new Error('jwt must be provided');
    const cached = this.verified.get(token);
    if (cached) {
      await this.decode(token); // still checks the signature and expiry, but not the bcrypt hash again
      return cached;
    }
    const decoded = await this.decode(token);
    if (decoded.id !== workspaceId) throw new AccessDenied();
    if (!(await bcrypt.compare(this.material(workspaceId, attendeeId), decoded.singningToken))) throw new AccessDenied();
    const claims: AccessClaims = { workspaceId, attendeeId, owner: decoded.owner };
    if (this.verified.size >= CACHE_LIMIT) {
      const oldest = this.verified.keys().next();
      if (!oldest.done) this.verified.delete(oldest.value);
    }
    this.verified.set(token, claims);
    return claims;
  }

  private material(workspaceId: string, secondPart: string): string {
    return [workspaceId, secondPart, this.salt].join(DEFAULTS.delimiter);
  }

  private async sign(claims: Record<string, string>): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt().sign(this.key);
  }

  private async decode(token: string): Promise<{ id: string; owner: string | undefined; singningToken: string }> {
    const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'] });
    const { id, owner, singningToken } = payload;
    if (typeof id !== 'string' || typeof singningToken !== 'string') throw new Error('token lacks id or singningToken');
    return { id, owner: typeof owner === 'string' ? owner : undefined, singningToken };
  }
}

class AccessDenied extends Error {}
