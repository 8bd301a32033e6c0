/** Which addresses relays bind and advertise (IPv4 and IPv6), from the config and the host's interfaces. */
import dgram from 'node:dgram';
import os from 'node:os';
import type { Config } from '../../config/schema.js';

const isWildcard = (ip: string): boolean => ip === '0.0.0.0' || ip === '::';

/** The address put in XOR-RELAYED-ADDRESS: publicIp, relayIp, a concrete listenIp, else the first external IPv4. */
export function advertisedAddress(c: Config['turn']): string {
  if (c.publicIp) return c.publicIp;
  if (c.relayIp && !isWildcard(c.relayIp)) return c.relayIp;
  if (!isWildcard(c.listenIp)) return c.listenIp;
  for (const list of Object.values(os.networkInterfaces())) {
    for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) return i.address;
  }
  return '127.0.0.1';
}

const isLinkLocal6 = (ip: string): boolean => /^fe[89ab]/i.test(ip);

/**
 * The IPv6 relay address: turn.relayIp6 when it is an address, none for "none", and for "auto" a
 * concrete IPv6 listen address or else the first global (non-internal, non-link-local) IPv6 of the host.
 */
export function ipv6RelayAddress(c: Config['turn']): string | undefined {
  if (c.relayIp6 === 'none') return undefined;
  if (c.relayIp6 !== 'auto') return c.relayIp6;
  if (c.listenIp.includes(':') && !isWildcard(c.listenIp)) return c.listenIp;
  for (const list of Object.values(os.networkInterfaces())) {
    for (const i of list ?? []) if (i.family === 'IPv6' && !i.internal && !isLinkLocal6(i.address)) return i.address;
  }
  return undefined;
}

/** Whether a UDP socket can bind `ip` (an address the host really has). */
export function canBind(ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket(ip.includes(':') ? 'udp6' : 'udp4');
    s.once('error', () => (s.close(), resolve(false)));
    s.bind(0, ip, () => (s.close(), resolve(true)));
  });
}
