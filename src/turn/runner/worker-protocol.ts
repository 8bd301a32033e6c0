/** Messages between the main thread and relay workers (structured-clone plain data only). */
import type { StatsSnapshot } from '../core/stats.js';
import type { CoreOptions } from '../core/types.js';
import type { PortRange } from './relay-ports.js';

export interface WorkerInit {
  core: Omit<CoreOptions, 'quota' | 'nonceKey'>;
  quotaBuffer: SharedArrayBuffer;
  maxPerUser: number;
  maxTotal: number;
  nonceKey: Uint8Array;
  range: PortRange;
  advertisedIp: string;
  range6: PortRange | undefined;
  advertisedIp6: string | undefined;
  index: number;
  listenIp: string;
  /** IPv6 listen address (turn.listenIp6), for the connected sockets of IPv6 clients. */
  listenIp6: string | undefined;
  listenPort: number;
  /**
   * Native mode (turn.native and the addon built): this worker binds its own listening sockets on
   * listenPort with SO_REUSEPORT, so the kernel spreads clients over the workers and the main thread
   * takes no UDP; its native engine relays the UDP allocations' data.
   */
  native: boolean;
  /** Number of relay workers (RESERVATION-TOKEN byte 0 names the one holding the reserved port). */
  workers: number;
}

export type ToWorker = { t: 'pkt'; d: Uint8Array; ip: string; port: number } | { t: 'close' };

export type FromWorker =
  | { t: 'ready' }
  /** Native mode: a client datagram for worker `w` (an Allocate with its RESERVATION-TOKEN, then that client until w connects). */
  | { t: 'fwd'; w: number; ip: string; port: number; d: Uint8Array }
  | { t: 'send'; ip: string; port: number; d: Uint8Array }
  /** A datagram of another client that reached this worker's connected socket before connect(). */
  | { t: 'stray'; ip: string; port: number; d: Uint8Array }
  | { t: 'stats'; s: StatsSnapshot };
