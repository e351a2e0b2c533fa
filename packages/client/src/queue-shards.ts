// How the e-mail queue is laid out in Redis: one BullMQ queue, or EMAIL_QUEUE_SHARDS queues each with
// its own hash tag, and which of them an account's e-mails go to.
import { createHash } from 'node:crypto';
import { Queue, type QueueOptions } from 'bullmq';
import type { RedisClient } from './redis-connection';

/** One BullMQ queue of the layout: its name and its key prefix. */
export interface QueueShard {
  name: string;
  prefix: string;
}

export interface QueueLayout {
  queueName: string;
  /** Number of queues (1 = no sharding). */
  shards: number;
  /** On a Redis Cluster every queue's keys must share one slot: the prefix carries a hash tag. */
  hashTagged: boolean;
}

/** BullMQ's own default prefix: a single unsharded queue keeps its keys where they always were. */
const BULLMQ_PREFIX = 'bull';

/**
 * The queues of a layout. One queue on a single node or Sentinel keeps BullMQ's keys as they are;
 * on a Cluster it gets the prefix `{<name>}`, so its keys share a slot. Shard i of N is the queue
 * `<name>-s<i>` with the prefix `{<name>-s<i>}`: each shard has its own tag, so shards spread over
 * the Cluster's masters.
 */
export function queueShards({ queueName, shards, hashTagged }: QueueLayout): QueueShard[] {
  if (shards <= 1) return [{ name: queueName, prefix: hashTagged ? `{${queueName}}` : BULLMQ_PREFIX }];
  return Array.from({ length: shards }, (_, index) => {
    const name = `${queueName}-s${index}`;
    return { name, prefix: `{${name}}` };
  });
}

/**
 * The shard an account's e-mails go to: always the same one for an account, so an idempotency key's
 * job id (derived from account and key) is unique within one queue and BullMQ refuses its repeat.
 */
export function shardForAccount(accountId: string, shards: number): number {
  if (shards <= 1) return 0;
  return createHash('sha256').update(accountId).digest().readUInt32BE(0) % shards;
}

/** The layout the configuration describes. */
export function configuredQueueLayout(config: { queueName: string; redis: { shards: number; target: { kind: string } } }): QueueLayout {
  return { queueName: config.queueName, shards: config.redis.shards, hashTagged: config.redis.target.kind === 'cluster' };
}

/** Opens a BullMQ Queue for every shard of the layout, on one shared connection. */
export function openShardQueues<T = unknown>(
  layout: QueueLayout,
  connection: RedisClient,
  options: Omit<QueueOptions, 'connection' | 'prefix'> = {},
): Queue<T>[] {
  return queueShards(layout).map(({ name, prefix }) => new Queue<T>(name, { ...options, connection, prefix }));
}
