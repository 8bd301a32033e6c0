/**
 * Debian's nginx running the shipped deploy/nginx.conf in front of a Parley on `parleyPort`, with
 * only its ports and certificate swapped (a self-signed one made here). Everything nginx writes
 * goes to a temp dir. nginx and openssl are installed by scripts/test.sh; when either is missing
 * this throws, so the test fails rather than skips.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const SITE = resolve(import.meta.dirname, '..', '..', 'deploy', 'nginx.conf');

export interface NginxFixture {
  dir: string;
  httpPort: number;
  httpsPort: number;
  /** The self-signed certificate (PEM), to trust as a CA. */
  ca: string;
  /** The tail of nginx's error log, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export function findBinary(name: string): string {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', ...(process.env.PATH ?? '').split(':')]) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  throw new Error(`${name} is not installed (scripts/test.sh installs it: apt-get install ${name === 'nginx' ? 'nginx-light' : name})`);
}

/** `n` distinct free ports: all are held open together, so the OS cannot hand out one twice. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () =>
      new Promise<ReturnType<typeof createServer>>((res, rej) => {
        const s = createServer();
        s.once('error', rej);
        s.listen(0, '127.0.0.1', () => res(s));
      }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((res) => s.close(res))));
  return ports;
}

/** Replaces `from` (which must occur exactly once) so a reshaped deploy/nginx.conf fails loudly. */
function rewrite(text: string, from: string, to: string): string {
  const parts = text.split(from);
  if (parts.length !== 2) throw new Error(`deploy/nginx.conf: expected exactly one "${from}", found ${parts.length - 1}`);
  return parts.join(to);
}

/** The shipped site config with these ports and certificate; everything else verbatim. */
function siteConfig(parleyPort: number, httpPort: number, httpsPort: number, cert: string, key: string): string {
  let s = readFileSync(SITE, 'utf8');
  s = rewrite(s, 'server 127.0.0.1:7880;', `server 127.0.0.1:${parleyPort};`);
  s = rewrite(s, '    listen 80;', `    listen 127.0.0.1:${httpPort};`);
  s = rewrite(s, '    listen [::]:80;', '    # (IPv6 listen removed by the test)');
  s = rewrite(s, '    listen 443 ssl http2;', `    listen 127.0.0.1:${httpsPort} ssl http2;`);
  s = rewrite(s, '    listen [::]:443 ssl http2;', '    # (IPv6 listen removed by the test)');
  s = rewrite(s, '/etc/letsencrypt/live/parley.example.com/fullchain.pem', cert);
  s = rewrite(s, '/etc/letsencrypt/live/parley.example.com/privkey.pem', key);
  return s;
}

/** A minimal nginx.conf around the site: everything nginx writes goes to `dir`. */
function mainConfig(dir: string): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t};`).join('\n');
  return `worker_processes 1;\nerror_log ${dir}/error.log info;\nevents { worker_connections 256; }\nhttp {\n  access_log ${dir}/access.log;\n${temp}\n  include ${dir}/parley.conf;\n}\n`;
}

function healthz(port: number, ca: string): Promise<number> {
  return new Promise((res) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', ca }, (r) => {
      r.resume();
      res(r.statusCode ?? 0);
    });
    req.on('error', () => res(0));
    req.end();
  });
}

export async function startNginx(parleyPort: number): Promise<NginxFixture> {
  const nginxBin = findBinary('nginx');
  const openssl = findBinary('openssl');
  const dir = mkdtempSync(join(tmpdir(), 'parley-nginx-'));
  // nginx workers may run as an unprivileged user; they need to reach their temp paths.
  chmodSync(dir, 0o755);
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(openssl, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'pipe' });
  const ca = readFileSync(cert, 'utf8');
  const [httpPort, httpsPort] = (await freePorts(2)) as [number, number];
  writeFileSync(join(dir, 'parley.conf'), siteConfig(parleyPort, httpPort, httpsPort, cert, key));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, mainConfig(dir));
  const globals = `daemon off; pid ${dir}/nginx.pid;`;
  try {
    execFileSync(nginxBin, ['-t', '-p', dir, '-c', conf, '-g', globals], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`nginx rejects the generated config: ${String((err as { stderr?: Buffer }).stderr ?? err)}`);
  }
  const nginx: ChildProcess = spawn(nginxBin, ['-p', dir, '-c', conf, '-g', globals], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  nginx.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((res) => nginx.once('exit', () => res()));
  const log = () => (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8').slice(-4000) : '(no error.log)');

  // Ready when nginx answers on the TLS port (it binds before forking its worker).
  const deadline = Date.now() + 10_000;
  while ((await healthz(httpsPort, ca)) !== 200) {
    if (nginx.exitCode !== null) throw new Error(`nginx exited (${nginx.exitCode}): ${stderr}\n${log()}`);
    if (Date.now() > deadline) throw new Error(`nginx did not come up: ${stderr}\n${log()}`);
    await new Promise((res) => setTimeout(res, 50));
  }
  return {
    dir,
    httpPort,
    httpsPort,
    ca,
    log,
    async stop() {
      if (nginx.exitCode === null) {
        nginx.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
