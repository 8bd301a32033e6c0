/**
 * The WebSocket runner of the native protocol: accepts upgrades on the HTTP port, turns frames
 * into validated messages, dispatches them through the handler table, and writes responses and
 * coded error frames. Keepalive pings find dead sockets; a dropped socket starts the resume grace.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Counter } from 'prom-client';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { ParleyError, asParleyError } from '../core/errors.js';
import type { Metrics } from '../observability/metrics.js';
import { BEFORE_JOIN, NO_RESPONSE, SessionRegistry, handlers, type ConnectionState, type SignalingDeps } from './handlers.js';
import { clientMessage, type ClientMessage } from './protocol.js';
import { TokenBucket } from './rate.js';
import type { Outbound } from './session.js';

export interface SignalingServerOptions extends SignalingDeps {
  maxFrameBytes: number;
  /** Average requests per second per connection (token bucket, burst of twice that). */
  maxMessagesPerSecond: number;
  pingIntervalMs: number;
  metrics: Metrics;
  clientAddress: (req: IncomingMessage) => string;
}

const KNOWN_TYPES = new Set(Object.keys(handlers));
/** Frames a connection may send while its join is being verified. */
const MAX_BACKLOG = 64;
const PING_SLOTS = 10;

export class SignalingServer {
  readonly sessions = new SessionRegistry();
  private readonly wss: WebSocketServer;
  private readonly alive = new WeakSet<WebSocket>();
  /** Which keepalive slot pings each socket. */
  private readonly slots = new WeakMap<WebSocket, number>();
  private tick = 0;
  private accepted = 0;
  private readonly pinger: NodeJS.Timeout;

