/**
 * The WebSocket runner of the native protocol: accepts upgrades on the HTTP port, turns frames
 * into validated messages, dispatches them through the handler table, and writes responses and
 * coded error frames. Keepalive pings find dead sockets; a dropped socket starts the resume grace.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { ParleyError, asParleyError } from '../core/errors.js';
import type { Metrics } from '../observability/metrics.js';
import { BEFORE_JOIN, NO_RESPONSE, SessionRegistry, handlers, type ConnectionState, type SignalingDeps } from './handlers.js';
import { clientMessage, type ClientMessage } from './protocol.js';
import type { Outbound } from './session.js';

export interface SignalingServerOptions extends SignalingDeps {
  maxFrameBytes: number;
  pingIntervalMs: number;
  metrics: Metrics;
  clientAddress: (req: IncomingMessage) => string;
}

const KNOWN_TYPES = new Set(Object.keys(handlers));

export class SignalingServer {
  readonly sessions = new SessionRegistry();
  private readonly wss: WebSocketServer;
  private readonly alive = new WeakSet<WebSocket>();
  private readonly pinger: NodeJS.Timeout;

  constructor(private readonly opts: SignalingServerOptions) {
    // Frames up to 4x the limit are read and answered with FRAME_TOO_LARGE; beyond that ws closes (1009).
    this.wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxFrameBytes * 4, perMessageDeflate: false });
    this.pinger = setInterval(() => this.pingAll(), opts.pingIntervalMs);
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
    const outbound: Outbound = {
      sendRaw: (frame) => {
        if (ws.readyState === ws.OPEN) ws.send(frame);
      },
      close: (code, reason) => ws.close(code, reason),
    };
    const conn: ConnectionState = { address: this.opts.clientAddress(req), host: hostName(req.headers.host), outbound, session: undefined };
    // Requests of one connection are handled in order, even when a handler awaits (join).
    let chain: Promise<void> = Promise.resolve();
    ws.on('pong', () => this.alive.add(ws));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      chain = chain.then(() => this.onFrame(conn, data, isBinary)).catch((err: unknown) => logger.error({ err }, 'signaling handler failed'));
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

  private async onFrame(conn: ConnectionState, data: RawData, isBinary: boolean): Promise<void> {
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
    this.opts.metrics.messagesIn.inc({ type: msg.type });
    if (!BEFORE_JOIN.has(msg.type) && (!conn.session || conn.session.isEnded)) return this.sendError(conn, msg.id, new ParleyError('NOT_JOINED'));
    try {
      const result = await this.dispatch(msg, conn);
      if (result !== NO_RESPONSE && msg.id !== undefined) conn.outbound.sendRaw(JSON.stringify({ type: 'response', id: msg.id, data: result }));
    } catch (err) {
      const e = asParleyError(err);
      if (e.code === 'INTERNAL') this.opts.logger.error({ err, type: msg.type }, 'signaling request failed');
      this.sendError(conn, msg.id, e);
    }
  }

  private dispatch(msg: ClientMessage, conn: ConnectionState): unknown {
    const handler = handlers[msg.type] as (m: ClientMessage, c: ConnectionState, d: SignalingDeps, r: SessionRegistry) => unknown;
    return handler(msg, conn, this.opts, this.sessions);
  }

  private sendError(conn: ConnectionState, id: string | number | undefined, err: ParleyError): void {
    this.opts.metrics.signalingErrors.inc({ code: err.code });
    conn.outbound.sendRaw(JSON.stringify({ type: 'error', ...(id !== undefined ? { id } : {}), ...err.toJSON() }));
  }

  private pingAll(): void {
    for (const ws of this.wss.clients) {
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
