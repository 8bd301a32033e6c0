/**
 * Test harness of the Inclubit 360 dialect: real deps (RoomService, a store, prom-client registry,
 * coturn-style TURN secret) and socket.io-client 4 connections with awaitable events.
 */
import { Registry } from 'prom-client';
import { io, type Socket } from 'socket.io-client';
import { loadConfig } from '../../../src/config/load.js';
import { RoomService, type RoomEvent } from '../../../src/core/room-service.js';
import { startInclubitDialect } from '../../../src/dialects/inclubit/index.js';
import type { DialectDeps, RunningDialect } from '../../../src/dialects/types.js';
import { silentLogger } from '../../../src/observability/logger.js';
import type { Store } from '../../../src/store/store.js';
import { turnFor } from './workspaces-harness.js';
import { unrefTimers } from '../../../src/core/timers.js';

export const INCLUBIT_TURN_SECRET = 'rihanna is a good singer';
export const ADMIN = { user: 'adminuser', password: 'such-secret-wow-ärbäst' };

export interface InclubitHarness {
  deps: DialectDeps;
  dialect: RunningDialect;
  signalingUrl: string;
  authUrl: string;
  events: RoomEvent[];
  close(): Promise<void>;
}

export async function startInclubit(store: Store, env: Record<string, string> = {}): Promise<InclubitHarness> {
  const config = loadConfig({
    env: {
      PARLEY_HOST: '127.0.0.1',
      PARLEY_INCLUBIT_PORT: '0',
      PARLEY_INCLUBIT_AUTH_PORT: '0',
      PARLEY_DIALECTS: 'inclubit',
      PARLEY_INCLUBIT_ADMIN_USER: ADMIN.user,
      PARLEY_INCLUBIT_ADMIN_PASSWORD: ADMIN.password,
      ...env,
    },
    overrides: { 'auth.failuresPerMinute': '10000' },
  });
  const events: RoomEvent[] = [];
  const rooms = new RoomService({
    defaults: { defaultType: 'p2p', maxParticipants: 100, sfuMaxParticipants: 100, emptyTimeout: 300, autoCreate: false },
    clock: Date.now,
    timers: unrefTimers,
    onEvent: (e) => events.push(e),
  });
  const deps: DialectDeps = { config, rooms, store, logger: silentLogger(), registry: new Registry(), turn: turnFor(INCLUBIT_TURN_SECRET) };
  const dialect = await startInclubitDialect(deps);
  return {
    deps,
    dialect,
    signalingUrl: `http://127.0.0.1:${dialect.ports.socketio}`,
    authUrl: `http://127.0.0.1:${dialect.ports.auth}`,
    events,
    close: () => dialect.close(),
  };
}

export function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}` };
}

/** A socket.io 4 client recording every event. */
export class Peer {
  readonly received: Array<{ event: string; args: unknown[] }> = [];
  private waiters: Array<{ event: string; from: number; resolve: (args: unknown[]) => void }> = [];

  private constructor(readonly socket: Socket) {
    socket.onAny((event: string, ...args: unknown[]) => {
      this.received.push({ event, args });
      const index = this.received.length - 1;
      this.waiters = this.waiters.filter((w) => {
        if (w.event !== event || index < w.from) return true;
        w.resolve(args);
        return false;
      });
    });
  }

  static async connect(url: string): Promise<Peer> {
    const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return new Peer(socket);
  }

  get id(): string {
    return this.socket.id ?? '';
  }

  /** The first argument of the next `event` after `mark`. */
  next<T = unknown>(event: string, mark = this.received.length, timeoutMs = 5000): Promise<T> {
    const seen = this.received.slice(mark).find((r) => r.event === event);
    if (seen) return Promise.resolve(seen.args[0] as T);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for "${event}"`)), timeoutMs);
      this.waiters.push({ event, from: mark, resolve: (args) => (clearTimeout(timer), resolve(args[0] as T)) });
    });
  }

  /** Emits with an ack callback and resolves with the ack's argument. */
  request<T = unknown>(event: string, ...args: unknown[]): Promise<T> {
    return this.socket.timeout(5000).emitWithAck(event, ...args) as Promise<T>;
  }

  all(event: string): unknown[] {
    return this.received.filter((r) => r.event === event).map((r) => r.args[0]);
  }

  /** A round trip: every event the server sent before is in `received` afterwards. */
  async barrier(): Promise<void> {
    await this.request('leave', '__parley_barrier__');
  }

  close(): void {
    this.socket.close();
  }
}
