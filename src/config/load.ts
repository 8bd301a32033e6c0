/**
 * Loads the effective config. Sources, lowest first: schema defaults, a YAML file, environment
 * variables (ENV table), CLI flags. A bad value anywhere fails with one error listing every problem.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ParleyError } from '../core/errors.js';
import { configSchema, ENV, SECRET_PATHS, type Config } from './schema.js';

type Tree = Record<string, unknown>;

export interface LoadOptions {
  /** YAML file path (--config). */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Overrides as config paths, e.g. { 'server.port': '0' } (CLI flags). */
  overrides?: Record<string, unknown>;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const tree: Tree = {};
  if (opts.file) merge(tree, readYaml(opts.file));
  const env = opts.env ?? process.env;
  for (const [name, path] of Object.entries(ENV)) {
    const value = env[name];
    if (value !== undefined) setPath(tree, path, value);
  }
  for (const [dotted, value] of Object.entries(opts.overrides ?? {})) {
    if (value !== undefined) setPath(tree, dotted.split('.'), value);
  }
  return parseConfig(tree);
}

export function parseConfig(input: unknown): Config {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    throw new ParleyError('CONFIG_INVALID', formatIssues(result.error), result.error.issues);
  }
  const config = result.data;
  const problems = crossCheck(config);
  if (problems.length > 0) throw new ParleyError('CONFIG_INVALID', `invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return config;
}

function crossCheck(c: Config): string[] {
  const problems: string[] = [];
  if (Boolean(c.auth.apiKey) !== Boolean(c.auth.apiSecret)) problems.push('auth.apiKey and auth.apiSecret (PARLEY_API_KEY, PARLEY_API_SECRET) must be set together');
  if (c.auth.apiSecret && c.auth.apiSecret.length < 32) problems.push('auth.apiSecret (PARLEY_API_SECRET) must be at least 32 characters');
  if (Boolean(c.server.tlsCert) !== Boolean(c.server.tlsKey)) problems.push('server.tlsCert and server.tlsKey (PARLEY_TLS_CERT, PARLEY_TLS_KEY) must be set together');
  if (c.turn.relayPortMin > c.turn.relayPortMax) problems.push('turn.relayPortMin must not exceed turn.relayPortMax');
  for (const u of c.turn.users) if (!/^[^:]+:.+$/.test(u)) problems.push(`turn.users: "${u.split(':')[0]}:…" is not "user:password"`);
  return problems;
}

function formatIssues(error: z.ZodError): string {
  const lines = error.issues.map((i) => {
    const path = i.path.join('.');
    const envName = Object.entries(ENV).find(([, p]) => p.join('.') === path)?.[0];
    return `  - ${path || '(root)'}${envName ? ` (${envName})` : ''}: ${i.message}`;
  });
  return `invalid configuration:\n${lines.join('\n')}`;
}

function readYaml(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ParleyError('CONFIG_INVALID', `cannot read config file ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ParleyError('CONFIG_INVALID', `config file ${file} is not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ParleyError('CONFIG_INVALID', `config file ${file} must hold a mapping`);
  return doc as Tree;
}

function merge(into: Tree, from: Tree): void {
  for (const [k, v] of Object.entries(from)) {
    const cur = into[k];
    if (isTree(v) && isTree(cur)) merge(cur, v);
    else into[k] = v;
  }
}

function setPath(tree: Tree, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (!isTree(next)) node[key] = {};
    node = node[key] as Tree;
  }
  node[path[path.length - 1]!] = value;
}

function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A deep copy of the config with every secret replaced by "[redacted]". */
export function redactConfig(config: Config): unknown {
  const copy = structuredClone(config) as unknown as Tree;
  for (const path of SECRET_PATHS) {
    let node: Tree | undefined = copy;
    for (const key of path.slice(0, -1)) node = isTree(node?.[key]) ? (node[key] as Tree) : undefined;
    const last = path[path.length - 1]!;
    if (node && node[last] !== undefined) {
      const v = node[last];
      node[last] = Array.isArray(v) ? v.map((s: string) => `${String(s).split(':')[0]}:[redacted]`) : isTree(v) ? Object.fromEntries(Object.keys(v).map((k) => [k, '[redacted]'])) : '[redacted]';
    }
  }
  return copy;
}
