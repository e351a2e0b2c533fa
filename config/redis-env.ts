// Environment variables that say where Redis is (single node, Sentinel or Cluster), how the queue is
// sharded, and how durable an enqueue is. Merged into the one schema by env-schema.ts.
import { z } from 'zod';
import { ENQUEUE_DURABILITIES, type EnqueueDurability, type RedisHostPort } from '@omikai/graph-mailer-client';
import type { RedisConfig } from '../src/service-config';
import { boolean, commaList, integer, optionalString, positiveInt } from './env-values';

/** Unset (or empty) means redis://127.0.0.1:6379 unless REDIS_SENTINELS or REDIS_CLUSTER_NODES is set. In the core schema, first among the queue's variables. */
export const redisUrlSchema = optionalString.pipe(
  z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
);

export const redisEnvSchema = z.object({
  REDIS_SENTINELS: optionalString,
  REDIS_SENTINEL_MASTER: optionalString,
  REDIS_SENTINEL_USERNAME: optionalString,
  REDIS_SENTINEL_PASSWORD: optionalString,
  REDIS_CLUSTER_NODES: optionalString,
  REDIS_USERNAME: optionalString,
  REDIS_PASSWORD: optionalString,
  REDIS_TLS: boolean.default(false),
  EMAIL_QUEUE_SHARDS: integer.min(1).max(64).default(1),
  ENQUEUE_DURABILITY: z.enum(ENQUEUE_DURABILITIES).default('acknowledged'),
  ENQUEUE_REPLICATION_TIMEOUT_MS: positiveInt.default(2_000),
});

export type RedisEnv = z.infer<typeof redisEnvSchema> & { REDIS_URL?: string | undefined };

export const redisEnvExamples: Record<keyof z.infer<typeof redisEnvSchema>, string> = {
  REDIS_SENTINELS: 'sentinel-1:26379,sentinel-2:26379,sentinel-3:26379',
  REDIS_SENTINEL_MASTER: 'omikai',
  REDIS_SENTINEL_USERNAME: 'sentinel-user',
  REDIS_SENTINEL_PASSWORD: "(the Sentinels' requirepass)",
  REDIS_CLUSTER_NODES: 'redis-1:6379,redis-2:6379,redis-3:6379',
  REDIS_USERNAME: 'omikai',
  REDIS_PASSWORD: "(the data nodes' requirepass)",
  REDIS_TLS: 'false',
  EMAIL_QUEUE_SHARDS: '1',
  ENQUEUE_DURABILITY: 'replicated',
  ENQUEUE_REPLICATION_TIMEOUT_MS: '2000',
};

export const REDIS_SECRET_VARIABLES = ['REDIS_PASSWORD', 'REDIS_SENTINEL_PASSWORD'] as const;

export type { EnqueueDurability };

type Problem = (name: keyof RedisEnv, message: string) => string;

function hostList(name: keyof RedisEnv, value: string, problems: string[], problem: Problem): RedisHostPort[] {
  const hosts: RedisHostPort[] = [];
  for (const entry of commaList(value)) {
    const match = /^(\[[0-9a-fA-F:]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match?.[1] || port < 1 || port > 65535) {
      problems.push(problem(name, `must be a comma-separated list of host:port, got "${entry}"`));
      continue;
    }
    hosts.push({ host: match[1].replace(/^\[|\]$/g, ''), port });
  }
  return hosts;
}

/** Picks the one topology the variables describe; a contradiction is a problem naming what to set. */
export function readRedisConfig(env: RedisEnv, problems: string[], problem: Problem): RedisConfig {
  const credentials = {
    ...(env.REDIS_USERNAME ? { username: env.REDIS_USERNAME } : {}),
    ...(env.REDIS_PASSWORD ? { password: env.REDIS_PASSWORD } : {}),
    ...(env.REDIS_TLS ? { tls: true } : {}),
  };
  const common = {
    shards: env.EMAIL_QUEUE_SHARDS,
    durability: env.ENQUEUE_DURABILITY,
    replicationTimeoutMs: env.ENQUEUE_REPLICATION_TIMEOUT_MS,
  };
  const chosen = [
    env.REDIS_URL && 'REDIS_URL',
    env.REDIS_SENTINELS && 'REDIS_SENTINELS',
    env.REDIS_CLUSTER_NODES && 'REDIS_CLUSTER_NODES',
  ].filter((name): name is keyof RedisEnv => Boolean(name));
  const fallback: RedisConfig = { target: { kind: 'single', url: env.REDIS_URL ?? 'redis://127.0.0.1:6379' }, ...common };
  if (chosen.length > 1) {
    problems.push(
      problem(chosen[1]!, `cannot be combined with ${chosen[0]}: set exactly one of REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES`),
    );
    return fallback;
  }
  if (!env.REDIS_SENTINELS) {
    for (const name of ['REDIS_SENTINEL_MASTER', 'REDIS_SENTINEL_USERNAME', 'REDIS_SENTINEL_PASSWORD'] as const) {
      if (env[name]) problems.push(problem(name, 'is only read with REDIS_SENTINELS: set REDIS_SENTINELS too, or unset it'));
    }
  }
  if (env.REDIS_SENTINELS) {
    const sentinels = hostList('REDIS_SENTINELS', env.REDIS_SENTINELS, problems, problem);
    if (!env.REDIS_SENTINEL_MASTER) {
      problems.push(problem('REDIS_SENTINEL_MASTER', 'is required with REDIS_SENTINELS: the master name the Sentinels monitor'));
      return fallback;
    }
    return {
      target: {
        kind: 'sentinel',
        sentinels,
        masterName: env.REDIS_SENTINEL_MASTER,
        ...credentials,
        ...(env.REDIS_SENTINEL_USERNAME ? { sentinelUsername: env.REDIS_SENTINEL_USERNAME } : {}),
        ...(env.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: env.REDIS_SENTINEL_PASSWORD } : {}),
      },
      ...common,
    };
  }
  if (env.REDIS_CLUSTER_NODES) {
    return {
      target: { kind: 'cluster', nodes: hostList('REDIS_CLUSTER_NODES', env.REDIS_CLUSTER_NODES, problems, problem), ...credentials },
      ...common,
    };
  }
  for (const name of ['REDIS_USERNAME', 'REDIS_PASSWORD', 'REDIS_TLS'] as const) {
    if (name === 'REDIS_TLS' ? env.REDIS_TLS : env[name])
      problems.push(
        problem(
          name,
          'is only read with REDIS_SENTINELS or REDIS_CLUSTER_NODES: with REDIS_URL put credentials in the URL (rediss:// for TLS)',
        ),
      );
  }
  return fallback;
}
