/**
 * Starts a Parley server as its own process (`node dist/cli.js start`, built by `npm run build`)
 * with a temp data dir and a fresh API key pair, so its CPU and memory can be read alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SpawnedParley {
  url: string;
  pid: number;
  apiKey: string;
  apiSecret: string;
  stop(): Promise<void>;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function spawnParley(opts: { host?: string; env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}): Promise<SpawnedParley> {
  const host = opts.host ?? '127.0.0.1';
  const port = await freePort(host);
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-loadtest-'));
  const apiKey = 'APIloadtest';
  const apiSecret = randomBytes(24).toString('hex');
  const child: ChildProcess = spawn(process.execPath, [...(opts.nodeArgs ?? []), 'dist/cli.js', 'start'], {
    env: {
      ...process.env,
      PARLEY_PORT: String(port), PARLEY_HOST: host, PARLEY_DATA_DIR: dataDir,
      PARLEY_API_KEY: apiKey, PARLEY_API_SECRET: apiSecret,
      PARLEY_TURN_ENABLED: 'false', PARLEY_LOG_LEVEL: 'warn', PARLEY_LOG_FORMAT: 'json',
      ...opts.env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://${host}:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`parley exited with ${child.exitCode} during start`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 100) throw new Error('parley did not answer /healthz within 20 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url, pid: child.pid!, apiKey, apiSecret,
    async stop() {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 8000);
      await exited;
      clearTimeout(t);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
