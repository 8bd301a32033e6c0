/** A tiny TURN client for driving TurnCore in unit tests. */
import { randomBytes } from 'node:crypto';
import type { TransportAddress } from '../../../src/turn/stun/address.js';
import { decodeErrorCode, decodeXorAddress, encodeChannel, encodeXorAddress, u32 } from '../../../src/turn/stun/attributes.js';
import { Attr, Class, Method } from '../../../src/turn/stun/constants.js';
import { encode, getAttr, parse, type OutAttr, type StunMessage } from '../../../src/turn/stun/message.js';
import { longTermKey } from '../../../src/turn/core/auth.js';
import { TurnCore } from '../../../src/turn/core/core.js';
import { LocalQuota } from '../../../src/turn/core/quota.js';
import type { Action, CoreOptions, Source } from '../../../src/turn/core/types.js';

export const REALM = 'parley.test';

export function makeCore(over: Partial<CoreOptions> = {}): TurnCore {
  return new TurnCore({
    realm: REALM,
    users: new Map([['alice', 'secret1'], ['bob', 'secret2']]),
    secret: 'shared-secret',
    allowLoopbackPeers: false,
    allowPeers: [],
    denyPeers: [],
    maxPermissionsPerAllocation: 4,
    maxBitrate: 0,
    ipv6Relay: false,
    quota: new LocalQuota(2, 100),
    ...over,
  });
}

export const source = (port = 40000, ip = '198.51.100.7', transport: Source['transport'] = 'udp'): Source => ({
  key: `${transport}|${ip}|${port}`,
  transport,
  address: { family: 4, ip, port },
});

export function sent(actions: Action[]): StunMessage[] {
  return actions.flatMap((a) => {
    if (a.kind !== 'send') return [];
    const p = parse(a.data);
    return p.ok ? [p.msg] : [];
  });
}

export const errorCode = (m: StunMessage | undefined): number | undefined => {
  const v = m && getAttr(m, Attr.ErrorCode);
  return v ? decodeErrorCode(v)?.code : undefined;
};

export class TestClient {
  nonce = '';
  key: Buffer;
  constructor(readonly core: TurnCore, readonly src: Source, readonly user = 'alice', password = 'secret1') {
    this.key = longTermKey(user, REALM, password);
  }

  request(method: number, attrs: AttrSpec[], now: number, opts: { auth?: boolean; tid?: Buffer } = {}): { actions: Action[]; reply: StunMessage | undefined } {
    const tid = opts.tid ?? randomBytes(12);
    const all: OutAttr[] = attrs.map((a) => (typeof a === 'function' ? a(tid) : a));
    if (opts.auth !== false) {
      all.push({ type: Attr.Username, value: Buffer.from(this.user) }, { type: Attr.Realm, value: Buffer.from(REALM) }, { type: Attr.Nonce, value: Buffer.from(this.nonce) });
    }
    const buf = encode(method, Class.Request, tid, all, { key: opts.auth === false ? undefined : this.key, fingerprint: true });
    const actions = this.core.handle(buf, this.src, now);
    const reply = sent(actions)[0];
    const n = reply && getAttr(reply, Attr.Nonce);
    if (n) this.nonce = n.toString();
    return { actions, reply };
  }

  /**
   * Challenge + authenticated Allocate + relayOpened (203.0.113.9 for IPv4, 2001:db8::9 for IPv6, or
   * only the first family with `dropAdditional`); returns the first relayed address or the error code.
   */
  allocate(
    now: number,
    extra: AttrSpec[] = [],
    relayPort = 50000,
    opts: { dropAdditional?: 440 | 508 } = {},
  ): { alloc?: number; code?: number; relay?: TransportAddress; relays?: TransportAddress[]; reply?: StunMessage } {
    if (!this.nonce) this.request(Method.Allocate, [udp()], now, { auth: false });
    const r = this.request(Method.Allocate, [udp(), ...extra], now);
    const open = r.actions.find((a) => a.kind === 'openRelay');
    if (!open || open.kind !== 'openRelay') return { code: errorCode(r.reply) };
    const families = opts.dropAdditional ? open.families.slice(0, 1) : open.families;
    const bound = families.map((f, i) => (f === 4 ? { family: 4 as const, ip: '203.0.113.9', port: relayPort + i } : { family: 6 as const, ip: '2001:db8::9', port: relayPort + i }));
    const done = sent(this.core.relayOpened(open.alloc, { ok: true, relays: bound, additionalError: opts.dropAdditional }, now))[0];
    const relays = done ? done.attrs.filter((a) => a.type === Attr.XorRelayedAddress).flatMap((a) => decodeXorAddress(a.value, done.tid) ?? []) : [];
    return { alloc: open.alloc, relay: relays[0], relays, reply: done };
  }

  permission(peer: TransportAddress, now: number) {
    return this.request(Method.CreatePermission, [peerAttr(peer)], now);
  }

  channelBind(n: number, peer: TransportAddress, now: number) {
    return this.request(Method.ChannelBind, [{ type: Attr.ChannelNumber, value: encodeChannel(n) }, peerAttr(peer)], now);
  }
}

export const udp = (): OutAttr => ({ type: Attr.RequestedTransport, value: Buffer.from([17, 0, 0, 0]) });
export const lifetime = (s: number): OutAttr => ({ type: Attr.Lifetime, value: u32(s) });
export type AttrSpec = OutAttr | ((tid: Buffer) => OutAttr);

export const peerAttr = (peer: TransportAddress): AttrSpec => (tid: Buffer) => ({ type: Attr.XorPeerAddress, value: encodeXorAddress(peer, tid) });
