/**
 * Long-term credentials (RFC 8489 §9.2): static users and coturn's TURN REST API shared secret
 * (username "<unix-expiry>[:user]", password base64(HMAC-SHA1(secret, username))), stateless nonces
 * that expire (438), and a per-source limiter on failed authentications. Pure, clock injected.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const longTermKey = (username: string, realm: string, password: string): Buffer =>
  createHash('md5').update(`${username}:${realm}:${password}`).digest();

export const restPassword = (secret: string, username: string): string =>
  createHmac('sha1', secret).update(username).digest('base64');

export type KeyLookup =
  | { ok: true; key: Buffer; quotaUser: string }
  | { ok: false; reason: 'unknown_user' | 'expired' };

export interface CredentialOptions {
  realm: string;
  users: ReadonlyMap<string, string>;
  secret?: string | undefined;
}

/** Bound of the per-name caches below (cleared when full). */
const MAX_CACHED = 10_000;

export class Credentials {
  private readonly staticKeys = new Map<string, Buffer>();
  /** REST usernames seen: their key (an HMAC and an MD5 to derive) and expiry, derived once. */
  private readonly restKeys = new Map<string, { key: Buffer; quotaUser: string; expiresMs: number }>();

  constructor(private readonly opts: CredentialOptions) {
    for (const [u, p] of opts.users) this.staticKeys.set(u, longTermKey(u, opts.realm, p));
  }

  get realm(): string {
    return this.opts.realm;
  }

  /** Key for `username` at time `nowMs`. Static users win over REST-shaped names. */
  lookup(username: string, nowMs: number): KeyLookup {
    const k = this.staticKeys.get(username);
    if (k) return { ok: true, key: k, quotaUser: username };
    const secret = this.opts.secret;
    if (!secret) return { ok: false, reason: 'unknown_user' };
    let rest = this.restKeys.get(username);
    if (!rest) {
      const m = /^(\d{1,12})(?::(.*))?$/s.exec(username);
      if (!m) return { ok: false, reason: 'unknown_user' };
      rest = { key: longTermKey(username, this.opts.realm, restPassword(secret, username)), quotaUser: m[2] ?? username, expiresMs: Number(m[1]) * 1000 };
      if (this.restKeys.size >= MAX_CACHED) this.restKeys.clear();
      this.restKeys.set(username, rest);
    }
    if (rest.expiresMs <= nowMs) return { ok: false, reason: 'expired' };
    return { ok: true, key: rest.key, quotaUser: rest.quotaUser };
  }
}

/** "users" config entries "user:password" to a map; the password may itself contain ':'. */
export function parseUsers(entries: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of entries) {
    const i = e.indexOf(':');
    if (i <= 0) throw new Error(`turn.users: "${e.slice(0, 20)}" is not "user:password"`);
    out.set(e.slice(0, i), e.slice(i + 1));
  }
  return out;
}

/**
 * Stateless nonces: hex(expiry ms) + HMAC(expiry, client ip); valid until expiry. The last nonce
 * issued to each client IP is remembered: issued again for a second (the 401s of a client's
 * retransmissions and of its other sockets cost no HMAC) and recognised without one.
 */
export class Nonces {
  private readonly key: Buffer;
  private readonly recent = new Map<string, { nonce: string; issued: number; expires: number }>();
  private readonly reuseMs: number;

  constructor(private readonly lifetimeMs: number, key?: Buffer) {
    this.key = key ?? randomBytes(20);
    this.reuseMs = Math.min(1000, lifetimeMs / 10);
  }

  issue(clientIp: string, nowMs: number): string {
    const r = this.recent.get(clientIp);
    if (r && nowMs >= r.issued && nowMs - r.issued < this.reuseMs) return r.nonce;
    const expires = Math.floor(nowMs + this.lifetimeMs);
    const exp = expires.toString(16).padStart(12, '0');
    const nonce = exp + this.mac(exp, clientIp);
    if (this.recent.size >= MAX_CACHED) this.recent.clear();
    this.recent.set(clientIp, { nonce, issued: nowMs, expires });
    return nonce;
  }

  /** 'ok', 'stale' (well-formed but expired: 438) or 'invalid' (forged or from another client: 438 too). */
  check(nonce: string, clientIp: string, nowMs: number): 'ok' | 'stale' | 'invalid' {
    const r = this.recent.get(clientIp);
    if (r && r.nonce === nonce) return r.expires > nowMs ? 'ok' : 'stale';
    if (nonce.length !== 12 + 24) return 'invalid';
    const exp = nonce.slice(0, 12);
    const want = Buffer.from(this.mac(exp, clientIp));
    const got = Buffer.from(nonce.slice(12));
    if (got.length !== want.length || !timingSafeEqual(got, want)) return 'invalid';
    return parseInt(exp, 16) > nowMs ? 'ok' : 'stale';
  }

  private mac(exp: string, ip: string): string {
    return createHmac('sha1', this.key).update(`${exp}|${ip}`).digest('hex').slice(0, 24);
  }
}

/** Token bucket per source IP for failed authentications; bounded map. */
export class FailureLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly burst = 30, private readonly perSecond = 5, private readonly maxSources = 10_000) {}

  /** Spend one token; false when the source is over its budget (drop the 401). */
  allow(ip: string, nowMs: number): boolean {
    let b = this.buckets.get(ip);
    if (!b) {
      if (this.buckets.size >= this.maxSources) this.prune(nowMs);
      b = { tokens: this.burst, at: nowMs };
      this.buckets.set(ip, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + ((nowMs - b.at) / 1000) * this.perSecond);
    b.at = nowMs;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private prune(nowMs: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + ((nowMs - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(k);
    if (this.buckets.size >= this.maxSources) this.buckets.clear();
  }
}
