/**
 * The HTTP face of Parley on one port: REST admin API (/api), health (/healthz, /readyz),
 * Prometheus (/metrics), the OpenAPI document, and the demo app (static files at /). WebSocket
 * upgrades on the same server are routed to signaling by server.ts.
 */
import { existsSync } from 'node:fs';
import type { ServerOptions as HttpsOptions } from 'node:https';
import Fastify, { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { z } from 'zod';
import { ParleyError } from '../core/errors.js';
import { createToken, verifyToken, type KeyRing } from '../auth/tokens.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { IceServer } from '../signaling/protocol.js';
import { openApiDocument, registerRoutes, route, type RouteDef } from './routes.js';

export interface HttpDeps {
  logger: Logger;
  metrics: Metrics;
  keys: KeyRing;
  version: string;
  https?: HttpsOptions | undefined;
  trustProxy: boolean;
  /** Folder of the built demo app and SDK (dist/public). */
  publicDir: string;
  /** Routes of the admin API (rooms, participants). */
  routes: RouteDef[];
  iceServers: (identity: string, host: string) => { iceServers: IceServer[]; expiresAt: number | null };
  /** Development mode: issue demo tokens at POST /api/dev/token. */
  devTokens: boolean;
  /** Where clients connect the signaling WebSocket, given the request's host. */
  signalingUrl: (req: FastifyRequest) => string;
  authFailed: (address: string, err: ParleyError) => Promise<never>;
  ready: () => { ready: boolean; checks: Record<string, boolean> };
}

const devTokenBody = z
  .object({
    room: z.string().min(1).max(256).regex(/^[^\s/]+$/, 'room names have no spaces or slashes'),
    name: z.string().trim().min(1).max(64),
    identity: z.string().min(1).max(256).optional(),
  })
  .strict();

export async function createHttpApp(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger.child({ module: 'http' }),
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: deps.trustProxy,
    bodyLimit: 1024 * 1024,
    ...(deps.https ? { https: deps.https } : {}),
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;

  app.setErrorHandler((err, req, reply) => {
    const e = toParleyError(err);
    if (e.code === 'INTERNAL') req.log.error({ err }, 'request failed');
    reply.code(e.status).send(e.toJSON());
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send(new ParleyError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`).toJSON());
  });
  app.addHook('onResponse', async (req, reply) => {
    const routeUrl = req.routeOptions.url ?? 'unmatched';
    if (!routeUrl.startsWith('/api')) return;
    deps.metrics.httpRequests.inc({ route: `${req.method} ${routeUrl}`, status: String(reply.statusCode) });
    deps.metrics.httpDuration.observe({ route: `${req.method} ${routeUrl}` }, reply.elapsedTime / 1000);
  });

  const authenticate = async (req: FastifyRequest) => {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    try {
      return await verifyToken(token, deps.keys);
    } catch (err) {
      return deps.authFailed(req.ip, err instanceof ParleyError ? err : new ParleyError('TOKEN_INVALID'));
    }
  };

  const routes: RouteDef[] = [
    ...deps.routes,
    route({
      method: 'GET', url: '/api/ice-servers', tag: 'ice', summary: 'STUN/TURN servers with fresh credentials for the token holder', access: 'token',
      handler: ({ token, req }) => {
        const ice = deps.iceServers(token!.identity, req.hostname.replace(/^\[(.*)\]$/, '$1').replace(/:\d+$/, ''));
        return { iceServers: ice.iceServers, expiresAt: ice.expiresAt };
      },
    }),
    route({
      method: 'POST', url: '/api/dev/token', tag: 'development', summary: 'Issue a join token (development mode only, for the demo)', access: 'public',
      body: devTokenBody,
      handler: async ({ body, req }) => {
        if (!deps.devTokens) throw new ParleyError('DEV_TOKENS_DISABLED');
        const identity = body.identity ?? `${body.name.replace(/[^\w-]/g, '').slice(0, 24) || 'guest'}-${Math.random().toString(36).slice(2, 8)}`;
        const token = await createToken(deps.keys.primary, {
          identity,
          name: body.name,
          grants: { room: body.room, roomJoin: true, canPublish: true, canSubscribe: true, canPublishData: true },
          ttlSeconds: 6 * 3600,
        });
        return { token, identity, url: deps.signalingUrl(req) };
      },
    }),
  ];
  registerRoutes(app, routes, authenticate);
  const openapi = openApiDocument(routes, { title: 'Parley admin API', version: deps.version });
  app.get('/api/openapi.json', async () => openapi);

  app.get('/healthz', async () => ({ status: 'ok', version: deps.version }));
  app.get('/readyz', async (_req, reply) => {
    const r = deps.ready();
    reply.code(r.ready ? 200 : 503);
    return { status: r.ready ? 'ready' : 'not_ready', checks: r.checks };
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });

  if (existsSync(deps.publicDir)) {
    await app.register(fastifyStatic, { root: deps.publicDir, prefix: '/', index: ['index.html'] });
  } else {
    deps.logger.warn({ publicDir: deps.publicDir }, 'demo app not built (run npm run build); / will 404');
  }
  return app;
}

function toParleyError(err: unknown): ParleyError {
  if (err instanceof ParleyError) return err;
  const e = err as { code?: string; statusCode?: number; message?: string };
  if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (e.statusCode === 400 && /JSON/i.test(e.message ?? ''))) return new ParleyError('BAD_JSON', 'request body is not valid JSON');
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ParleyError('FRAME_TOO_LARGE', 'request body is too large');
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new ParleyError('VALIDATION', 'send the body as application/json');
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return new ParleyError('VALIDATION', e.message);
  return new ParleyError('INTERNAL');
}
