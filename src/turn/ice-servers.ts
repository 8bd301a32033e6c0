/** Pure: the ICE servers handed to a client, with a TURN REST credential (coturn use-auth-secret). */
import type { Config } from '../config/schema.js';
import { restPassword } from './core/auth.js';

export interface IceServersArgs {
  config: Config['turn'];
  secret: string;
  host: string;
  identity: string;
  /** ms since epoch */
  now: number;
  tlsEnabled: boolean;
  ports?: { udp: number; tls?: number };
}

export interface IceServers {
  iceServers: Array<{ urls: string[]; username?: string; credential?: string }>;
  /** ms since epoch */
  expiresAt: number;
}

export function iceServersFor(args: IceServersArgs): IceServers {
  const { config } = args;
  const expiry = Math.floor(args.now / 1000) + Math.max(1, Math.floor(config.credentialTtl));
  const username = `${expiry}:${args.identity.replace(/:/g, '_')}`;
  const credential = restPassword(args.secret, username);
  const host = args.host.includes(':') && !args.host.startsWith('[') ? `[${args.host}]` : args.host;
  const port = args.ports?.udp ?? config.port;
  const tlsPort = args.ports?.tls ?? config.tlsPort;
  const iceServers: IceServers['iceServers'] = [];
  if (!config.externalOnly) {
    iceServers.push({ urls: [`stun:${host}:${port}`] });
    const turn = [`turn:${host}:${port}?transport=udp`, `turn:${host}:${port}?transport=tcp`];
    if (args.tlsEnabled) turn.push(`turns:${host}:${tlsPort}?transport=tcp`);
    iceServers.push({ urls: turn, username, credential });
  }
  if (config.externalUrls.length > 0) iceServers.push({ urls: [...config.externalUrls], username, credential });
  return { iceServers, expiresAt: expiry * 1000 };
}
