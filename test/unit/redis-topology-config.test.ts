// The REDIS_* variables: one topology at a time, contradictions named with what to set, exit 78 from entry points.
import calculateSlot from 'cluster-key-slot';
import { ConfigError, loadConfig } from '../../config/load-config';
import { queueShards, shardForAccount, idempotentJobId, describeRedisTarget } from '@omikai/graph-mailer-client';

const base = { STORE: 'memory', SETTINGS_FILE: 'config/demo-settings.json' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...base, ...env });
  } catch (err: unknown) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('Redis topology configuration', () => {
  it('defaults to one local node, unsharded, with acknowledged enqueues', () => {
    expect(loadConfig(base).redis).toEqual({
      target: { kind: 'single', url: 'redis://127.0.0.1:6379' },
      shards: 1,
      durability: 'acknowledged',
      replicationTimeoutMs: 2000,
    });
  });

  it('takes rediss:// for TLS to a single node', () => {
    expect(loadConfig({ ...base, REDIS_URL: 'rediss://:pw@cache.example:6380' }).redis.target).toEqual({
      kind: 'single',
      url: 'rediss://:pw@cache.example:6380',
    });
  });

  it('reads a Sentinel set with the master name, passwords and TLS', () => {
    const { redis } = loadConfig({
      ...base,
      REDIS_SENTINELS: 's1:26379, s2:26380,[::1]:26381',
      REDIS_SENTINEL_MASTER: 'omikai',
      REDIS_PASSWORD: 'data-pw',
      REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
      REDIS_TLS: 'true',
      ENQUEUE_DURABILITY: 'replicated',
    });
    expect(redis.target).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      masterName: 'omikai',
      password: 'data-pw',
      sentinelPassword: 'sentinel-pw',
      tls: true,
    });
    expect(redis.durability).toBe('replicated');
    expect(describeRedisTarget(redis.target)).toBe('sentinel master "omikai" via s1:26379,s2:26380,::1:26381');
  });

  it('reads Cluster nodes and a shard count', () => {
    const { redis } = loadConfig({ ...base, REDIS_CLUSTER_NODES: 'r1:7000,r2:7001', EMAIL_QUEUE_SHARDS: '4' });
    expect(redis).toMatchObject({
      target: {
        kind: 'cluster',
        nodes: [
          { host: 'r1', port: 7000 },
          { host: 'r2', port: 7001 },
        ],
      },
      shards: 4,
    });
  });

  it.each([
    [
      { REDIS_URL: 'redis://a:6379', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_MASTER: 'm' },
      /^REDIS_SENTINELS: cannot be combined with REDIS_URL: set exactly one of/,
    ],
    [{ REDIS_SENTINELS: 's:26379', REDIS_CLUSTER_NODES: 'c:7000' }, /^REDIS_CLUSTER_NODES: cannot be combined with REDIS_SENTINELS/],
    [{ REDIS_SENTINELS: 's:26379' }, /^REDIS_SENTINEL_MASTER: is required with REDIS_SENTINELS/],
    [{ REDIS_SENTINEL_MASTER: 'm' }, /^REDIS_SENTINEL_MASTER: is only read with REDIS_SENTINELS: set REDIS_SENTINELS too/],
    [
      { REDIS_PASSWORD: 'pw' },
      /^REDIS_PASSWORD: is only read with REDIS_SENTINELS or REDIS_CLUSTER_NODES: with REDIS_URL put credentials in the URL/,
    ],
    [{ REDIS_CLUSTER_NODES: 'r1:7000,r2' }, /^REDIS_CLUSTER_NODES: must be a comma-separated list of host:port, got "r2"/],
    [{ EMAIL_QUEUE_SHARDS: '0' }, /^EMAIL_QUEUE_SHARDS: /],
    [{ ENQUEUE_DURABILITY: 'quorum' }, /^ENQUEUE_DURABILITY: /],
  ])('refuses %j with a line saying what to set', (env, expected) => {
    const problems = problemsOf(env as Record<string, string>);
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });

  it('never quotes a Redis password in an error', () => {
    const problems = problemsOf({ REDIS_PASSWORD: 'hunter2-secret', REDIS_SENTINEL_PASSWORD: 'other-secret' });
    expect(problems.join('\n')).not.toMatch(/hunter2|other-secret/);
  });
});

describe('queue shards', () => {
  it('leaves one unsharded queue on a single node where BullMQ always kept it', () => {
    expect(queueShards({ queueName: 'omikai-email', shards: 1, hashTagged: false })).toEqual([{ name: 'omikai-email', prefix: 'bull' }]);
  });

  it('hash-tags one queue on a Cluster, and gives every shard a tag of its own', () => {
    expect(queueShards({ queueName: 'q', shards: 1, hashTagged: true })).toEqual([{ name: 'q', prefix: '{q}' }]);
    const shards = queueShards({ queueName: 'q', shards: 3, hashTagged: true });
    expect(shards).toEqual([
      { name: 'q-s0', prefix: '{q-s0}' },
      { name: 'q-s1', prefix: '{q-s1}' },
      { name: 'q-s2', prefix: '{q-s2}' },
    ]);
    // Every key of one shard's queue lands in one slot; the shards' slots differ.
    for (const { name, prefix } of shards) {
      const slots = new Set(['wait', 'active', 'id', 'events', 'job-1'].map((suffix) => calculateSlot(`${prefix}:${name}:${suffix}`)));
      expect(slots.size).toBe(1);
    }
    expect(new Set(shards.map(({ name, prefix }) => calculateSlot(`${prefix}:${name}:id`))).size).toBe(3);
  });

  it('routes an account always to the same shard, so an idempotency key maps to one queue and one job id', () => {
    const accounts = Array.from({ length: 200 }, (_, i) => `account-${i}`);
    const first = accounts.map((id) => shardForAccount(id, 4));
    expect(accounts.map((id) => shardForAccount(id, 4))).toEqual(first);
    expect(new Set(first)).toEqual(new Set([0, 1, 2, 3]));
    expect(idempotentJobId('account-1', 'invoice-1')).toBe(idempotentJobId('account-1', 'invoice-1'));
    expect(shardForAccount('anything', 1)).toBe(0);
  });
});
