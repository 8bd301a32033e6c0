/**
 * Test fixtures: a whole Parley server on port 0 with a temp data dir and a configured API key,
 * token minting, and a WebSocket client that speaks protocol v1 (requests and awaited notifications).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createToken } from '../../src/auth/tokens.js';
import type { Grants } from '../../src/core/grants.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';

export const API_KEY = 'APItestkey';
export const API_SECRET = 'test-secret-test-secret-test-secret-0123';

export interface TestServer extends RunningServer {
  dataDir: string;
  wsUrl: string;
  token(identity: string, grants: Grants, opts?: { name?: string; metadata?: string; ttlSeconds?: number }): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestServer(overrides: Record<string, unknown> = {}, opts: { dataDir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'parley-test-'));
  const server = await startServer({
    env: opts.env ?? { PARLEY_API_KEY: API_KEY, PARLEY_API_SECRET: API_SECRET, PARLEY_TURN_ENABLED: 'false' },
    // media on the main thread unless a test asks for workers (a worker boots werift through tsx);
    // no admission control unless a test asks: test clients share the media thread's event loop
    overrides: { 'server.port': 0, 'server.host': '127.0.0.1', dataDir, 'rtc.workers': 0, 'rtc.maxLoad': 1, ...overrides },
    logger: silentLogger(),
  });
  return {
    ...server,
    dataDir,
    wsUrl: `ws://127.0.0.1:${server.port}/rtc`,
    token: (identity, grants, o = {}) => createToken(server.keys.primary, { identity, grants, ttlSeconds: o.ttlSeconds ?? 600, ...(o.name ? { name: o.name } : {}), ...(o.metadata ? { metadata: o.metadata } : {}) }),
    async stop() {
      await server.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type Frame = { type: string; id?: string | number; seq?: number; [k: string]: unknown };

/** A protocol v1 client for tests: request/response by id, and awaitable notifications. */
export class TestClient {
  readonly frames: Frame[] = [];
  private waiters: Array<{ pred: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  private nextId = 1;
  closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as Frame;
      this.frames.push(f);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(f)) return true;
        w.resolve(f);
        return false;
      });
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  static async connect(url: string): Promise<TestClient> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new TestClient(ws);
  }

  /** Waits for the first frame (already received or future) matching pred. */
  next(pred: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const seen = this.frames.find(pred);
    if (seen) {
      this.frames.splice(this.frames.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for a frame; got ${JSON.stringify(this.frames.slice(-5))}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (f) => {
          clearTimeout(t);
          this.frames.splice(this.frames.indexOf(f), 1);
          resolve(f);
        },
      });
    });
  }

  notification(type: string, timeoutMs?: number): Promise<Frame> {
    return this.next((f) => f.type === type && f.id === undefined, timeoutMs);
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** Sends a request and resolves with its response or error frame. */
  async request(msg: Record<string, unknown>): Promise<Frame> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ ...msg, id }));
    return this.next((f) => f.id === id && (f.type === 'response' || f.type === 'error' || f.type === 'pong'));
  }

  /** Sends a request and returns its data, failing on an error frame. */
  async ok<T = Record<string, unknown>>(msg: Record<string, unknown>): Promise<T> {
    const f = await this.request(msg);
    if (f.type !== 'response') throw new Error(`expected a response, got ${JSON.stringify(f)}`);
    return f.data as T;
  }

  async join(token: string): Promise<JoinData> {
    return this.ok<JoinData>({ type: 'join', token });
  }

  close(): void {
    this.ws.close();
  }

  /** Drops the TCP connection without a close handshake (a network failure). */
  kill(): void {
    this.ws.terminate();
  }
}

export interface JoinData {
  room: { name: string; sid: string; numParticipants: number; maxParticipants: number };
  participant: { sid: string; identity: string; name: string; metadata: string; permissions: Record<string, boolean> };
  participants: Array<{ sid: string; identity: string; tracks: unknown[] }>;
  resumeToken: string;
  resumeGrace: number;
  iceServers: unknown[];
  lastSeq?: number;
}
