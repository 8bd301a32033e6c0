/**
 * The whole server on the Redis store (`store.driver: redis`) against a real redis-server: REST
 * rooms and the generated development key pair live in Redis under the prefix, a second server on
 * another data dir sees them, readiness follows Redis, and a Redis that does not answer at boot is
 * a boot error naming the setting.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { loadConfig } from '../../../src/config/load.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});

const onRedis = (prefix: string): Record<string, unknown> => ({ 'store.driver': 'redis', 'store.redisUrl': redis.url, 'store.redisPrefix': prefix });
const devEnv = { PARLEY_TURN_ENABLED: 'false' };

async function readyz(server: TestServer): Promise<{ status: number; body: { checks?: Record<string, boolean> } }> {
  const res = await fetch(`http://127.0.0.1:${server.port}/readyz`);
  return { status: res.status, body: (await res.json()) as { checks?: Record<string, boolean> } };
}

describe('the server on the Redis store', () => {
  it('keeps REST rooms and the generated key pair in Redis, where a server on another data dir finds them', async () => {
    const first = await startTestServer(onRedis('t1:'), { env: devEnv });
    let second: TestServer | undefined;
    try {
      expect(first.devMode).toBe(true);
      const admin = await first.token('admin', { roomCreate: true, roomList: true });
      const created = await fetch(`http://127.0.0.1:${first.port}/api/rooms`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'shared', metadata: 'in redis' }),
      });
      expect(created.status).toBe(201);
      expect(await readyz(first)).toMatchObject({ status: 200, body: { checks: { store: true } } });

      const client = new Redis(redis.url);
      try {
        expect(await client.hexists('t1:doc:parley.rooms', 'shared')).toBe(1);
        expect(await client.exists('t1:settings')).toBe(1);
      } finally {
        client.disconnect();
      }
      const key = first.keys.primary.key;
      await first.close();

      second = await startTestServer(onRedis('t1:'), { env: devEnv }); // a fresh data dir
      expect(second.keys.primary.key).toBe(key);
      expect(second.rooms.get('shared')?.info()).toMatchObject({ name: 'shared', metadata: 'in redis' });
    } finally {
      await first.stop();
      await second?.stop();
    }
  });

  it('is not ready (503, checks.store false) while Redis is away', async () => {
    const own = await startRedisServer();
    const server = await startTestServer({ 'store.driver': 'redis', 'store.redisUrl': own.url }, { env: devEnv });
    try {
      expect((await readyz(server)).status).toBe(200);
      await own.stop();
      await expect.poll(async () => (await readyz(server)).body.checks?.store, { timeout: 10_000 }).toBe(false);
      expect((await readyz(server)).status).toBe(503);
    } finally {
      await server.stop();
    }
  });

  it('refuses to boot when Redis does not answer, naming the setting, and requires a URL', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-redis-boot-'));
    try {
      const boot = startTestServer({ 'store.driver': 'redis', 'store.redisUrl': 'redis://:hunter2@127.0.0.1:1' }, { env: devEnv, dataDir });
      const err = await boot.then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.message).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(store\.redisUrl, PARLEY_REDIS_URL\)/);
      expect(err?.message).not.toContain('hunter2');
      expect(() => loadConfig({ env: { PARLEY_STORE: 'redis' } })).toThrow(/PARLEY_REDIS_URL/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
