/** Long-term credential check of a request (RFC 8489 §9.2.4): 401 challenge, 438 stale nonce, rate-limited failures. */
import { Attr } from '../stun/constants.js';
import { checkIntegrity, getAttr, type OutAttr, type StunMessage } from '../stun/message.js';
import { Credentials, FailureLimiter, Nonces } from './auth.js';
import { failure, textAttr, type ReplyContext } from './reply.js';
import { TurnStats } from './stats.js';
import type { Action, CoreOptions, Source } from './types.js';

export interface Authed {
  username: string;
  key: Buffer;
  quotaUser: string;
}

export class Authenticator {
  private readonly creds: Credentials;
  private readonly nonces: Nonces;
  /** The REALM attribute of every 401 and 438, encoded once. */
  private readonly realm: OutAttr;
  private readonly limiter = new FailureLimiter();

  constructor(opts: CoreOptions, private readonly ctx: ReplyContext, private readonly stats: TurnStats) {
    this.creds = new Credentials({ realm: opts.realm, users: opts.users, secret: opts.secret });
    this.nonces = new Nonces(opts.nonceLifetimeMs ?? 600_000, opts.nonceKey);
    this.realm = textAttr(Attr.Realm, opts.realm);
  }

  /** The authenticated user, or undefined after pushing the error response (or dropping it) to `out`. */
  authenticate(req: StunMessage, src: Source, now: number, out: Action[]): Authed | undefined {
    if (req.integrityAt < 0) {
      out.push({ kind: 'send', to: src, data: failure(this.ctx, req, 401, this.realmAttrs(src, now)) });
      return undefined;
    }
    const user = getAttr(req, Attr.Username);
    const realm = getAttr(req, Attr.Realm);
    const nonce = getAttr(req, Attr.Nonce);
    if (!user || !realm || !nonce) {
      out.push({ kind: 'send', to: src, data: failure(this.ctx, req, 400) });
      return undefined;
    }
    if (this.nonces.check(nonce.toString('latin1'), src.address.ip, now) !== 'ok') {
      out.push({ kind: 'send', to: src, data: failure(this.ctx, req, 438, this.realmAttrs(src, now)) });
      return undefined;
    }
    const username = user.toString('utf8');
    const found = realm.toString('utf8') === this.creds.realm ? this.creds.lookup(username, now) : ({ ok: false, reason: 'wrong_realm' } as const);
    const fail = (reason: string): undefined => {
      TurnStats.bump(this.stats.authFailures, reason);
      if (this.limiter.allow(src.address.ip, now)) out.push({ kind: 'send', to: src, data: failure(this.ctx, req, 401, this.realmAttrs(src, now)) });
      else this.stats.drop('auth_rate_limited');
      return undefined;
    };
    if (!found.ok) return fail(found.reason);
    if (!checkIntegrity(req, found.key)) return fail('bad_integrity');
    return { username, key: found.key, quotaUser: found.quotaUser };
  }

  /** REALM and a NONCE for `src`, as 401 and 438 carry them. */
  private realmAttrs(src: Source, now: number): OutAttr[] {
    return [this.realm, textAttr(Attr.Nonce, this.nonces.issue(src.address.ip, now))];
  }
}
