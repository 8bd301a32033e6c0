/**
 * Fixtures for the JSONgle dialect tests: the dialect started on port 0 over real Parley pieces
 * (RoomService, memory store, prom-client registry), and a JSONgle client on socket.io-client 4
 * whose received messages can be awaited (no sleeps).
 */
import { Registry } from 'prom-client';
import { io, type Socket } from 'socket.io-client';
import { parseConfig } from '../../../src/config/load.js';
import { RoomService, type RoomEvent } from '../../../src/core/room-service.js';
import { startJsongleDialect } from '../../../src/dialects/jsongle/index.js';
import type { DialectDeps, RunningDialect } from '../../../src/dialects/types.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createMemoryStore } from '../../../src/store/memory.js';
import { unrefTimers } from '../../../src/core/timers.js';

export const SERVER_ID = 'jsongle-server';

export interface JsongleFixture {
  dialect: RunningDialect;
  deps: DialectDeps;
  events: RoomEvent[];
  wsUrl: string;
  restUrl: string;
  close(): Promise<void>;
}

const timers = unrefTimers;

export async function startJsongle(jsongle: Record<string, unknown> = {}, signaling: Record<string, unknown> = {}): Promise<JsongleFixture> {
  const config = parseConfig({
    server: { host: '127.0.0.1' },
    signaling,
    dialects: { enabled: ['jsongle'], jsongle: { port: 0, restPort: 0, ...jsongle } },
  });
  const events: RoomEvent[] = [];
  const store = createMemoryStore();
  const rooms = new RoomService({ defaults: config.rooms, clock: Date.now, timers, repo: store.rooms, onEvent: (e) => events.push(e) });
  const deps: DialectDeps = {
    config,
    rooms,
    store,
    logger: silentLogger(),
    registry: new Registry(),
    // A stub is enough here: JSONgle never hands out TURN credentials, so the dialect never calls it.
    turn: { secret: 'unused-by-jsongle', iceServers: () => ({ iceServers: [], expiresAt: null }) },
  };
  const dialect = await startJsongleDialect(deps);
  return {
    dialect,
    deps,
    events,
    wsUrl: `http://127.0.0.1:${dialect.ports['socketio']}`,
    restUrl: `http://127.0.0.1:${dialect.ports['rest']}`,
    async close() {
      await dialect.close();
      await store.close();
    },
  };
}

export type Msg = {
  id?: string;
  from?: string;
  to?: string;
  [k: string]: unknown;
  jsongle: { action: string; description?: Record<string, unknown> & { errorCode?: number; errorDetails?: string }; [k: string]: unknown };
};

type Pred = (m: Msg) => boolean;

export const action = (a: string, extra: (m: Msg) => boolean = () => true): Pred => (m) => m.jsongle.action === a && extra(m);

/** A JSONgle client: the socket, everything it received, and awaitable messages. */
export class JClient {
  readonly inbox: Msg[] = [];
  private waiters: Array<{ pred: Pred; resolve: (m: Msg) => void }> = [];
  /** The identity the server gave us in its hello (the socket id). */
  jid = '';
  helloTransaction = '';
  disconnected: Promise<string>;

  private constructor(readonly socket: Socket) {
    socket.on('jsongle', (m: Msg) => {
      const i = this.waiters.findIndex((w) => w.pred(m));
      if (i >= 0) {
        const [w] = this.waiters.splice(i, 1);
        w?.resolve(m);
      } else this.inbox.push(m);
    });
    this.disconnected = new Promise((resolve) => socket.once('disconnect', (reason) => resolve(String(reason))));
  }

  /** Connects and waits for the server's iq-get session-hello (not answered yet). */
  static async connect(url: string, opts: { appToken?: string; transports?: string[] } = {}): Promise<JClient> {
    const socket = io(url, {
      forceNew: true,
      reconnection: false,
      transports: opts.transports ?? ['websocket'],
      ...(opts.appToken !== undefined ? { auth: { appToken: opts.appToken } } : {}),
    });
    const client = new JClient(socket);
    const hello = await client.next(action('iq-get'));
    client.jid = String(hello.to);
    client.helloTransaction = String(hello.jsongle['transaction']);
    return client;
  }

  /** Connects and completes the hello; returns once the server acknowledged it. */
  static async identified(url: string, uid: string, dn = `User ${uid}`, opts: { appToken?: string } = {}): Promise<JClient> {
    const client = await JClient.connect(url, opts);
    client.send({ to: SERVER_ID, jsongle: { action: 'iq-result', query: 'session-hello', transaction: client.helloTransaction, description: { uid, dn } } });
    const ack = await client.next(action('ack'));
    if (ack.jsongle['status'] !== 'success') throw new Error('hello refused');
    return client;
  }

  /** The connect_error a refused connection gets. */
  static async refused(url: string, appToken?: string): Promise<Error & { data?: { reason?: string } }> {
    const socket = io(url, { forceNew: true, reconnection: false, transports: ['websocket'], ...(appToken !== undefined ? { auth: { appToken } } : {}) });
    try {
      return await new Promise((resolve, reject) => {
        socket.once('connect_error', resolve);
        socket.once('connect', () => reject(new Error('connection was accepted')));
      });
    } finally {
      socket.close();
    }
  }

  /** Emits a message; `from` is set to our jid unless given. */
  send(message: Record<string, unknown>): void {
    this.socket.emit('jsongle', { id: crypto.randomUUID(), from: this.jid, ...message });
  }

  /** Emits anything at all on the jsongle event (hostile input). */
  raw(...args: unknown[]): void {
    this.socket.emit('jsongle', ...args);
  }

  /** The first message (already received or to come) matching pred; removed from the inbox. */
  next(pred: Pred = () => true, timeoutMs = 5000): Promise<Msg> {
    const i = this.inbox.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0] as Msg);
    return new Promise((resolve, reject) => {
      const waiter = {
        pred,
        resolve: (m: Msg) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching message within ${timeoutMs} ms; inbox: ${JSON.stringify(this.inbox).slice(0, 2000)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** The next session-error. */
  error(): Promise<Msg> {
    return this.next(action('session-error'));
  }

  async join(rid: string, query: 'session-join' | 'muc-join' = 'session-join'): Promise<Msg> {
    const transaction = crypto.randomUUID();
    this.send({ to: SERVER_ID, jsongle: { action: 'iq-set', query, namespace: query === 'muc-join' ? 'muc' : 'room', transaction, description: { rid } } });
    return this.next((m) => m.jsongle['transaction'] === transaction);
  }

  async leave(rid: string): Promise<Msg> {
    const transaction = crypto.randomUUID();
    this.send({ to: SERVER_ID, jsongle: { action: 'iq-set', query: 'session-leave', transaction, description: { rid } } });
    return this.next((m) => m.jsongle['transaction'] === transaction);
  }

  close(): void {
    this.socket.close();
  }
}
