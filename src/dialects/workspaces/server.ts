/**
 * The socket.io runner of the webRTCWorkspaces dialect: an HTTP server (GET / answers as the
 * original did), socket.io v4 with `allowEIO3` for the original's socket.io 2 clients, and one
 * ordered queue of events per connection feeding the handler table.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import type { WorkspacesApp } from './context.js';
import { handlers } from './handlers.js';
import { CLIENT_EVENTS } from './messages.js';
import type { Outcome, WorkspacesMetrics } from './metrics.js';
import type { Session } from './state.js';

const WELCOME = '<!doctype html><title>webRTCWorkspaces</title><p>Yupiii!!! Your webRTCWorkspaces Signaling Server is up and running!</p><p>Version 1.0.1 (Parley)</p>';

/** Events waiting per connection (bcrypt makes some slow); a client flooding past this is dropped. */
const MAX_PENDING = 256;

export interface WorkspacesListener {
  port: number;
  close(): Promise<void>;
}

export async function listenWorkspaces(
  app: WorkspacesApp,
  metrics: WorkspacesMetrics,
  opts: { port: number; host: string; tls?: { cert: Buffer; key: Buffer } | undefined; limit?: (io: Server) => void },
): Promise<WorkspacesListener> {
  const welcome = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if ((req.method === 'GET' || req.method === 'HEAD') && path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : WELCOME);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not Found');
  };
  const http = opts.tls ? createHttpsServer(opts.tls, welcome) : createServer(welcome);
  const io = new Server(http, {
    allowEIO3: true,
    pingTimeout: 12_000,
    cors: { origin: true, credentials: true },
    serveClient: false,
  });
  opts.limit?.(io);
  io.on('connection', (socket) => accept(app, metrics, socket));

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port, opts.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        io.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

function accept(app: WorkspacesApp, metrics: WorkspacesMetrics, socket: Socket): void {
  const session: Session = { socket, bindings: new Map() };
  metrics.sockets.inc();
  let queue: Promise<void> = Promise.resolve();
  let pending = 0;
  const enqueue = (event: string, run: () => Promise<Outcome>, always = false): void => {
    if (pending >= MAX_PENDING && !always) {
      metrics.events.inc({ event, outcome: 'dropped' });
      return;
    }
    pending++;
    queue = queue.then(async () => {
      let outcome: Outcome;
      try {
        outcome = await run();
      } catch (err) {
        outcome = 'error';
        app.logger.error({ err, event, socket: socket.id }, 'workspaces: handler failed');
      }
      pending--;
      metrics.events.inc({ event, outcome });
    });
  };
  for (const event of CLIENT_EVENTS) {
    socket.on(event, (raw: unknown) => enqueue(event, () => handlers[event]({ app, session }, raw)));
  }
  socket.on('disconnect', () => {
    metrics.sockets.dec();
    enqueue('disconnect', async () => {
      for (const [workspaceId, attendeeId] of [...session.bindings]) {
        const ws = app.dir.get(workspaceId);
        const gone = ws && app.presence.unbind(ws, attendeeId, 'disconnected');
        if (ws && gone) ws.emitOthers(session, attendeeId, 'leave', gone.attendee);
      }
      return 'ok';
    }, true);
  });
}
