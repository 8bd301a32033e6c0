/** Transport addresses and their text/byte forms (no DNS, no sockets). */
import { isIPv4, isIPv6 } from 'node:net';

export interface TransportAddress {
  readonly family: 4 | 6;
  readonly ip: string;
  readonly port: number;
}

/** Parse a literal IPv4/IPv6 address to 4 or 16 bytes; undefined when it is not a literal. */
export function ipToBytes(ip: string): Buffer | undefined {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) return undefined;
  let text = ip.includes('%') ? ip.slice(0, ip.indexOf('%')) : ip;
  const out = Buffer.alloc(16);
  // trailing dotted quad (::ffff:1.2.3.4)
  const lastColon = text.lastIndexOf(':');
  let tail: number[] = [];
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = text.slice(lastColon + 1).split('.').map(Number);
    tail = [((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0)];
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const [head = '', rest] = text.split('::');
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array<string>(8 - h.length - r.length).fill('0'), ...r];
  if (groups.length !== 8) return undefined;
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16) & 0xffff, i * 2));
  if (tail.length === 2) {
    out.writeUInt16BE(tail[0] as number, 12);
    out.writeUInt16BE(tail[1] as number, 14);
  }
  return out;
}

export function bytesToIp(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(((b[i] as number) << 8) | (b[i + 1] as number));
  // RFC 5952: compress the longest run (>= 2) of zero groups
  let bestAt = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

/** Stable map key of a transport address. */
export const addrKey = (a: TransportAddress): string => `${a.ip}|${a.port}`;
