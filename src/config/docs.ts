/** Renders the config reference (docs/config.md) from the schema, so docs and code cannot drift. */
import { z } from 'zod';
import { configSchema, ENV } from './schema.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  enum?: unknown[];
  anyOf?: JsonSchema[];
}

export function renderConfigDocs(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const defaults = configSchema.parse({}) as unknown as Record<string, unknown>;
  const defaultAt = (path: string[]): unknown => path.reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], defaults);
  const envByPath = new Map(Object.entries(ENV).map(([name, path]) => [path.join('.'), name]));
  const rows: string[] = [];
  const walk = (node: JsonSchema, path: string[]) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const p = [...path, key];
      if (child.properties) {
        walk(child, p);
        continue;
      }
      const value = defaultAt(p);
      const def = value === undefined ? '' : `\`${JSON.stringify(value)}\``;
      const values = child.enum ? ` One of: ${child.enum.map((v) => `\`${String(v)}\``).join(', ')}.` : '';
      const env = envByPath.get(p.join('.'));
      const text = (child.description ?? '').replace(/\|/g, '\\|');
      rows.push(`| \`${p.join('.')}\` | ${env ? `\`${env}\`` : ''} | ${def} | ${text}${text.endsWith('.') ? '' : '.'}${values} |`);
    }
  };
  walk(schema, []);
  return `# Configuration reference

Generated from \`src/config/schema.ts\` by \`npm run docs:config\`; do not edit by hand.

Sources, lowest precedence first: the defaults below, a YAML file (\`parley start --config parley.yaml\`,
nested keys as in the first column), environment variables, CLI flags (\`--port\`, \`--host\`,
\`--data-dir\`, \`--log-level\`). A bad value fails the start with one message listing every problem.
\`parley config check\` prints the effective config with secrets redacted.

Durations accept seconds or a suffix: \`15s\`, \`10m\`, \`6h\`, \`1d\`. Lists accept a YAML list or a
comma-separated string.

| Setting | Environment | Default | Description |
|---|---|---|---|
${rows.join('\n')}
`;
}