  constructor(private readonly opts: SignalingServerOptions) {
    // Frames up to 4x the limit are read and answered with FRAME_TOO_LARGE; beyond that ws closes (1009).
    this.wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxFrameBytes * 4, perMessageDeflate: false });
    // Keepalive in PING_SLOTS steps per interval, each pinging its share of the sockets, so
    // thousands of pings never go out in one burst that requests would queue behind.
    this.pinger = setInterval(() => this.pingSlot(), opts.pingIntervalMs / PING_SLOTS);
    this.pinger.unref();
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
  }

  get connectionCount(): number {
    return this.wss.clients.size;
  }

  close(): void {
    clearInterval(this.pinger);
    for (const ws of this.wss.clients) ws.close(1001, 'server shutting down');
    this.wss.close();
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const { metrics, logger } = this.opts;
    metrics.connectionsActive.inc();
    this.alive.add(ws);
    this.slots.set(ws, this.accepted++ % PING_SLOTS);
    const outbound: Outbound = {
      sendRaw: (frame) => {
        if (ws.readyState === ws.OPEN) ws.send(frame);
      },
      close: (code, reason) => ws.close(code, reason),
    };
    const conn: ConnectionState = { address: this.opts.clientAddress(req), host: hostName(req.headers.host), outbound, session: undefined };
    const bucket = new TokenBucket(this.opts.maxMessagesPerSecond, this.opts.maxMessagesPerSecond * 2);
    // Frames are handled synchronously; only while an async handler (join) is in flight do later
    // frames wait in a bounded backlog, so the requests of one connection stay in order.
    let busy: Promise<void> | undefined;
    const backlog: Array<[RawData, boolean]> = [];
    const run = (data: RawData, isBinary: boolean): void => {
      const pending = this.onFrame(conn, data, isBinary);
      if (!pending) return;
      busy = pending
        .catch((err: unknown) => logger.error({ err }, 'signaling handler failed'))
        .then(() => {
          busy = undefined;
          while (!busy && backlog.length > 0) run(...backlog.shift()!);
        });
    };
    ws.on('pong', () => this.alive.add(ws));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!bucket.take(Date.now())) return this.sendError(conn, undefined, new ParleyError('RATE_LIMITED'));
      if (!busy) return run(data, isBinary);
      if (backlog.length >= MAX_BACKLOG) return ws.close(1008, 'too many requests while joining');
      backlog.push([data, isBinary]);
    });
    ws.on('error', (err) => logger.debug({ err: err.message, address: conn.address }, 'websocket error'));
    ws.on('close', () => {
      metrics.connectionsActive.dec();
      const session = conn.session;
      if (!session || session.isEnded) return;
      session.detach(outbound, this.opts.resumeGraceMs, this.opts.setTimer, () => {
        session.finish();
        this.opts.rooms.leave(session.participant, 'disconnected');
      });
    });
  }

  /** Handles one frame; returns a promise only when its handler is asynchronous. */
  private onFrame(conn: ConnectionState, data: RawData, isBinary: boolean): Promise<void> | undefined {
    const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data instanceof ArrayBuffer ? data.byteLength : data.length;
    if (size > this.opts.maxFrameBytes) return this.sendError(conn, undefined, new ParleyError('FRAME_TOO_LARGE', `frame of ${size} bytes exceeds the limit of ${this.opts.maxFrameBytes}`));
    if (isBinary) return this.sendError(conn, undefined, new ParleyError('BAD_MESSAGE', 'binary frames are not part of the protocol; send JSON text'));
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString());
    } catch {
      return this.sendError(conn, undefined, new ParleyError('BAD_JSON'));
    }
    const id = requestId(raw);
    const parsed = clientMessage.safeParse(raw);
    if (!parsed.success) {
      const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
      if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) {
        return this.sendError(conn, id, new ParleyError('UNKNOWN_TYPE', `unknown message type ${JSON.stringify(type ?? null)}`));
      }
      const details = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      return this.sendError(conn, id, new ParleyError('BAD_MESSAGE', `invalid "${type}" message: ${details.map((d) => `${d.path || '(root)'}: ${d.message}`).join('; ')}`, details));
    }
    const msg = parsed.data;
    this.countIn(msg.type);
    if (!BEFORE_JOIN.has(msg.type) && (!conn.session || conn.session.isEnded)) return this.sendError(conn, msg.id, new ParleyError('NOT_JOINED'));
    let result: unknown;
    try {
      result = this.dispatch(msg, conn);
    } catch (err) {
      return this.fail(conn, msg, err);
    }
    if (result instanceof Promise) return result.then((r) => this.respond(conn, msg, r), (err: unknown) => this.fail(conn, msg, err));
    this.respond(conn, msg, result);
    return undefined;
  }

  private respond(conn: ConnectionState, msg: ClientMessage, result: unknown): void {
    if (result !== NO_RESPONSE && msg.id !== undefined) conn.outbound.sendRaw(JSON.stringify({ type: 'response', id: msg.id, data: result }));
  }

  private fail(conn: ConnectionState, msg: ClientMessage, err: unknown): undefined {
    const e = asParleyError(err);
    if (e.code === 'INTERNAL') this.opts.logger.error({ err, type: msg.type }, 'signaling request failed');
    this.sendError(conn, msg.id, e);
    return undefined;
  }

  /** Per-type counters, resolved once per type instead of hashing the label set per message. */
  private readonly counters = new Map<string, Counter.Internal>();
  private countIn(type: string): void {
    let c = this.counters.get(type);
    if (!c) this.counters.set(type, (c = this.opts.metrics.messagesIn.labels({ type })));
    c.inc();
  }

  private dispatch(msg: ClientMessage, conn: ConnectionState): unknown {
    const handler = handlers[msg.type] as (m: ClientMessage, c: ConnectionState, d: SignalingDeps, r: SessionRegistry) => unknown;
    return handler(msg, conn, this.opts, this.sessions);
  }

  private sendError(conn: ConnectionState, id: string | number | undefined, err: ParleyError): undefined {
    this.opts.metrics.signalingErrors.inc({ code: err.code });
    conn.outbound.sendRaw(JSON.stringify({ type: 'error', ...(id !== undefined ? { id } : {}), ...err.toJSON() }));
    return undefined;
  }

  private pingSlot(): void {
    const slot = (this.tick = (this.tick + 1) % PING_SLOTS);
    for (const ws of this.wss.clients) {
      if (this.slots.get(ws) !== slot) continue;
      if (!this.alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.alive.delete(ws);
      ws.ping();
    }
  }
}

/** "example.com:7880" -> "example.com", "[::1]:7880" -> "::1". */
export function hostName(hostHeader: string | undefined): string {
  if (!hostHeader) return '';
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader);
  if (m) return m[1]!;
  return hostHeader.replace(/:\d+$/, '');
}

function requestId(raw: unknown): string | number | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const id = (raw as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}
