/**
 * The store on Redis (ioredis), for running several Parley nodes over shared state. Every key
 * starts with a prefix (default `parley:`), so one Redis can hold several deployments:
 *
 *   P settings      hash: setting -> value
 *   P doc:<ns>      hash per collection: id -> JSON (rooms live in ns `parley.rooms`)
 *   P ev:..., P evq:...   the event queue (redis-queue.ts)
 *
 * Durability is Redis's: configure AOF (appendonly yes) if the webhook queue must survive a Redis
 * restart. Single Redis only (the queue scripts are not Redis Cluster safe).
 */
import { Redis, type RedisOptions } from 'ioredis';
import { checkCollectionName, documentCollection, ROOMS_NAMESPACE, roomRecordSchema, type DocumentBackend } from './documents.js';
import { redisQueue } from './redis-queue.js';
import type { Store } from './store.js';

export interface RedisStoreOptions {
  /** redis://[:password@]host:port/db */
  url: string;
  /** Prepended to every key. Default `parley:`. */
  prefix?: string;
  /** Further ioredis options (TLS, retry strategy, ...). */
  redis?: RedisOptions;
  /** Connection errors (ioredis reconnects by itself); default: ignored, commands wait and retry. */
  onError?: (err: Error) => void;
}

export function openRedisStore(options: RedisStoreOptions): Store {
  const prefix = options.prefix ?? 'parley:';
  const redis = new Redis(options.url, options.redis ?? {});
  redis.on('error', (err: Error) => options.onError?.(err));
  let closed = false;
  const open = (): void => {
    if (closed) throw new Error('store: closed');
  };
  const doc = (ns: string): string => `${prefix}doc:${ns}`;

  const documents: DocumentBackend = {
    async get(ns, id) {
      open();
      return (await redis.hget(doc(ns), id)) ?? undefined;
    },
    async put(ns, id, json) {
      open();
      await redis.hset(doc(ns), id, json);
    },
    async insert(ns, id, json) {
      open();
      return (await redis.hsetnx(doc(ns), id, json)) === 1;
    },
    async delete(ns, id) {
      open();
      return (await redis.hdel(doc(ns), id)) === 1;
    },
    async list(ns) {
      open();
      return Object.entries(await redis.hgetall(doc(ns))).map(([id, json]) => ({ id, json }));
    },
  };

  return {
    async getSetting(key) {
      open();
      return (await redis.hget(`${prefix}settings`, key)) ?? undefined;
    },
    async setSetting(key, value) {
      open();
      await redis.hset(`${prefix}settings`, key, value);
    },
    rooms: documentCollection(documents, ROOMS_NAMESPACE, roomRecordSchema),
    collection: (name, schema) => documentCollection(documents, checkCollectionName(name), schema),
    events: redisQueue(redis, prefix, open),
    healthy: () => !closed && redis.status === 'ready',
    async close() {
      if (closed) return;
      closed = true;
      try {
        await redis.quit();
      } catch {
        redis.disconnect(); // already broken: drop the socket
      }
    },
  };
}
