#!/usr/bin/env node
/**
 * The `parley` command: start the server, create tokens, check the config, load-test the SFU.
 */
import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { loadConfig, redactConfig } from './config/load.js';
import { parseDuration } from './config/fields.js';
import { ParleyError } from './core/errors.js';
import { parseGrantList } from './core/grants.js';
import { createToken, type ApiKey } from './auth/tokens.js';
import { storedDevKey } from './auth/keys.js';
import { silentLogger } from './observability/logger.js';
import { openStore } from './store/open.js';
import { startServer, VERSION } from './server.js';

/** CLI flags shared by every command, mapped onto config paths (highest precedence). */
function configFlags(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'YAML config file')
    .option('--port <port>', 'HTTP port (PARLEY_PORT)')
    .option('--host <host>', 'listen address (PARLEY_HOST)')
    .option('--data-dir <dir>', 'data directory (PARLEY_DATA_DIR)')
    .addOption(new Option('--log-level <level>', 'log level (PARLEY_LOG_LEVEL)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']));
}

interface FlagValues {
  config?: string;
  port?: string;
  host?: string;
  dataDir?: string;
  logLevel?: string;
}

function loadOptions(f: FlagValues) {
  return {
    file: f.config,
    overrides: { 'server.port': f.port, 'server.host': f.host, dataDir: f.dataDir, 'log.level': f.logLevel },
  };
}

function fail(err: unknown): never {
  if (err instanceof ParleyError) process.stderr.write(`parley: ${err.message}\n`);
  else process.stderr.write(`parley: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
}

const program = new Command('parley').version(VERSION).description('Parley WebRTC server');

configFlags(program.command('start').description('start the server')).action(async (flags: FlagValues) => {
  const server = await startServer(loadOptions(flags)).catch(fail);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    server.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(0), server.config.server.shutdownGrace * 1000);
    force.unref();
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
});

const config = program.command('config').description('configuration tools');
configFlags(config.command('check').description('validate and print the effective config, secrets redacted')).action((flags: FlagValues) => {
  try {
    const c = loadConfig(loadOptions(flags));
    process.stdout.write(`${JSON.stringify(redactConfig(c), null, 2)}\n`);
  } catch (err) {
    fail(err);
  }
});

const token = program.command('token').description('access tokens');
configFlags(token.command('create').description('print a signed access token (JWT)'))
  .requiredOption('--identity <identity>', 'participant identity')
  .option('--room <room>', 'room the token is for')
  .option('--name <name>', 'display name')
  .option('--metadata <json>', 'participant metadata')
  .option('--ttl <duration>', 'lifetime, e.g. 30m, 6h, 1d', '6h')
  .option('--grants <list>', 'comma list: roomJoin,roomCreate,roomList,roomAdmin,canPublish,canSubscribe,canPublishData,hidden (default: roomJoin when --room is given)')
  .action(async (flags: FlagValues & { identity: string; room?: string; name?: string; metadata?: string; ttl: string; grants?: string }) => {
    try {
      const c = loadConfig(loadOptions(flags));
      let key: ApiKey | undefined = c.auth.apiKey && c.auth.apiSecret ? { key: c.auth.apiKey, secret: c.auth.apiSecret } : undefined;
      if (!key) {
        const store = await openStore(c, silentLogger());
        key = await storedDevKey(store);
        await store.close();
      }
      if (!key) throw new ParleyError('CONFIG_INVALID', 'no API key: set PARLEY_API_KEY/PARLEY_API_SECRET, or start the server once to generate a development key');
      const ttl = parseDuration(flags.ttl);
      if (ttl === undefined || ttl <= 0) throw new ParleyError('VALIDATION', `--ttl "${flags.ttl}" is not a duration`);
      const { grants, unknown } = parseGrantList(flags.grants ?? (flags.room ? 'roomJoin' : ''));
      if (unknown.length > 0) throw new ParleyError('VALIDATION', `unknown grants: ${unknown.join(', ')}`);
      if (flags.room) grants.room = flags.room;
      if ((grants.roomJoin || grants.roomAdmin) && !grants.room) throw new ParleyError('VALIDATION', 'roomJoin and roomAdmin need --room');
      const jwt = await createToken(key, { identity: flags.identity, name: flags.name, metadata: flags.metadata, grants, ttlSeconds: ttl });
      process.stdout.write(`${jwt}\n`);
    } catch (err) {
      fail(err);
    }
  });

program
  .command('loadtest')
  .description('SFU load test: headless publishers (real VP8) and subscribers against a Parley server; needs the devDependencies @roamhq/wrtc and node-datachannel')
  .option('--url <url>', 'server base URL', 'http://127.0.0.1:7880')
  .option('--room <room>', 'room to load', `loadtest-${Date.now().toString(36)}`)
  .option('--api-key <key>', 'API key (default: PARLEY_API_KEY; without one, POST /api/dev/token of a development-mode server)', process.env['PARLEY_API_KEY'])
  .option('--api-secret <secret>', 'API secret (default: PARLEY_API_SECRET)', process.env['PARLEY_API_SECRET'])
  .option('--publishers <n>', 'publishers, one VP8 track each', '1')
  .option('--subscribers <n>', 'subscribers, each receiving every published track', '10')
  .option('--duration <seconds>', 'measured window', '15')
  .option('--bitrate <bps>', 'publisher video bitrate cap', '1500000')
  .option('--server-pid <pid>', 'server process: its CPU and memory go into the report')
  .option('--json <file>', 'also write the report as JSON')
  .action(async (o: { url: string; room: string; apiKey?: string; apiSecret?: string; publishers: string; subscribers: string; duration: string; bitrate: string; serverPid?: string; json?: string }) => {
    const count = (name: string, v: string, min: number): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new ParleyError('VALIDATION', `--${name} must be an integer >= ${min}, got "${v}"`);
      return n;
    };
    let lib: typeof import('./loadtest/index.js');
    try {
      lib = await import('./loadtest/index.js');
    } catch (err) {
      fail(new ParleyError('CONFIG_INVALID', `the load tester needs the devDependencies @roamhq/wrtc and node-datachannel (npm install): ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    try {
      const auth = o.apiKey && o.apiSecret ? { kind: 'key' as const, apiKey: o.apiKey, apiSecret: o.apiSecret } : { kind: 'dev' as const };
      const report = await lib.runLoadtest({
        target: { url: o.url, room: o.room, auth },
        publishers: count('publishers', o.publishers, 1),
        subscribers: count('subscribers', o.subscribers, 0),
        durationSeconds: count('duration', o.duration, 1),
        video: { maxBitrate: count('bitrate', o.bitrate, 50_000) },
        ...(o.serverPid !== undefined ? { serverPid: count('server-pid', o.serverPid, 1) } : {}),
        signal: abort.signal,
        onProgress: (p) => process.stdout.write(`${lib.formatProgress(p)}\n`),
      });
      process.stdout.write(`${lib.formatReport(report)}\n`);
      if (o.json) writeFileSync(o.json, JSON.stringify(report, null, 2));
      lib.loadNdc().cleanup();
      process.exit(0);
    } catch (err) {
      fail(err);
    }
  });

program.parseAsync().catch(fail);
