/**
 * Inclubit's auth API as a Fastify plugin: /admin/* (basic auth with the configured admin
 * credentials) manages users, /user/* (basic auth against the users) returns the user and TURN
 * credentials. Mounted at / on the auth port and under /auth on the signaling port (as Caddy did).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { AuthThrottle } from '../../auth/throttle.js';
import { parseBasicAuth, sameSecret } from './basic-auth.js';
import { deleteBodySchema, usersBodySchema } from './messages.js';
import type { InclubitMetrics } from './metrics.js';
import { AUTH } from './strings.js';
import { turnCredentials } from './turn.js';
import type { UserDirectory } from './users.js';

export interface AuthApiDeps {
  users: UserDirectory;
  /** Unset: every /admin request is refused (there is no default admin password in Parley). */
  admin: { user: string; password: string } | undefined;
  turn: { secret: string; ttlSeconds: number };
  throttle: AuthThrottle;
  metrics: InclubitMetrics;
  clock: () => number;
}

export function authApi(deps: AuthApiDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    await app.register(async (admin) => adminRoutes(admin, deps), { prefix: '/admin' });
    await app.register(async (user) => userRoutes(user, deps), { prefix: '/user' });
  };
}

/** Answers a failed login: 401 without a challenge (as express-basic-auth), slower under brute force. */
async function unauthorized(deps: AuthApiDeps, req: FastifyRequest, reply: FastifyReply, area: 'admin' | 'user'): Promise<FastifyReply> {
  deps.metrics.auth.inc({ area, result: 'denied' });
  const delay = deps.throttle.fail(req.ip, deps.clock());
  if (delay < 0) return reply.code(429).type('text/plain').send('too many failed logins, slow down');
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  return reply.code(401).type('text/plain').send('');
}

function body<T>(schema: z.ZodType<T>, req: FastifyRequest, reply: FastifyReply): T | undefined {
  const parsed = schema.safeParse(req.body);
  if (parsed.success) return parsed.data;
  void reply.code(400).type('text/plain').send(`invalid body: ${parsed.error.issues[0]?.message ?? 'malformed'}`);
  return undefined;
}

async function adminRoutes(app: FastifyInstance, deps: AuthApiDeps): Promise<void> {
  app.addHook('onRequest', async (req, reply) => {
    const given = parseBasicAuth(req.headers.authorization);
    const ok = deps.admin !== undefined && given !== undefined && sameSecret(given.user, deps.admin.user) && sameSecret(given.password, deps.admin.password);
    if (!ok) return unauthorized(deps, req, reply, 'admin');
    deps.metrics.auth.inc({ area: 'admin', result: 'ok' });
    return undefined;
  });

  app.all('/', async (_req, reply) => reply.type('text/plain').send(AUTH.adminHello));

  app.post('/set-users', async (req, reply) => {
    const users = body(usersBodySchema, req, reply);
    if (!users) return reply;
    const result = await deps.users.set(users).catch(() => undefined);
    if (!result) return reply.code(500).type('text/plain').send(AUTH.writeFailed);
    if (!result.ok) return reply.code(400).type('text/plain').send(result.error);
    return reply.type('text/plain').send(AUTH.usersSet);
  });

  app.get('/get-users', async (_req, reply) => {
    const users = await deps.users.list().catch(() => undefined);
    return users ? reply.send(users) : reply.code(404).type('text/plain').send(AUTH.notFound);
  });

  app.post('/add-users', async (req, reply) => {
    const users = body(usersBodySchema, req, reply);
    if (!users) return reply;
    const result = await deps.users.add(users).catch(() => undefined);
    if (!result) return reply.code(500).type('text/plain').send(AUTH.writeFailed);
    return reply.code(result.createdUsers.length === 0 ? 409 : 200).send(result);
  });

  app.post('/update-users', async (req, reply) => {
    const users = body(usersBodySchema, req, reply);
    if (!users) return reply;
    const result = await deps.users.update(users).catch(() => undefined);
    if (!result) return reply.code(500).type('text/plain').send(AUTH.crash);
    return reply.code(result.updatedUsers.length === 0 ? 404 : 200).send(result);
  });

  app.post('/delete-users', async (req, reply) => {
    const names = body(deleteBodySchema, req, reply);
    if (!names) return reply;
    const deleted = await deps.users.delete(names).catch(() => undefined);
    return deleted ? reply.send(deleted) : reply.code(500).type('text/plain').send(AUTH.crash);
  });
}

async function userRoutes(app: FastifyInstance, deps: AuthApiDeps): Promise<void> {
  const loggedIn = new WeakMap<FastifyRequest, string>();
  app.addHook('onRequest', async (req, reply) => {
    const given = parseBasicAuth(req.headers.authorization);
    const user = given && (await deps.users.verify(given.user, given.password));
    if (!given || !user) return unauthorized(deps, req, reply, 'user');
    deps.metrics.auth.inc({ area: 'user', result: 'ok' });
    loggedIn.set(req, given.user);
    return undefined;
  });

  app.get('/', async (req, reply) => {
    const user = await deps.users.get(loggedIn.get(req) ?? '');
    return user ? reply.send(user) : reply.code(404).type('text/plain').send(AUTH.noUserData);
  });

  app.get('/get-turn-credentials', async (req, reply) => {
    deps.metrics.turnCredentials.inc();
    return reply.send(turnCredentials(deps.turn.secret, loggedIn.get(req) ?? '', deps.clock(), deps.turn.ttlSeconds));
  });
}
