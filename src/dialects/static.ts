/**
 * Serves a single-page app from a folder with SPA fallback, as Caddy's
 * `root * /dist/spa; try_files {path} /index.html; file_server` did for Inclubit: existing files
 * are served, any other GET/HEAD answers index.html, except under the reserved API prefixes.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export async function serveSpa(app: FastifyInstance, dir: string, reserved: readonly string[] = []): Promise<void> {
  const root = resolve(dir);
  if (!existsSync(join(root, 'index.html'))) throw new Error(`static dir ${root} has no index.html`);
  await app.register(fastifyStatic, { root, prefix: '/', wildcard: true, index: 'index.html', dotfiles: 'deny' });
  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    const isApi = reserved.some((p) => path === p.replace(/\/$/, '') || path.startsWith(p));
    if ((req.method === 'GET' || req.method === 'HEAD') && !isApi) return reply.type('text/html; charset=utf-8').sendFile('index.html');
    return reply.code(404).type('text/plain').send('Not Found');
  });
}
