/** Renders docs/errors.md from the error catalog, so the page lists every code the server can send. */
import { ERRORS, statusOf } from './errors.js';

export function renderErrorDocs(): string {
  const rows = Object.entries(ERRORS).map(([code, [kind, message]]) => `| \`${code}\` | ${kind} | ${statusOf(kind)} | ${message} |`);
  return `# Error codes

Generated from \`src/core/errors.ts\` by \`npm run docs:errors\`; do not edit by hand.

Every error Parley reports carries a stable \`code\`. Clients match on the code, never on the message.

- **REST**: the HTTP status below and a JSON body \`{ "code", "message", "details"? }\` (\`details\`
  lists the failing fields of a validation error as \`[{ path, message }]\`).
- **Signaling** (docs/signaling.md): a frame \`{ "type": "error", "id"?, "code", "message", "details"? }\`;
  \`id\` is the request's id when the request had one. After an error the connection keeps working,
  except \`FRAME_TOO_LARGE\` beyond four times the limit, which closes the socket with 1009.
- **Boot**: \`CONFIG_INVALID\` with every problem listed, and exit status 1.

| Code | Kind | HTTP | Meaning |
|---|---|---|---|
${rows.join('\n')}

Repeated authentication failures (\`TOKEN_*\`) from one address are slowed down: past
\`auth.failuresPerMinute\` each failure is answered after a growing delay (250 ms doubling to 2 s), and
past twice that rate with \`AUTH_RATE_LIMITED\` at once, until the minute has passed.
`;
}
