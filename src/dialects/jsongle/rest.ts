/**
 * The monitoring REST API of the original, on its own port: /about, /health and /ping, /tests,
 * /stats, /metrics (with Prometheus' content type), /telemetry, PUT /logs/levels and GET /logs.
 * CORS is open, as the original's `cors()` was.
 */
import { statfs } from 'node:fs/promises';
import os from 'node:os';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { LOG_LEVELS, type DialectLog } from './logs.js';
import type { JsongleMetrics } from './metrics.js';
import { PROTOCOL_INFO, PROTOCOL_NAME, PROTOCOL_VERSION } from './protocol.js';

export interface RestOptions {
  registry: Registry;
  metrics: JsongleMetrics;
  log: DialectLog;
  startedAt: Date;
  ports: () => { restPort: number; wsPort: number };
  useSSL: boolean;
  tls: { cert: Buffer; key: Buffer } | undefined;
  /** Self-check for /tests: true when the signaling side can take connections. */
  selfCheck: () => boolean;
  /** Folder whose disk /telemetry reports. */
  diskPath: string;
}

const BAD_LEVEL = "value provided is not accepted. Should be 'trace', 'debug', 'info', 'warn', 'error' or 'fatal'";
const levelBody = z.object({ level: z.enum(LOG_LEVELS) });

const percent = (part: number, whole: number): number => (whole > 0 ? Math.round((part / whole) * 10000) / 100 : 0);

async function telemetry(diskPath: string): Promise<Record<string, number | string>> {
  const started = Date.now();
  const disk = await statfs(diskPath).catch(() => statfs('.'));
  const cpus = Math.max(os.cpus().length, 1);
  const load = os.loadavg()[0] ?? 0;
  return {
    memoryFree: percent(os.freemem(), os.totalmem()),
    diskFree: percent(disk.bavail, disk.blocks),
    cpuFree: Math.max(0, Math.round((1 - load / cpus) * 10000) / 100),
    uptime: new Date(Date.now() - os.uptime() * 1000).toJSON(),
    executionTime: Date.now() - started,
    system: `${os.arch()}:${os.platform()}-${os.release()}`,
  };
}

export async function createRestApp(opts: RestOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    ...(opts.tls ? { https: opts.tls } : {}),
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;

  app.addHook('onRequest', async (req, reply) => {
    reply.header('access-control-allow-origin', '*');
    if (req.method === 'OPTIONS') {
      reply.header('access-control-allow-methods', 'GET,HEAD,PUT,PATCH,POST,DELETE');
      reply.header('access-control-allow-headers', req.headers['access-control-request-headers'] ?? '*');
      await reply.code(204).send();
    }
  });
  app.setErrorHandler((err, _req, reply) => {
    const status = typeof (err as { statusCode?: unknown }).statusCode === 'number' ? (err as { statusCode: number }).statusCode : 500;
    if (status >= 500) opts.log.error({ err: String(err) }, 'REST request failed');
    void reply.code(status).send({ errorCode: status >= 500 ? 500001 : 400001, errorMsg: status >= 500 ? 'internal error' : (err as Error).message });
  });

  app.get('/about', async () => {
    const { restPort, wsPort } = opts.ports();
    return {
      name: PROTOCOL_NAME,
      version: PROTOCOL_VERSION,
      description: PROTOCOL_INFO,
      started: opts.startedAt.toJSON(),
      configuration: { restPort, wsPort, useSSL: opts.useSSL },
      implementation: 'parley',
    };
  });

  const health = async () => ({ status: 'OK' });
  app.get('/health', health);
  app.get('/ping', health);

  app.get('/tests', async (_req, reply) => {
    const started = Date.now();
    const ok = opts.selfCheck();
    return reply.code(ok ? 200 : 503).send({ score: ok ? 100 : 0, executionTime: Date.now() - started });
  });

  app.get('/stats', async () => opts.metrics.stats());

  app.get('/metrics', async (_req, reply) => {
    const text = await opts.registry.metrics();
    return reply.header('content-type', opts.registry.contentType).send(text);
  });

  app.get('/telemetry', async (_req, reply) => {
    try {
      return await telemetry(opts.diskPath);
    } catch {
      return reply.code(400).send({ errorCode: 400001, errorMsg: "can't get the health measure" });
    }
  });

  app.put('/logs/levels', async (req, reply) => {
    const body = levelBody.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ errorCode: 400001, errorMsg: BAD_LEVEL });
    const was = opts.log.setLevel(body.data.level);
    return { level: body.data.level, was };
  });

  app.get('/logs', async (_req, reply) =>
    reply.header('content-type', 'application/x-ndjson; charset=utf-8').header('content-disposition', 'attachment; filename="jsongle-server.log"').send(opts.log.text()),
  );

  return app;
}
