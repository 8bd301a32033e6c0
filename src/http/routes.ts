/**
 * REST routes are declared as data: method, path, zod schemas for params and body, the grant
 * they require, and a handler. One function registers them on fastify (validating and
 * authorising at the boundary) and another turns the same table into the OpenAPI document.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ParleyError } from '../core/errors.js';
import type { VerifiedToken } from '../auth/tokens.js';

export type Access =
  /** No token. */
  | 'public'
  /** Any valid token. */
  | 'token'
  /** A token for which the predicate holds, given the parsed params. */
  | ((token: VerifiedToken, params: Record<string, string>) => boolean);

export interface RouteDef<P extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  summary: string;
  tag: string;
  access: Access;
  params?: P;
  body?: B;
  /** HTTP status of a success (default 200). */
  status?: number;
  handler: (ctx: { params: z.infer<P>; body: z.infer<B>; token: VerifiedToken | undefined; req: FastifyRequest }) => unknown;
}

/** Helper that keeps the handler's types tied to its schemas. */
export function route<P extends z.ZodType = z.ZodObject<{}>, B extends z.ZodType = z.ZodUndefined>(def: RouteDef<P, B>): RouteDef {
  return def as unknown as RouteDef;
}

export interface Authenticator {
  (req: FastifyRequest): Promise<VerifiedToken>;
}

export function registerRoutes(app: FastifyInstance, defs: readonly RouteDef[], authenticate: Authenticator): void {
  for (const def of defs) {
    app.route({
      method: def.method,
      url: def.url,
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        const params = parse(def.params, req.params, 'path parameters') as Record<string, string>;
        let token: VerifiedToken | undefined;
        if (def.access !== 'public') {
          token = await authenticate(req);
          if (typeof def.access === 'function' && !def.access(token, params)) throw new ParleyError('PERMISSION_DENIED');
        }
        const body = def.body ? parse(def.body, req.body ?? {}, 'request body') : undefined;
        const result = await def.handler({ params, body, token, req });
        reply.code(def.status ?? 200);
        return result ?? {};
      },
    });
  }
}

function parse(schema: z.ZodType | undefined, value: unknown, what: string): unknown {
  if (!schema) return value;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const details = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  throw new ParleyError('VALIDATION', `invalid ${what}: ${details.map((d) => `${d.path || '(root)'}: ${d.message}`).join('; ')}`, details);
}

/** The OpenAPI 3.1 document of a route table. */
export function openApiDocument(defs: readonly RouteDef[], info: { title: string; version: string }): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const def of defs) {
    const path = def.url.replace(/:(\w+)/g, '{$1}');
    const params = def.params ? (z.toJSONSchema(def.params, { io: 'input' }) as { properties?: Record<string, unknown> }) : undefined;
    paths[path] ??= {};
    paths[path][def.method.toLowerCase()] = {
      summary: def.summary,
      tags: [def.tag],
      ...(def.access === 'public' ? { security: [] } : {}),
      parameters: Object.entries(params?.properties ?? {}).map(([name, schema]) => ({ name, in: 'path', required: true, schema })),
      ...(def.body ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(def.body, { io: 'input', unrepresentable: 'any' }) } } } } : {}),
      responses: {
        [String(def.status ?? 200)]: { description: 'success' },
        default: { description: 'coded error (docs/errors.md)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['code', 'message'],
          properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
        },
      },
    },
  };
}
