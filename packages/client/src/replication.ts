// Durable enqueue: after a job is written, Redis WAIT confirms that a replica holds it too.
// WAIT counts only the writes made on its own connection, cannot run inside MULTI or a script, and on
// a Cluster must reach the master that owns the job's slot; waitForReplicas keeps all three rules.
import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './redis-connection';

/** acknowledged: enqueue() returns when the master took the job; replicated: when at least one replica has it too. */
export const ENQUEUE_DURABILITIES = ['acknowledged', 'replicated'] as const;
export type EnqueueDurability = (typeof ENQUEUE_DURABILITIES)[number];

/** CRC16-CCITT (XMODEM), the checksum Redis Cluster hashes keys with, one table entry per byte value. */
const CRC16_TABLE = Array.from({ length: 256 }, (_, byte) => {
  let crc = byte << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  return crc;
});

/**
 * The Cluster slot of a key (0-16383): CRC16 of the key, or of its hash tag (the text between the
 * first `{` and the next `}`, when not empty), modulo 16384 — as Redis computes it (CLUSTER KEYSLOT).
 */
export function clusterKeySlot(key: string): number {
  const open = key.indexOf('{');
  const close = open === -1 ? -1 : key.indexOf('}', open + 1);
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(hashed, 'utf8')) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc % 16384;
}

/** No replica confirmed the write in time: the job may or may not survive a failover of the master. */
export class EnqueueNotReplicatedError extends Error {
  override name = 'EnqueueNotReplicatedError';

  constructor(
    readonly jobIds: string[],
    readonly replicas: number,
    timeoutMs: number,
  ) {
    super(
      `Redis queued the e-mail (job ${jobIds.join(', ')}) on its master, but ${replicas === 0 ? 'no replica' : `only ${replicas} replica(s)`} ` +
        `confirmed it within ${timeoutMs} ms, so it may be queued or may be lost if the master fails now. ` +
        'Enqueue it again with the same idempotencyKey: a repeat is never sent twice. If this persists, check that the replicas are connected (INFO replication).',
    );
  }
}

/**
 * The connection that carried the write of `key`: the client itself, or on a Cluster the master
 * node that owns the key's slot (a key-less command such as WAIT would otherwise go to any node).
 */
export function connectionForKey(client: RedisClient, key: string): Redis {
  if (!(client instanceof Cluster) && !(client as { isCluster?: boolean }).isCluster) return client as Redis;
  const cluster = client as Cluster;
  const owner = cluster.slots[clusterKeySlot(key)]?.[0];
  const node = cluster.nodes('master').find((candidate) => `${candidate.options.host}:${candidate.options.port}` === owner);
  if (!node) throw new Error(`no Redis Cluster master owns the slot of ${key} yet (slot map not loaded)`);
  return node;
}

/**
 * Waits until `replicas` replicas hold every write made so far on the connection that wrote `key`;
 * returns how many did. Call it after the write returned, on the same client.
 */
export async function waitForReplicas(client: RedisClient, key: string, replicas: number, timeoutMs: number): Promise<number> {
  return connectionForKey(client, key).wait(replicas, timeoutMs);
}
