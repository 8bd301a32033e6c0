/**
 * The socket.io runner: its own HTTP(S) server, socket.io v4 with allowEIO3, the connect-time
 * refusals (appToken, maxUsers) as socket.io connect_errors, the server's session-hello, and the
 * `jsongle` event into dispatch(). Everything the protocol decides lives in dispatch/handlers/rooms.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Server as IoServer, type Socket } from 'socket.io';
import { z } from 'zod';
import { fail, type Ctx } from './context.js';
import { dispatch } from './dispatch.js';
import type { DialectLog } from './logs.js';
import { helloRequest, type Outbound } from './messages.js';
import type { JsongleMetrics } from './metrics.js';
import { ERROR_CODES, JSONGLE_EVENT, MAX_TRANSPORT_BYTES, PROTOCOL_INFO, PROTOCOL_VERSION } from './protocol.js';
import type { JsongleRooms } from './rooms.js';
import { JsongleSession, type Sessions } from './session.js';

export interface SocketServerOptions {
  serverId: string;
  /** Unset: no token required. */
  appToken: string | undefined;
  maxUsers: number;
  corsOrigin: string;
  tls: { cert: Buffer; key: Buffer } | undefined;
  sessions: Sessions;
  rooms: JsongleRooms;
  metrics: JsongleMetrics;
  log: DialectLog;
}

/** The one event, both ways; what clients send is unknown until dispatch() has validated it. */
interface ClientEvents {
  jsongle: (message: unknown) => void;
}
interface ServerEvents {
  jsongle: (message: Outbound) => void;
}
type JsongleIo = IoServer<ClientEvents, ServerEvents>;

export interface SocketServer {
  http: HttpServer;
  io: JsongleIo;
  close(): Promise<void>;
}

const authSchema = z.looseObject({ appToken: z.string().max(4096) });

/** Compares without leaking the token's content or length through timing. */
function tokenMatches(given: string, expected: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** A refusal the client sees as `connect_error` with this message (and `err.data.reason`). */
function refusal(message: string, reason: 'app_token' | 'max_users'): Error {
  return Object.assign(new Error(message), { data: { reason } });
}

/** socket.io's CORS: "*" reflects the caller's origin (credentials are allowed, as in the original). */
function corsOrigin(setting: string): boolean | string[] {
  if (setting.trim() === '*') return true;
  return setting.split(',').map((s) => s.trim()).filter(Boolean);
}

export function createSocketServer(opts: SocketServerOptions): SocketServer {
  const { sessions, metrics, log, serverId } = opts;
  const http = opts.tls ? createHttpsServer(opts.tls) : createHttpServer();
  const io: JsongleIo = new IoServer<ClientEvents, ServerEvents>(http, {
    allowEIO3: true,
    serveClient: false,
    maxHttpBufferSize: MAX_TRANSPORT_BYTES,
    cors: { origin: corsOrigin(opts.corsOrigin), methods: ['GET', 'POST'], credentials: true },
  });
  /** Sockets past the middleware but not yet connected: they hold a place under maxUsers. */
  const admitted = new Set<string>();

  io.use((socket, next) => {
    if (opts.appToken !== undefined) {
      const auth = authSchema.safeParse(socket.handshake.auth);
      if (!auth.success || !tokenMatches(auth.data.appToken, opts.appToken)) {
        metrics.refused.inc({ reason: 'app_token' });
        log.warn({ address: socket.handshake.address }, 'connection refused: bad or missing appToken');
        return next(refusal('JSONgle: connection refused, the appToken (socket.io auth { appToken }) is missing or wrong', 'app_token'));
      }
    }
    if (io.of('/').sockets.size + admitted.size >= opts.maxUsers) {
      metrics.refused.inc({ reason: 'max_users' });
      log.warn({ maxUsers: opts.maxUsers }, 'connection refused: maxUsers reached');
      return next(refusal(`JSONgle: connection refused, the server already has its maximum of ${opts.maxUsers} concurrent users`, 'max_users'));
    }
    admitted.add(socket.id);
    socket.conn.once('close', () => admitted.delete(socket.id));
    next();
  });

  io.on('connection', (socket: Socket<ClientEvents, ServerEvents>) => {
    admitted.delete(socket.id);
    const send = (message: Outbound): void => {
      metrics.sentBytes.inc(Buffer.byteLength(JSON.stringify(message)));
      socket.emit(JSONGLE_EVENT, message);
    };
    const session = new JsongleSession(socket.id, Date.now(), send);
    sessions.add(session);
    metrics.usersTotal.inc();
    log.info({ session: session.id }, 'connected');
    const ctx: Ctx = { session, serverId, rooms: opts.rooms, metrics, log };

    session.send(helloRequest(serverId, session.id, { version: PROTOCOL_VERSION, sn: serverId, info: PROTOCOL_INFO }));

    socket.on(JSONGLE_EVENT, (raw) => {
      try {
        dispatch(ctx, raw);
      } catch (err) {
        // A bug, not the client's fault; it still gets an answer and the connection stays usable.
        log.error({ session: session.id, err: String(err) }, 'message handling failed');
        fail(ctx, ERROR_CODES.BAD_PARAMETERS, 'Message could not be handled');
      }
    });

    socket.on('disconnect', (reason) => {
      opts.rooms.leaveAll(session);
      sessions.delete(session);
      metrics.connectedSeconds.inc((Date.now() - session.connectedAt) / 1000);
      log.info({ session: session.id, reason }, 'disconnected');
    });
  });

  return {
    http,
    io,
    close: () => io.close(),
  };
}
