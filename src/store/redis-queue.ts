/**
 * The event queue on Redis. Layout, under the store's prefix P:
 *
 *   P ev:seq        INCR counter giving event ids (never reused)
 *   P ev:<id>       hash: key, payload, attempts, at (nextAttemptAt), created
 *   P evq:<key>     list of the key's event ids, oldest first; index 0 is the head
 *   P ev:heads      sorted set of head ids (zero-padded to 16 digits), scored by nextAttemptAt
 *   P ev:count      number of queued events
 *
 * Mutations are Lua scripts, so each is atomic. They build key names from the prefix instead of
 * declaring them in KEYS: fine on a single Redis (or a replicated one), not on Redis Cluster.
 *
 * Like the SQLite queue, due() hands out heads without claiming them: two dispatchers over one
 * Redis would both deliver the same head. Until heads are leased, run one dispatcher per queue.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { EventQueue, QueuedEvent } from './store.js';

const PUSH = `
local p = ARGV[1]
local id = redis.call('INCR', p .. 'ev:seq')
redis.call('HSET', p .. 'ev:' .. id, 'key', ARGV[2], 'payload', ARGV[3], 'attempts', '0', 'at', ARGV[4], 'created', ARGV[4])
local len = redis.call('RPUSH', p .. 'evq:' .. ARGV[2], id)
redis.call('INCR', p .. 'ev:count')
if len == 1 then redis.call('ZADD', p .. 'ev:heads', ARGV[4], string.format('%016d', id)) end
return id`;

const ACK = `
local p = ARGV[1]
local ek = p .. 'ev:' .. ARGV[2]
local key = redis.call('HGET', ek, 'key')
if not key then return 0 end
local qk = p .. 'evq:' .. key
redis.call('LREM', qk, 1, ARGV[2])
redis.call('DEL', ek)
redis.call('DECR', p .. 'ev:count')
redis.call('ZREM', p .. 'ev:heads', string.format('%016d', tonumber(ARGV[2])))
local head = redis.call('LINDEX', qk, 0)
if head then
  redis.call('ZADD', p .. 'ev:heads', redis.call('HGET', p .. 'ev:' .. head, 'at'), string.format('%016d', tonumber(head)))
end
return 1`;

const RETRY = `
local p = ARGV[1]
local ek = p .. 'ev:' .. ARGV[2]
if redis.call('EXISTS', ek) == 0 then return 0 end
redis.call('HINCRBY', ek, 'attempts', 1)
redis.call('HSET', ek, 'at', ARGV[3])
local m = string.format('%016d', tonumber(ARGV[2]))
if redis.call('ZSCORE', p .. 'ev:heads', m) then redis.call('ZADD', p .. 'ev:heads', ARGV[3], m) end
return 1`;

interface Script {
  lua: string;
  sha: string;
}
const script = (lua: string): Script => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });
const scripts = { push: script(PUSH), ack: script(ACK), retry: script(RETRY) };

/** EVALSHA, loading the script with EVAL when the server does not know it yet (NOSCRIPT). */
async function run(redis: Redis, s: Script, args: Array<string | number>): Promise<unknown> {
  try {
    return await redis.evalsha(s.sha, 0, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return redis.eval(s.lua, 0, ...args);
  }
}

function toEvent(id: number, h: Record<string, string>): QueuedEvent | undefined {
  const { key, payload, attempts, at, created } = h;
  if (key === undefined || payload === undefined) return undefined; // acked meanwhile
  return { id, key, payload, attempts: Number(attempts ?? 0), nextAttemptAt: Number(at ?? 0), createdAt: Number(created ?? 0) };
}

export function redisQueue(redis: Redis, prefix: string, open: () => void): EventQueue {
  const heads = `${prefix}ev:heads`;
  return {
    async push(key, payload, now) {
      open();
      return Number(await run(redis, scripts.push, [prefix, key, payload, String(now)]));
    },
    async due(now, limit) {
      open();
      const n = Math.floor(limit);
      if (n <= 0) return [];
      const ids = (await redis.zrangebyscore(heads, '-inf', now, 'LIMIT', 0, n)).map(Number);
      const pipeline = redis.pipeline();
      for (const id of ids) pipeline.hgetall(`${prefix}ev:${id}`);
      const replies = (await pipeline.exec()) ?? [];
      const events: QueuedEvent[] = [];
      ids.forEach((id, i) => {
        const [err, hash] = replies[i] ?? [null, undefined];
        if (err) throw err;
        const event = toEvent(id, (hash ?? {}) as Record<string, string>);
        if (event) events.push(event);
      });
      return events;
    },
    async ack(id) {
      open();
      await run(redis, scripts.ack, [prefix, String(id)]);
    },
    async retry(id, nextAttemptAt) {
      open();
      await run(redis, scripts.retry, [prefix, String(id), String(nextAttemptAt)]);
    },
    async size() {
      open();
      return Number((await redis.get(`${prefix}ev:count`)) ?? 0);
    },
    async nextDueAt() {
      open();
      const [, score] = await redis.zrange(heads, '0', '0', 'WITHSCORES');
      return score === undefined ? undefined : Number(score);
    },
  };
}
