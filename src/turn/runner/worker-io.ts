/** The client side of a relay worker: how its Shard reaches UDP clients (dgram-io.ts, native-io.ts). */
import type { NativeTurnRelay } from '../../native/turn-relay.js';
import type { Source } from '../core/types.js';
import type { ClientIo } from './shard.js';

export interface WorkerIo {
  readonly client: ClientIo;
  /** The native engine (native mode), handed to the Shard. */
  readonly native?: NativeTurnRelay | undefined;
  close(): void;
}

/** Hands a client datagram to the worker's Shard. */
export type Deliver = (buf: Buffer, src: Source) => void;

export const udpSource = (ip: string, port: number): Source => ({
  key: `udp|${ip}|${port}`,
  transport: 'udp',
  address: { family: ip.includes(':') ? 6 : 4, ip, port },
});
