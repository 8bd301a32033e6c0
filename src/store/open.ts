/**
 * The store the config asks for (`store.driver`): SQLite in the data dir, or Redis. A Redis that
 * does not answer at boot is a boot error naming the setting, not a server that hangs on its first
 * read (ioredis queues commands while it reconnects).
 */
import type { Config } from '../config/schema.js';
import { ParleyError } from '../core/errors.js';
import { redactUrl, type Logger } from '../observability/logger.js';
import { openRedisStore } from './redis.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './store.js';

const BOOT_TIMEOUT_MS = 10_000;

export async function openStore(config: Config, logger: Logger): Promise<Store> {
  const { driver, redisUrl, redisPrefix } = config.store;
  if (driver === 'sqlite' || redisUrl === undefined) return openSqliteStore(config.dataDir);
  const shown = redactUrl(redisUrl);
  let lastError = '';
  const store = openRedisStore({
    url: redisUrl,
    prefix: redisPrefix,
    redis: { maxRetriesPerRequest: 3 },
    onError: (err) => {
      if (err.message === lastError) return; // ioredis repeats it on every reconnect attempt
      lastError = err.message;
      logger.warn({ store: shown, err: err.message }, 'store: Redis connection error (commands wait while it reconnects)');
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      store.getSetting('boot-check'),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${BOOT_TIMEOUT_MS / 1000} s`)), BOOT_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    await store.close();
    throw new ParleyError('CONFIG_INVALID', `cannot reach Redis at ${shown} (store.redisUrl, PARLEY_REDIS_URL): ${lastError || (err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  logger.info({ store: shown, prefix: redisPrefix }, 'store: Redis');
  return store;
}
