/** TURN REST API credentials (coturn `use-auth-secret`), as Inclubit's auth server issued them. Pure. */
import { createHmac } from 'node:crypto';

export interface TurnCredentials {
  username: string;
  password: string;
}

/** username `<unix expiry>:<user>`, password base64(HMAC-SHA1(secret, username)). */
export function turnCredentials(secret: string, user: string, nowMs: number, ttlSeconds: number): TurnCredentials {
  const username = `${Math.floor(nowMs / 1000) + ttlSeconds}:${user}`;
  return { username, password: createHmac('sha1', secret).update(username).digest('base64') };
}
