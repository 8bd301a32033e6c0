/** What the protocol core takes in (sources, options) and gives out (actions); no sockets here. */
import type { TransportAddress } from '../stun/address.js';

export type ClientTransport = 'udp' | 'tcp' | 'tls' | 'dtls';

/** UDP and DTLS carry one message per datagram/record (no ChannelData padding, no RFC 6062 control connection). */
export const isDatagram = (t: ClientTransport): boolean => t === 'udp' || t === 'dtls';

/** The client side of a 5-tuple: `key` is unique per UDP address or per TCP/TLS connection or DTLS session. */
export interface Source {
  readonly key: string;
  readonly transport: ClientTransport;
  readonly address: TransportAddress;
}

export type Action =
  /** Send bytes to the client over the transport it came in on. */
  | { readonly kind: 'send'; readonly to: Source; readonly data: Buffer }
  /** Send `data` from the allocation's UDP relay socket to `peer`. */
  | { readonly kind: 'relay'; readonly alloc: number; readonly peer: TransportAddress; readonly data: Buffer }
  /** Open the relay socket of a new allocation; answer with TurnCore.relayOpened(). */
  | {
      readonly kind: 'openRelay';
      readonly alloc: number;
      readonly transport: 'udp' | 'tcp';
      /** One family, or two for a dual allocation (RFC 8656 §7.2 ADDITIONAL-ADDRESS-FAMILY: [4, 6]). */
      readonly families: readonly (4 | 6)[];
      readonly evenPort: boolean;
      readonly reserveNext: boolean;
      readonly token: Buffer | undefined;
    }
  | { readonly kind: 'closeRelay'; readonly alloc: number }
  /** RFC 6062: open a TCP connection from the relay to `peer`; answer with TurnCore.tcpConnected(). */
  | { readonly kind: 'tcpConnect'; readonly alloc: number; readonly connectionId: number; readonly peer: TransportAddress }
  /** RFC 6062: from now on pipe the client data connection `to` and the peer connection raw. */
  | { readonly kind: 'tcpBind'; readonly to: Source; readonly alloc: number; readonly connectionId: number }
  | { readonly kind: 'tcpClose'; readonly alloc: number; readonly connectionId: number }
  /** Close a client connection (TCP/TLS) after sending what was queued. */
  | { readonly kind: 'closeSource'; readonly to: Source };

export type RelayResult =
  /**
   * One relayed address per family bound, in the order asked. When the additional family of a dual
   * allocation could not be bound, `additionalError` says why (sent as ADDRESS-ERROR-CODE).
   */
  | { ok: true; relays: readonly TransportAddress[]; token?: Buffer | undefined; additionalError?: 440 | 508 }
  | { ok: false; code: 440 | 508 };

/** Shared allocation quota (per user and total); may be backed by shared memory across workers. */
export interface Quota {
  tryAcquire(user: string): boolean;
  release(user: string): void;
}

export interface CoreOptions {
  realm: string;
  users: ReadonlyMap<string, string>;
  secret?: string | undefined;
  software?: string | undefined;
  allowLoopbackPeers: boolean;
  allowPeers: readonly string[];
  denyPeers: readonly string[];
  /** The SFU's own media endpoints, relayed to despite the deny list (policy.ts). */
  internalPeers?: { readonly addresses: readonly string[]; readonly portMin: number; readonly portMax: number } | undefined;
  maxPermissionsPerAllocation: number;
  /** bits/s per allocation, 0 = unlimited. */
  maxBitrate: number;
  /** Whether an IPv6 relay address exists (else REQUESTED-ADDRESS-FAMILY IPv6 gets 440, ADDITIONAL-ADDRESS-FAMILY an ADDRESS-ERROR-CODE 440). */
  ipv6Relay: boolean;
  quota: Quota;
  nonceLifetimeMs?: number;
  nonceKey?: Buffer;
  /** First allocation id (workers use disjoint ranges). */
  allocIdBase?: number;
}

export const Lifetime = {
  allocationDefault: 600,
  allocationMax: 3600,
  permission: 300,
  channel: 600,
  connectionBindTimeout: 30,
} as const;
