/**
 * The dialect's log: a child of Parley's logger whose level can be changed at runtime
 * (PUT /logs/levels), plus the most recent entries kept in memory for GET /logs (the original
 * served its log file; Parley logs to stdout, so the dialect keeps its own tail).
 */
import type { Logger } from '../../observability/logger.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const VALUE: Record<LogLevel | 'silent', number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

export interface LogEntry {
  time: string;
  level: LogLevel;
  msg: string;
  [field: string]: unknown;
}

type Fields = Record<string, unknown>;

export class DialectLog {
  private readonly pino: Logger;
  private readonly tail: LogEntry[] = [];
  private current: LogLevel | 'silent';

  constructor(base: Logger, bindings: Fields, private readonly keep = 1000) {
    this.pino = base.child(bindings);
    this.current = base.level in VALUE ? (base.level as LogLevel | 'silent') : 'info';
  }

  get level(): LogLevel | 'silent' {
    return this.current;
  }

  /** Sets the level of this dialect's logs; returns the previous one. */
  setLevel(level: LogLevel): LogLevel | 'silent' {
    const was = this.current;
    this.current = level;
    this.pino.level = level;
    // Kept whatever the new level: who changed what is worth finding in /logs.
    this.keepEntry({ time: new Date().toJSON(), level: 'info', msg: 'log level changed', to: level, was });
    this.pino.info({ level, was }, 'log level changed');
    return was;
  }

  trace(fields: Fields, msg: string): void {
    this.write('trace', fields, msg);
  }
  debug(fields: Fields, msg: string): void {
    this.write('debug', fields, msg);
  }
  info(fields: Fields, msg: string): void {
    this.write('info', fields, msg);
  }
  warn(fields: Fields, msg: string): void {
    this.write('warn', fields, msg);
  }
  error(fields: Fields, msg: string): void {
    this.write('error', fields, msg);
  }

  /** The kept entries, oldest first, one JSON object per line. */
  text(): string {
    return this.tail.map((e) => JSON.stringify(e)).join('\n') + (this.tail.length > 0 ? '\n' : '');
  }

  private write(level: LogLevel, fields: Fields, msg: string): void {
    if (VALUE[level] < VALUE[this.current]) return;
    this.pino[level](fields, msg);
    this.keepEntry({ ...fields, time: new Date().toJSON(), level, msg });
  }

  private keepEntry(entry: LogEntry): void {
    this.tail.push(entry);
    if (this.tail.length > this.keep) this.tail.shift();
  }
}
