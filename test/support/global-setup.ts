// Starts one throwaway redis-server for the whole test run, unless REDIS_URL points at one.
import { startRedisServer, type TestRedis } from './redis-server';

declare global {
  var __TEST_REDIS__: TestRedis | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.REDIS_URL) {
    console.log(`\nUsing REDIS_URL=${process.env.REDIS_URL}; tests only touch queues named test-<uuid>.`);
    return;
  }
  const redis = await startRedisServer();
  globalThis.__TEST_REDIS__ = redis;
  process.env.REDIS_URL = redis.url;
  process.env.TEST_REDIS_STARTED = '1';
}
