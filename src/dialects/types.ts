/**
 * What every compatibility dialect receives from the composition root, and what it returns.
 * A dialect is a thin adapter: its protocol in, Parley's rooms and participants underneath.
 */
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { RoomService } from '../core/room-service.js';
import type { Logger } from '../observability/logger.js';
import type { IceServer } from '../signaling/protocol.js';
import type { Store } from '../store/store.js';

export interface DialectDeps {
  config: Config;
  rooms: RoomService;
  store: Store;
  logger: Logger;
  /** prom-client registry; dialect metrics are named parley_<dialect>_*. */
  registry: Registry;
  turn: {
    /** The TURN REST API shared secret (coturn use-auth-secret), also used by Parley's own TURN. */
    secret: string;
    /** STUN/TURN servers with fresh credentials for `identity`. */
    iceServers(identity: string): { iceServers: IceServer[]; expiresAt: number | null };
  };
}

export interface RunningDialect {
  name: string;
  /** Bound ports by role, e.g. { socketio: 8080, rest: 8081 } (config may say 0). */
  ports: Record<string, number>;
  close(): Promise<void>;
}
