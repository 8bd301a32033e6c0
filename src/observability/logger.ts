/**
 * One structured logger (pino). JSON in production, pretty in a terminal; secrets redacted by path.
 * Modules take a child logger carrying their context (room, participant).
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level: string;
  format: 'auto' | 'json' | 'pretty';
}

const REDACT = [
  'token',
  '*.token',
  'secret',
  '*.secret',
  '*.apiSecret',
  'password',
  '*.password',
  'credential',
  '*.credential',
  'req.headers.authorization',
  'headers.authorization',
];

export function createLogger(opts: LoggerOptions): Logger {
  const pretty = opts.format === 'pretty' || (opts.format === 'auto' && process.stdout.isTTY === true);
  return pino({
    level: opts.level,
    base: { service: 'parley' },
    redact: { paths: REDACT, censor: '[redacted]' },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,service' } } }
      : {}),
  });
}

/** A logger that drops everything, for tests and tools. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** A URL fit for logs: no user info, no query (either may hold a secret). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(invalid url)';
  }
}
