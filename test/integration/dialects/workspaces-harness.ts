/**
 * Test harness of the webRTCWorkspaces dialect: real deps (RoomService, a store, prom-client
 * registry, coturn-style TURN credentials) and socket.io-client 2 connections with awaitable events.
 */
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { Registry } from 'prom-client';
import { loadConfig } from '../../../src/config/load.js';
import { RoomService, type RoomEvent } from '../../../src/core/room-service.js';
import type { DialectDeps, RunningDialect } from '../../../src/dialects/types.js';
import { startWorkspacesDialect } from '../../../src/dialects/workspaces/index.js';
import { silentLogger } from '../../../src/observability/logger.js';
import type { Store } from '../../../src/store/store.js';
import { unrefTimers } from '../../../src/core/timers.js';

export const TURN_SECRET = 'test-turn-secret';

export function turnFor(secret: string): DialectDeps['turn'] {
  return {
    secret,
    iceServers(identity) {
      const expiresAt = Date.now() + 3600_000;
      const username = `${Math.floor(expiresAt / 1000)}:${identity}`;
      const credential = createHmac('sha1', secret).update(username).digest('base64');
      return { iceServers: [{ urls: ['stun:127.0.0.1:3478'] }, { urls: ['turn:127.0.0.1:3478?transport=udp'], username, credential }], expiresAt };
    },
  };
}

export interface Harness {
  deps: DialectDeps;
  dialect: RunningDialect;
  url: string;
  events: RoomEvent[];
  close(): Promise<void>;
}

export async function startWorkspaces(store: Store, env: Record<string, string> = {}, overrides: Record<string, unknown> = {}): Promise<Harness> {
  const config = loadConfig({
    env: { PARLEY_HOST: '127.0.0.1', PARLEY_WORKSPACES_PORT: '0', PARLEY_DIALECTS: 'workspaces', ...env },
    overrides: { 'auth.failuresPerMinute': '10000', ...overrides },
  });
  const events: RoomEvent[] = [];
  const rooms = new RoomService({
    defaults: { defaultType: 'p2p', maxParticipants: 100, sfuMaxParticipants: 100, emptyTimeout: 300, autoCreate: false },
    clock: Date.now,
    timers: unrefTimers,
    onEvent: (e) => events.push(e),
  });
  const deps: DialectDeps = { config, rooms, store, logger: silentLogger(), registry: new Registry(), turn: turnFor(TURN_SECRET) };
  const dialect = await startWorkspacesDialect(deps);
  const url = `http://127.0.0.1:${dialect.ports.socketio}`;
  return { deps, dialect, url, events, close: () => dialect.close() };
}

/** The subset of the socket.io-client 2 socket the tests use. */
export interface V2Socket {
  id: string;
  connected: boolean;
  on(event: string, fn: (...args: unknown[]) => void): V2Socket;
  once(event: string, fn: (...args: unknown[]) => void): V2Socket;
  off(event: string, fn?: (...args: unknown[]) => void): V2Socket;
  emit(event: string, ...args: unknown[]): V2Socket;
  close(): V2Socket;
}

const require = createRequire(import.meta.url);
const ioV2 = require('socket.io-client-v2') as (url: string, opts: Record<string, unknown>) => V2Socket;

/** A socket.io 2 client that records every event, so tests can await or assert on them. */
export class Client {
  readonly received: Array<{ event: string; data: unknown }> = [];
  private waiters: Array<{ event: string; resolve: (data: unknown) => void; from: number }> = [];

  private iceRequests = 0;

  private constructor(readonly socket: V2Socket) {
    const emit = socket.emit.bind(socket);
    socket.emit = (event: string, ...args: unknown[]) => {
      if (event === 'iceservers') this.iceRequests++;
      return emit(event, ...args);
    };
    const events = ['alert', 'iceservers', 'created', 'destroyed', 'attendance-granted', 're-attendance-granted', 'attend', 'leave', 'kicked', 'ring', 'answer', 'busy', 'hangup', 'full', 'icecandidate', 'negotiation', 'mic-toggle', 'cam-toggle', 'attendees'];
    for (const event of events) {
      socket.on(event, (data: unknown) => {
        this.received.push({ event, data });
        const index = this.received.length - 1;
        this.waiters = this.waiters.filter((w) => {
          if (w.event !== event || index < w.from) return true;
          w.resolve(data);
          return false;
        });
      });
    }
  }

  static async connect(url: string, transports: string[] = ['websocket'], extra: Record<string, unknown> = {}): Promise<Client> {
    const socket = ioV2(url, { transports, forceNew: true, reconnection: false, ...extra });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => reject(err instanceof Error ? err : new Error(String(err))));
    });
    return new Client(socket);
  }

  /** The next `event` received after `mark` (default: from now), with a bounded wait. */
  next<T = unknown>(event: string, mark = this.received.length, timeoutMs = 5000): Promise<T> {
    const seen = this.received.slice(mark).find((r) => r.event === event);
    if (seen) return Promise.resolve(seen.data as T);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for "${event}"`)), timeoutMs);
      this.waiters.push({ event, from: mark, resolve: (d) => (clearTimeout(timer), resolve(d as T)) });
    });
  }

  /** Emits and waits for `reply` (received after the emit). */
  request<T = unknown>(event: string, payload: unknown, reply: string): Promise<T> {
    const mark = this.received.length;
    this.socket.emit(event, payload);
    return this.next<T>(reply, mark);
  }

  /** Events named `event` received so far. */
  all(event: string): unknown[] {
    return this.received.filter((r) => r.event === event).map((r) => r.data);
  }

  /** A round trip through the server: every event the server sent this client before is in `received`. */
  async barrier(): Promise<void> {
    this.socket.emit('iceservers', {});
    const want = this.iceRequests;
    while (this.all('iceservers').length < want) await this.next('iceservers');
  }

  close(): void {
    this.socket.close();
  }
}
