/** Test harness: run the TURN service in a child process, turnutils_peer, self-signed certificates. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { nativeTurnRelayAvailable } from '../../../src/native/turn-relay.js';

export const REPO = resolve(import.meta.dirname, '../../..');
export const SHARED_TURN_TOOLS = resolve(REPO, '../shared/tools/turn');

export interface RunningTurn {
  proc: ChildProcess;
  ports: { udp: number; tcp: number; tls?: number };
  /** Whether the server serves UDP clients with the native relay engine (serve.ts reports it). */
  native: boolean;
  stop(): Promise<void>;
}

/** Start bench/turn/serve.ts with turn config overrides; resolves once it prints its bound ports. */
export function startTurn(overrides: Record<string, unknown>, opts: { secret?: string; tls?: { cert: string; key: string } } = {}): Promise<RunningTurn> {
  const args = ['--import', 'tsx', join(REPO, 'bench/turn/serve.ts'), JSON.stringify(overrides)];
  if (opts.tls) args.push(opts.tls.cert, opts.tls.key);
  const proc = spawn(process.execPath, args, { cwd: REPO, env: { ...process.env, TURN_SECRET: opts.secret ?? 'test-secret' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  return new Promise((resolvePromise, reject) => {
    const rl = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
    rl.once('line', (line) => {
      const { ports, native } = JSON.parse(line) as { ports: RunningTurn['ports']; native: boolean };
      resolvePromise({
        proc,
        ports,
        native,
        stop: () => stopProcess(proc),
      });
    });
    proc.once('exit', (code) => reject(new Error(`turn service exited with ${code}: ${stderr}`)));
  });
}

export function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.once('exit', () => (clearTimeout(t), r()));
    proc.kill('SIGTERM');
  });
}

/**
 * What the default config selects on this machine: the native relay engine when the addon is built
 * and there are relay workers (more than one core, turn.workers 0).
 */
export function nativeByDefault(): boolean {
  return nativeTurnRelayAvailable() && availableParallelism() > 1;
}

/** Start turnutils_peer on 127.0.0.1:3480 (+3481) and wait until it echoes. */
export async function startPeer(): Promise<ChildProcess | undefined> {
  if (await echoes(3480, 3)) return undefined; // already running (e.g. a benchmark): reuse it
  const proc = spawn('turnutils_peer', ['-L', '127.0.0.1', '-p', '3480'], { stdio: 'ignore' });
  if (!(await echoes(3480, 50))) throw new Error('turnutils_peer did not start');
  return proc;
}

/** Send a datagram to 127.0.0.1:port until it is echoed back (up to `tries` times, 100 ms apart). */
export async function echoes(port: number, tries: number): Promise<boolean> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  try {
    for (let i = 0; i < tries; i++) {
      const got = new Promise<boolean>((r) => {
        const t = setTimeout(() => r(false), 100);
        s.once('message', () => (clearTimeout(t), r(true)));
      });
      s.send('ping', port, '127.0.0.1');
      if (await got) return true;
    }
    return false;
  } finally {
    s.close();
  }
}

export function selfSignedCert(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'parley-turn-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error('openssl failed');
  return { cert, key };
}

/** Run a command, resolve with its stdout (bounded by the scripts' own timeouts). */
export function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((r) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.once('close', (code) => r({ code, out }));
  });
}
