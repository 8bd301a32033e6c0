/** State of one allocation (RFC 8656 §2.2): relay address, permissions, channels, RFC 6062 connections. */
import type { TransportAddress } from '../stun/address.js';
import type { Source } from './types.js';

export interface Channel {
  readonly number: number;
  readonly peer: TransportAddress;
  readonly peerKey: string;
  expires: number;
}

export interface TcpConnection {
  readonly id: number;
  readonly peer: TransportAddress;
  state: 'connecting' | 'waiting_bind' | 'bound';
  /** For 'connecting': the Connect request to answer. */
  connectTid?: Buffer | undefined;
  connectFingerprint?: boolean;
  /** Deadline of ConnectionBind (ms). */
  bindDeadline: number;
}

export class Allocation {
  state: 'pending' | 'active' = 'pending';
  /** Relayed transport addresses, one per family (two for a dual allocation). */
  relays: readonly TransportAddress[] = [];
  expires: number;
  /** Peer IP → expiry (ms). Permissions ignore the port (RFC 8656 §9). */
  readonly permissions = new Map<string, number>();
  readonly channels = new Map<number, Channel>();
  readonly channelByPeer = new Map<string, Channel>();
  readonly tcp = new Map<number, TcpConnection>();
  /** Last Allocate transaction and its success response, for retransmissions (§7.2). */
  allocateTid: Buffer;
  allocateResponse: Buffer | undefined;
  allocateFingerprint: boolean;
  reservationToken: Buffer | undefined;
  /**
   * The last other request of this allocation's client over UDP (Refresh, CreatePermission,
   * ChannelBind) and the response sent: a retransmission gets the same bytes (RFC 8489 §6.3.1).
   */
  lastTid: Buffer | undefined;
  lastResponse: Buffer | undefined;
  /** A dual allocation was asked for but there is no IPv6 relay: answer with ADDRESS-ERROR-CODE 440. */
  additionalRefused = false;
  /** Bandwidth bucket (bytes). */
  budget = 0;
  budgetAt = 0;
  /**
   * The native relay engine holds this allocation's relay sockets and its one bandwidth budget
   * (ChannelData it relays itself, Send indications handed to it): the core neither spends nor counts
   * what it passes on.
   */
  meteredNatively = false;

  constructor(
    readonly id: number,
    readonly source: Source,
    readonly username: string,
    readonly quotaUser: string,
    readonly key: Buffer,
    readonly transport: 'udp' | 'tcp',
    /** Families asked for; narrowed to the ones bound once the relay is open. */
    public families: readonly (4 | 6)[],
    lifetimeSec: number,
    now: number,
    tid: Buffer,
    fingerprint: boolean,
  ) {
    this.expires = now + lifetimeSec * 1000;
    this.allocateTid = Buffer.from(tid);
    this.allocateFingerprint = fingerprint;
  }

  hasFamily(f: 4 | 6): boolean {
    return this.families[0] === f || this.families[1] === f;
  }

  hasPermission(ip: string, now: number): boolean {
    const e = this.permissions.get(ip);
    return e !== undefined && e > now;
  }
}
