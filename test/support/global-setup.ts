// Starts what the whole test run shares: one throwaway redis-server (unless REDIS_URL points at one), with
// TEST_REDIS_TOPOLOGY=cluster a throwaway Redis Cluster for the pipeline suites, and the
// MongoDB targets of the contract suites (MONGODB_URI, real mongod, or the stand-in; see mongo-targets.ts).
import { MONGO_TARGETS_VARIABLE, startMongoTargets, type StartedMongoTargets } from './mongo-targets';
import { startRedisServer, type TestRedis } from '../../tools/redis/throwaway-redis';
import { startCluster, type TestCluster } from '../../tools/redis/redis-topologies';

declare global {
  var __TEST_REDIS__: TestRedis | undefined;
  var __TEST_CLUSTER__: TestCluster | undefined;
  var __TEST_MONGO__: StartedMongoTargets | undefined;
}

export default async function globalSetup(): Promise<void> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log('');
  const mongo = await startMongoTargets(log);
  globalThis.__TEST_MONGO__ = mongo;
  process.env[MONGO_TARGETS_VARIABLE] = JSON.stringify(mongo.targets);
  log(mongo.banner);

  // `npm run test:cluster`: the pipeline suites run against a 3-master Redis Cluster of their own.
  if (process.env.TEST_REDIS_TOPOLOGY === 'cluster') {
    const cluster = await startCluster({ masters: 3 });
    globalThis.__TEST_CLUSTER__ = cluster;
    process.env.TEST_REDIS_CLUSTER_NODES = cluster.env.REDIS_CLUSTER_NODES;
    log(`Pipeline suites run against a Redis Cluster of 3 masters: ${cluster.env.REDIS_CLUSTER_NODES}`);
  }

  if (process.env.REDIS_URL) {
    log(`Using REDIS_URL=${process.env.REDIS_URL}; tests only touch queues named test-<uuid>.`);
    return;
  }
  const redis = await startRedisServer();
  globalThis.__TEST_REDIS__ = redis;
  process.env.REDIS_URL = redis.url;
  process.env.TEST_REDIS_STARTED = '1';
}
