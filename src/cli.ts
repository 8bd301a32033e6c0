#!/usr/bin/env node
/**
 * The `parley` command: start the server, create tokens, check the config.
 */
import { Command, Option } from 'commander';
import { loadConfig, redactConfig } from './config/load.js';
import { parseDuration } from './config/fields.js';
import { ParleyError } from './core/errors.js';
import { parseGrantList } from './core/grants.js';
import { createToken, type ApiKey } from './auth/tokens.js';
import { storedDevKey } from './auth/keys.js';
import { openSqliteStore } from './store/sqlite.js';
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
        const store = openSqliteStore(c.dataDir);
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

program.parseAsync().catch(fail);
