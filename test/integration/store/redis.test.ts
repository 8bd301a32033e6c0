import { afterAll, beforeAll } from 'vitest';
import { openRedisStore } from '../../../src/store/redis.js';
import { describeStoreContract } from '../../store/contract.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

let server: RedisServer | undefined;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

let n = 0;
describeStoreContract('redis', async () => {
  if (!server) throw new Error('redis-server not started');
  // Each test gets its own key prefix, so tests share one server without seeing each other's data.
  const options = { url: server.url, prefix: `parley-test-${++n}:` };
  return { store: openRedisStore(options), reopen: async () => openRedisStore(options) };
});
