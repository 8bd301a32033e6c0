/**
 * Starts the server under test as its own process, so /proc/<pid>/stat measures it alone, in its
 * own session: Linux schedules sessions (autogroups) fairly against each other first, so the server
 * does not have to share one slice of the machine with the load generator.
 * Parley from dist/ (`node dist/cli.js start`, API key configured, TURN off), or a server script
 * compiled beside the generator (the socket.io baseline, the ws floor), which prints nothing needed:
 * readiness is an HTTP answer on its port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServerUnderTest {
  pid: number;
  origin: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Parley: the repository root whose dist/cli.js runs. Others: the compiled server script. */
  path: string;
  apiKey: string;
  apiSecret: string;
  /** Directory for a V8 CPU profile of the server process (node --cpu-prof), if wanted. */
  profileDir?: string | undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function waitHealthy(origin: string, child: ChildProcess, path: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${origin}${path}`, { signal: AbortSignal.timeout(2000) });
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server at ${origin} did not become ready`);
}

/** Detached servers outlive a crashed orchestrator unless killed on the way out. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

function stopper(child: ChildProcess, cleanup: () => void): () => Promise<void> {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return () =>
    new Promise<void>((resolve) => {
      const done = () => {
        cleanup();
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) return done();
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', () => {
        clearTimeout(force);
        done();
      });
      child.kill('SIGTERM');
    });
}

/** `parley` runs dist/cli.js under opts.path; the others run the compiled script opts.path. */
export async function startServer(kind: 'parley' | 'script', opts: StartOptions): Promise<ServerUnderTest> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const stderr: string[] = [];
  if (kind === 'parley') {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
    const args = [...(opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : []), join(opts.path, 'dist', 'cli.js'), 'start'];
    const child = spawn(process.execPath, args, {
      cwd: opts.path,
      detached: true,
      stdio: ['ignore', 'inherit', 'pipe'],
      env: {
        ...process.env,
        PARLEY_PORT: String(port),
        PARLEY_HOST: '127.0.0.1',
        PARLEY_DATA_DIR: dataDir,
        PARLEY_LOG_LEVEL: 'warn',
        PARLEY_LOG_FORMAT: 'json',
        PARLEY_API_KEY: opts.apiKey,
        PARLEY_API_SECRET: opts.apiSecret,
        // The embedded TURN server is not under test, and its ports may be in use on a shared machine.
        PARLEY_TURN_ENABLED: 'false',
        // The workload is signaling relay (the socket.io baseline has no media): P2P rooms, so a
        // join does not also open the SFU's media connections.
        PARLEY_ROOM_DEFAULT_TYPE: 'p2p',
      },
    });
    child.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
    try {
      await waitHealthy(origin, child, '/healthz');
    } catch (err) {
      child.kill('SIGKILL');
      throw new Error(`${(err as Error).message}\n${stderr.join('')}`);
    }
    return { pid: child.pid!, origin, stop: stopper(child, () => rmSync(dataDir, { recursive: true, force: true })) };
  }
  const child = spawn(process.execPath, [...(opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : []), opts.path], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' },
  });
  child.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
  try {
    await waitHealthy(origin, child, '/');
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${stderr.join('')}`);
  }
  return { pid: child.pid!, origin, stop: stopper(child, () => undefined) };
}
