/**
 * Peer address policy: which peers a client may relay to (RFC 8656 §21.1, "TURN as an open proxy").
 * Addresses are canonicalised first (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16)
 * so an IPv4 address cannot be smuggled past the deny list in an IPv6 wrapper. The allow list
 * overrides the deny list. Pure: no I/O.
 */
import { bytesToIp, ipToBytes } from '../stun/address.js';

export type RefusalReason =
  | 'invalid' | 'unspecified' | 'loopback' | 'private' | 'link_local' | 'multicast' | 'reserved'
  | 'documentation' | 'ipv6_transition' | 'configured';

interface Cidr {
  readonly bytes: Buffer;
  readonly bits: number;
  readonly reason: RefusalReason;
}

export function parseCidr(text: string, reason: RefusalReason = 'configured'): Cidr | undefined {
  const [ip = '', bitsText] = text.trim().split('/');
  const bytes = ipToBytes(ip);
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > max) return undefined;
  return { bytes, bits, reason };
}

function matches(c: Cidr, b: Buffer): boolean {
  if (c.bytes.length !== b.length) return false;
  let bits = c.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((((c.bytes[i] as number) ^ (b[i] as number)) & mask) !== 0) return false;
  }
  return true;
}

const DEFAULT_DENY: ReadonlyArray<[string, RefusalReason]> = [
  ['0.0.0.0/8', 'unspecified'], ['127.0.0.0/8', 'loopback'], ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'private'], ['169.254.0.0/16', 'link_local'], ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'], ['192.0.0.0/24', 'reserved'], ['192.0.2.0/24', 'documentation'],
  ['198.51.100.0/24', 'documentation'], ['203.0.113.0/24', 'documentation'], ['198.18.0.0/15', 'reserved'],
  ['224.0.0.0/4', 'multicast'], ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'], ['::1/128', 'loopback'], ['::ffff:0:0/96', 'ipv6_transition'],
  ['64:ff9b::/96', 'ipv6_transition'], ['2001::/23', 'reserved'], ['2001:db8::/32', 'documentation'],
  ['2002::/16', 'ipv6_transition'], ['fc00::/7', 'private'], ['fe80::/10', 'link_local'],
  ['fec0::/10', 'private'], ['ff00::/8', 'multicast'],
];

const LOOPBACK = ['127.0.0.0/8', '::1/128'];

export interface PeerPolicyOptions {
  allowLoopbackPeers: boolean;
  allowPeers: readonly string[];
  denyPeers: readonly string[];
  /**
   * This server's own media endpoints (the SFU's addresses and RTC port range): relayed to even
   * when the deny list covers the address (a private address behind a 1:1 NAT), but only on those
   * ports, so the relay cannot reach other services on the host.
   */
  internalPeers?: { readonly addresses: readonly string[]; readonly portMin: number; readonly portMax: number } | undefined;
}

export type PeerVerdict = { ok: true; canonical: string } | { ok: false; reason: RefusalReason };

/** The embedded IPv4 address of an IPv6 address that wraps one, else undefined. */
export function embeddedIpv4(b: Buffer): Buffer | undefined {
  if (b.length !== 16) return undefined;
  const zero = (from: number, to: number) => b.subarray(from, to).every((x) => x === 0);
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return b.subarray(12, 16); // ::ffff:a.b.c.d
  if (zero(0, 12) && !zero(12, 15)) return b.subarray(12, 16); // ::a.b.c.d (deprecated compat), not :: or ::1
  if (b.readUInt32BE(0) === 0x0064ff9b && zero(4, 12)) return b.subarray(12, 16); // NAT64 well-known prefix
  if (b.readUInt16BE(0) === 0x2002) return b.subarray(2, 6); // 6to4
  return undefined;
}

export class PeerPolicy {
  private readonly deny: Cidr[];
  private readonly allow: Cidr[];
  private readonly internal: Set<string>;
  private readonly internalPorts: readonly [number, number];

  constructor(opts: PeerPolicyOptions) {
    this.deny = DEFAULT_DENY.map(([c, r]) => parseCidr(c, r) as Cidr);
    for (const c of opts.denyPeers) {
      const p = parseCidr(c);
      if (!p) throw new Error(`turn.denyPeers: "${c}" is not a CIDR`);
      this.deny.push(p);
    }
    this.allow = [];
    for (const c of [...opts.allowPeers, ...(opts.allowLoopbackPeers ? LOOPBACK : [])]) {
      const p = parseCidr(c);
      if (!p) throw new Error(`turn.allowPeers: "${c}" is not a CIDR`);
      this.allow.push(p);
    }
    this.internal = new Set();
    for (const ip of opts.internalPeers?.addresses ?? []) {
      const raw = ipToBytes(ip);
      if (raw) this.internal.add(bytesToIp(embeddedIpv4(raw) ?? raw));
    }
    this.internalPorts = [opts.internalPeers?.portMin ?? 1, opts.internalPeers?.portMax ?? 0];
  }

  /**
   * `port` is given where the peer's port matters (ChannelBind, Send, Connect) and absent for
   * CreatePermission, which is per address: an internal address is then allowed, and its port is
   * checked on every path that sends.
   */
  check(ip: string, port?: number): PeerVerdict {
    const raw = ipToBytes(ip);
    if (!raw) return { ok: false, reason: 'invalid' };
    const v4 = embeddedIpv4(raw);
    const forms = v4 ? [v4, raw] : [raw];
    const canonical = bytesToIp(forms[0] as Buffer);
    if (this.internal.has(canonical)) {
      const [min, max] = this.internalPorts;
      if (port === undefined || (port >= min && port <= max)) return { ok: true, canonical };
      // other ports of this host fall through to the lists below (loopback/private: refused)
    }
    for (const f of forms) for (const c of this.allow) if (matches(c, f)) return { ok: true, canonical };
    for (const f of forms) for (const c of this.deny) if (matches(c, f)) return { ok: false, reason: c.reason };
    return { ok: true, canonical };
  }
}
