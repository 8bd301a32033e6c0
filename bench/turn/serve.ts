/**
 * Runs the embedded TURN service alone (for the conformance test, the fuzz test and the benchmark).
 * usage: node --import tsx bench/turn/serve.ts '<JSON of turn config overrides>' [certPem keyPem]
 * Env: TURN_SECRET (shared secret). Prints one JSON line {"ports":{...},"pid":N,"native":bool} when listening.
 */
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { turnSection } from '../../src/config/turn.js';
import { createTurnService } from '../../src/turn/index.js';

const overrides = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
const [cert, key] = [process.argv[3], process.argv[4]];
const config = turnSection.parse(overrides);
const registry = new Registry();
const service = createTurnService({
  config,
  secret: process.env.TURN_SECRET ?? 'parley-bench-secret',
  ...(cert && key ? { tls: { cert, key } } : {}),
  logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2)),
  registry,
});
await service.start();
process.stdout.write(`${JSON.stringify({ ports: service.ports, pid: process.pid, native: service.native })}\n`);
const stop = (): void => void service.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('SIGUSR2', () => void registry.metrics().then((m) => process.stderr.write(`${m}\n`)));
