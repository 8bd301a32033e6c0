/**
 * The Inclubit 360 dialect: the signaling (socket.io 4, default port 3000) on Parley's rooms, and
 * the auth API (default port 6060) with users in Parley's store and TURN REST credentials signed
 * with Parley's TURN secret. The signaling port also serves the auth API under /auth and, when
 * configured, the single-page app, so one port replaces the original Caddy front.
 * See docs/dialects/inclubit.md.
 */
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { Server } from 'socket.io';
import { AuthThrottle } from '../../auth/throttle.js';
import { serveSpa } from '../static.js';
import type { DialectDeps, RunningDialect } from '../types.js';
import { authApi } from './auth-api.js';
import { storedUserSchema, type StoredUser } from './messages.js';
import { createInclubitMetrics } from './metrics.js';
import { InclubitRooms } from './rooms.js';
import { limitDialectEvents } from '../rate-limit.js';
import { serveSignaling } from './signaling.js';
import { SIGNALING } from './strings.js';
import { UserDirectory } from './users.js';

export const INCLUBIT_USERS_COLLECTION = 'inclubit_users';

export async function startInclubitDialect(deps: DialectDeps): Promise<RunningDialect> {
  const config = deps.config.dialects.inclubit;
  const logger = deps.logger.child({ dialect: 'inclubit' });
  const metrics = createInclubitMetrics(deps.registry);
  const throttle = new AuthThrottle(deps.config.auth.failuresPerMinute);
  const sweeper = setInterval(() => throttle.sweep(Date.now()), 60_000);
  sweeper.unref();
  const admin = config.adminUser && config.adminPassword ? { user: config.adminUser, password: config.adminPassword } : undefined;
  if (!admin) logger.warn('inclubit: PARLEY_INCLUBIT_ADMIN_USER / PARLEY_INCLUBIT_ADMIN_PASSWORD are not set, so the /admin API refuses every request');
  const api = authApi({
    users: new UserDirectory(deps.store.collection<StoredUser>(INCLUBIT_USERS_COLLECTION, storedUserSchema)),
    admin,
    turn: { secret: deps.turn.secret, ttlSeconds: config.turnCredentialTtl },
    throttle,
    metrics,
    clock: Date.now,
  });
  const host = deps.config.server.host;
  const { tlsCert, tlsKey, trustProxy } = deps.config.server;
  const https = tlsCert && tlsKey ? { cert: readFileSync(tlsCert), key: readFileSync(tlsKey) } : undefined;
  // Fastify's HTTPS overload types a different server; both are a net.Server for socket.io and listen().
  const http = (): FastifyInstance => (https ? (Fastify({ https, trustProxy, bodyLimit: 1024 * 1024 }) as unknown as FastifyInstance) : Fastify({ trustProxy, bodyLimit: 1024 * 1024 }));

  const apps: FastifyInstance[] = [];
  let io: Server | undefined;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      clearInterval(sweeper);
      io?.disconnectSockets(true);
      io?.engine.close();
      await Promise.all(apps.map((a) => a.close()));
      metrics.close();
    })());
  try {
    const front = http();
    apps.push(front);
    await front.register(api, { prefix: '/auth' });
    const staticDir = deps.config.dialects.staticDir;
    if (staticDir) await serveSpa(front, staticDir, ['/auth/', '/socket.io/']);
    else front.get('/', async (_req, reply) => reply.type('text/plain; charset=utf-8').send(SIGNALING.welcome));
    io = new Server(front.server, { cors: { origin: true, credentials: true }, serveClient: false });
    limitDialectEvents(io, 'inclubit', deps.config.signaling.maxMessagesPerSecond, deps.registry);
    serveSignaling(io, new InclubitRooms(deps.rooms), metrics, logger);
    await front.listen({ port: config.port, host });

    const auth = http();
    apps.push(auth);
    await auth.register(api);
    await auth.listen({ port: config.authPort, host });
    const ports = { socketio: boundPort(front), auth: boundPort(auth) };
    logger.info({ ...ports, staticDir }, 'Inclubit 360 dialect listening');
    return { name: 'inclubit', ports, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

function boundPort(app: FastifyInstance): number {
  const address = app.server.address();
  return typeof address === 'object' && address ? address.port : 0;
}
