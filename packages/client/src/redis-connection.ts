// The one place a Redis client is made: every process (worker, dashboard, ops CLI, verify, bench,
// producer) connects through createRedisConnection, for a single node, a Sentinel set or a Cluster.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

export interface RedisHostPort {
  host: string;
  port: number;
}

/** Where Redis is: one node (redis:// or rediss://), a master behind Sentinels, or a Cluster. */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | {
      kind: 'sentinel';
      sentinels: RedisHostPort[];
      /** The master's name in the Sentinels' configuration (`sentinel monitor <name> …`). */
      masterName: string;
      username?: string;
      password?: string;
      sentinelUsername?: string;
      sentinelPassword?: string;
      /** TLS to the data nodes and the Sentinels. */
      tls?: boolean;
    }
  | { kind: 'cluster'; nodes: RedisHostPort[]; username?: string; password?: string; tls?: boolean };

export type RedisClient = Redis | Cluster;

/**
 * What a connection is for, which decides how it behaves while Redis is away:
 * - worker: waits for Redis forever (BullMQ workers need maxRetriesPerRequest: null);
 * - producer: retries for a while; enqueue() bounds the wait with its own timeout;
 * - dashboard: fails a command after one retry, so pages answer instead of hanging;
 * - cli: a few quick reconnects, then gives up, so on-call hears "Redis is down", not a hang.
 */
export type RedisPurpose = 'worker' | 'producer' | 'dashboard' | 'cli';

const PURPOSE_OPTIONS: Record<RedisPurpose, RedisOptions> = {
  worker: { maxRetriesPerRequest: null },
  producer: { maxRetriesPerRequest: 20 },
  dashboard: { maxRetriesPerRequest: 1 },
  cli: { maxRetriesPerRequest: 2, connectTimeout: 5000, retryStrategy: (attempt: number) => (attempt > 3 ? null : 250 * attempt) },
};

/** A demoted master answers writes with READONLY until the client reconnects to the new one. */
const reconnectOnReadonly = (err: Error): 2 | false => (err.message.startsWith('READONLY') ? 2 : false);

function sentinelOptions(target: Extract<RedisTarget, { kind: 'sentinel' }>): RedisOptions {
  return {
    sentinels: target.sentinels,
    name: target.masterName,
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.sentinelUsername ? { sentinelUsername: target.sentinelUsername } : {}),
    ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
    ...(target.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
    // No failoverDetector: its disconnect on +switch-master, arriving while the client is reconnecting
    // through the Sentinels, ends the client for good. A dead master is noticed by its closed
    // connection; a demoted live one by the READONLY answer to the next write.
    reconnectOnError: reconnectOnReadonly,
  };
}

/** Opens a client for `target`, behaving as `purpose` says; `overrides` are merged last (per node on a Cluster). */
export function createRedisConnection(target: RedisTarget, purpose: RedisPurpose, overrides: RedisOptions = {}): RedisClient {
  const base = { ...PURPOSE_OPTIONS[purpose], ...overrides };
  switch (target.kind) {
    case 'single':
      return new Redis(target.url, { reconnectOnError: reconnectOnReadonly, ...base });
    case 'sentinel':
      return new Redis({ ...sentinelOptions(target), ...base });
    case 'cluster': {
      const { maxRetriesPerRequest, enableAutoPipelining, ...nodeOptions } = base;
      const options: ClusterOptions = {
        redisOptions: {
          ...(target.username ? { username: target.username } : {}),
          ...(target.password ? { password: target.password } : {}),
          ...(target.tls ? { tls: {} } : {}),
          ...nodeOptions,
          ...(maxRetriesPerRequest !== undefined ? { maxRetriesPerRequest } : {}),
        },
        // BullMQ checks the Cluster's own option for workers' blocking connections.
        ...(maxRetriesPerRequest !== undefined ? { maxRetriesPerRequest } : {}),
        ...(enableAutoPipelining !== undefined ? { enableAutoPipelining } : {}),
        // After a failover a node answers MOVED or CLUSTERDOWN for a moment; keep retrying the slot map.
        retryDelayOnClusterDown: 200,
        retryDelayOnFailover: 200,
        slotsRefreshTimeout: 2000,
        ...(purpose === 'cli' ? { clusterRetryStrategy: (attempt: number) => (attempt > 3 ? null : 250 * attempt) } : {}),
      };
      return new Cluster(target.nodes, options);
    }
  }
}

/** A second client to the same Redis with other options (e.g. auto-pipelining for the flow gate). */
export function duplicateRedisConnection(client: RedisClient, overrides: RedisOptions): RedisClient {
  if (client instanceof Cluster) {
    const { enableAutoPipelining, ...nodeOptions } = overrides;
    return client.duplicate([], {
      ...(enableAutoPipelining !== undefined ? { enableAutoPipelining } : {}),
      redisOptions: { ...client.options.redisOptions, ...nodeOptions },
    });
  }
  return client.duplicate(overrides);
}

/** Where the target is, for logs and error messages: hosts only, never a password. */
export function describeRedisTarget(target: RedisTarget): string {
  const hosts = (list: RedisHostPort[]) => list.map(({ host, port }) => `${host}:${port}`).join(',');
  switch (target.kind) {
    case 'single': {
      const url = new URL(target.url);
      return `${url.protocol}//${url.host}`;
    }
    case 'sentinel':
      return `sentinel master "${target.masterName}" via ${hosts(target.sentinels)}`;
    case 'cluster':
      return `cluster ${hosts(target.nodes)}`;
  }
}
