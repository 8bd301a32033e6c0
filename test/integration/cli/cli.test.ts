/**
 * The `parley` command: token create, config check, and a boot that fails listing every problem.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyRing, verifyToken } from '../../../src/auth/tokens.js';

const root = new URL('../../../', import.meta.url).pathname;
const SECRET = 'cli-secret-cli-secret-cli-secret-cli-secret';

function parley(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('parley CLI', () => {
  it('token create prints a JWT with the requested identity, room and grants', async () => {
    const r = parley(['token', 'create', '--room', 'standup', '--identity', 'ann', '--name', 'Ann', '--ttl', '2h', '--grants', 'roomJoin,canPublish=false'], { PARLEY_API_KEY: 'APIcli', PARLEY_API_SECRET: SECRET });
    expect(r.status, r.stderr).toBe(0);
    const t = await verifyToken(r.stdout.trim(), new KeyRing([{ key: 'APIcli', secret: SECRET }]));
    expect(t).toMatchObject({ identity: 'ann', name: 'Ann', grants: { room: 'standup', roomJoin: true, canPublish: false } });
    expect(t.expiresAt - Date.now()).toBeGreaterThan(7000_000);
  });

  it('token create refuses unknown grants and bad durations', () => {
    const env = { PARLEY_API_KEY: 'APIcli', PARLEY_API_SECRET: SECRET };
    const a = parley(['token', 'create', '--room', 'r', '--identity', 'x', '--grants', 'roomJoin,teleport'], env);
    expect(a.status).toBe(1);
    expect(a.stderr).toContain('unknown grants: teleport');
    const b = parley(['token', 'create', '--room', 'r', '--identity', 'x', '--ttl', 'soon'], env);
    expect(b.status).toBe(1);
    expect(b.stderr).toContain('--ttl');
  });

  it('token create without keys and without a generated dev key says how to get one', () => {
    const r = parley(['token', 'create', '--room', 'r', '--identity', 'x', '--data-dir', mkdtempSync(join(tmpdir(), 'parley-cli-'))]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no API key');
  });

  it('config check prints the effective config with secrets redacted', () => {
    const r = parley(['config', 'check', '--port', '9000'], { PARLEY_API_KEY: 'APIcli', PARLEY_API_SECRET: SECRET, PARLEY_TURN_USERS: 'bob:hunter2' });
    expect(r.status, r.stderr).toBe(0);
    const c = JSON.parse(r.stdout) as { server: { port: number }; auth: { apiKey: string; apiSecret: string }; turn: { users: string[] } };
    expect(c.server.port).toBe(9000);
    expect(c.auth).toMatchObject({ apiKey: 'APIcli', apiSecret: '[redacted]' });
    expect(r.stdout).not.toContain(SECRET);
    expect(r.stdout).not.toContain('hunter2');
  });

  it('start fails with a clear message when its port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = parley(['start', '--host', '127.0.0.1', '--data-dir', mkdtempSync(join(tmpdir(), 'parley-cli-'))], { PARLEY_PORT: String(port), PARLEY_TURN_ENABLED: 'false' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`HTTP port ${port} is already in use`);
      expect(r.stderr).toContain('PARLEY_PORT');
    } finally {
      blocker.close();
    }
  });

  it('start fails on bad config listing every problem, with exit status 1', () => {
    const r = parley(['start'], { PARLEY_PORT: 'x', PARLEY_LOG_LEVEL: 'chatty', PARLEY_TURN_RELAY_PORT_MIN: '70000' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('PARLEY_PORT');
    expect(r.stderr).toContain('PARLEY_LOG_LEVEL');
    expect(r.stderr).toContain('PARLEY_TURN_RELAY_PORT_MIN');
  });
});
