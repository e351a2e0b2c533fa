// The send path on a 3-master Redis Cluster of real redis-server processes: hash-tagged queue keys,
// sharded queues spread over the masters, flow-control scripts within one slot, and replicated enqueue.
import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import { readFlowState } from '../../src/flow/flow-status';
import { FlowKeys, flowKeyPrefix } from '../../src/flow/flow-keys';
import {
  idempotentJobId,
  createRedisConnection,
  EnqueueNotReplicatedError,
  clusterKeySlot,
  connectionForKey,
} from '@omikai/graph-mailer-client';
import { startCluster, type TestCluster } from '../../tools/redis/redis-topologies';
import { TENANT_ID, accountDocument, sampleEmail, usePipelineFixture } from '../support/test-pipeline';

const fx = usePipelineFixture();
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ masters: 3 });
}, 60_000);
afterAll(() => cluster?.stop());

const accounts = ['acc-1', 'acc-2', 'acc-3', 'acc-4', 'acc-5', 'acc-6'];
const documents = { accounts: accounts.map((id) => accountDocument(id)), users: [] };

describe('on a Redis Cluster', () => {
  it('sends as the account and records the delivery, with every queue key in one slot', async () => {
    const pipeline = await fx.start({ redisEnv: cluster.env, documents });
    expect(pipeline.connection).toBeInstanceOf(Cluster);
    const { jobId } = await pipeline.producer.enqueue(sampleEmail({ idempotencyKey: 'invoice-1' }));
    const repeat = await pipeline.producer.enqueue(sampleEmail({ idempotencyKey: 'invoice-1' }));
    expect(repeat.jobId).toBe(jobId);
    expect(await pipeline.waitForEnd(jobId)).toMatchObject({
      state: 'completed',
      result: { status: 'sent', sender: 'info@contoso.example' },
    });
    expect(fx.simulator.sent).toHaveLength(1);
    expect(await pipeline.deliveries.find({ jobId })).toEqual([expect.objectContaining({ status: 'sent', possibleDuplicate: false })]);

    const { prefix } = pipeline.queue.opts;
    expect(prefix).toBe(`{${pipeline.queueName}}`);
    const keys: string[] = [];
    for (const node of (pipeline.connection as Cluster).nodes('master')) keys.push(...(await node.keys(`${prefix}:*`)));
    expect(keys.length).toBeGreaterThan(3);
    expect(new Set(keys.map((key) => calculateSlot(key))).size).toBe(1);
    // The client package's own slot function (used to find the master a replicated enqueue WAITs on) is Redis's.
    const node = (pipeline.connection as Cluster).nodes('master')[0]!;
    for (const key of [...keys.slice(0, 3), 'x{}y{z}', '{}:empty-tag', 'no{close', 'größe:😀']) {
      expect([key, clusterKeySlot(key)]).toEqual([key, await node.cluster('KEYSLOT', key)]);
    }
  });

  it('spreads EMAIL_QUEUE_SHARDS=3 over the masters; an account keeps its shard, so its idempotency key stays unique', async () => {
    const pipeline = await fx.start({ redisEnv: { ...cluster.env, EMAIL_QUEUE_SHARDS: '3' }, documents });
    expect(pipeline.runtime.workers).toHaveLength(3);
    const shardOwners = new Set(
      pipeline.producer.queues.map((queue) => connectionForKey(pipeline.connection, queue.keys.id!).options.port),
    );
    expect(shardOwners.size).toBeGreaterThan(1);

    const enqueued = await pipeline.producer.enqueueMany(
      accounts.map((accountId) => sampleEmail({ accountId, idempotencyKey: 'statement' })),
    );
    expect(enqueued.map(({ jobId }) => jobId)).toEqual(accounts.map((accountId) => idempotentJobId(accountId, 'statement')));
    const again = await pipeline.producer.enqueue(sampleEmail({ accountId: 'acc-4', idempotencyKey: 'statement' }));
    expect(again.jobId).toBe(idempotentJobId('acc-4', 'statement'));
    for (const { jobId } of enqueued) expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed' });
    expect(fx.simulator.sent).toHaveLength(accounts.length);

    // Every shard got work, and a job lives only in its account's shard.
    const perShard = await Promise.all(pipeline.producer.queues.map((queue) => queue.getJobCountByTypes('completed')));
    expect(perShard.reduce((sum, count) => sum + count, 0)).toBe(accounts.length);
  });

  it("keeps the keys of each flow-control script in one slot, and ops flow status reads every master's keys", async () => {
    const keys = new FlowKeys(flowKeyPrefix('omikai-email'));
    const admission = keys.admission({ tenantId: TENANT_ID, mailbox: 'info@contoso.example', clientId: 'c-1', jobId: 'email-1' });
    expect(new Set(Object.values(admission).map((key) => calculateSlot(key))).size).toBe(1);
    const throttleKeys = [
      keys.mailbox(TENANT_ID, 'a@b', 'pause'),
      keys.app(TENANT_ID, 'c-1', 'pause'),
      keys.app(TENANT_ID, 'c-1', 'throttled'),
      keys.jobDeferrals(TENANT_ID, 'j'),
    ];
    expect(new Set(throttleKeys.map((key) => calculateSlot(key))).size).toBe(1);

    const pipeline = await fx.start({ redisEnv: cluster.env, documents });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    await pipeline.waitForEnd(jobId);
    const limits = {
      messagesPerWindow: 100_000,
      windowMs: 1000,
      concurrentSends: 100,
      recipientsPerDay: 10_000,
      maxThrottleDeferrals: 20,
      tenantPauseAfterMailboxes: 3,
    };
    const state = await readFlowState(pipeline.connection, flowKeyPrefix(pipeline.queueName), limits, Date.now());
    expect(state.mailboxes).toEqual([expect.objectContaining({ tenantId: TENANT_ID, mailbox: 'info@contoso.example' })]);
  });

  it('a replicated enqueue with no replica to confirm it says the e-mail may be queued and to enqueue again with the same key', async () => {
    const pipeline = await fx.start({ redisEnv: cluster.env, documents, durability: 'replicated' });
    const attempt = pipeline.producer.enqueue(sampleEmail({ idempotencyKey: 'invoice-2' }));
    await expect(attempt).rejects.toBeInstanceOf(EnqueueNotReplicatedError);
    await expect(attempt).rejects.toThrow(/may be queued .*Enqueue it again with the same idempotencyKey/);
    // WAIT went to the master that holds the job: the job's hash is on that node, read without redirection.
    const jobId = idempotentJobId('acc-1', 'invoice-2');
    const owner = connectionForKey(pipeline.connection, pipeline.queue.keys.id!);
    expect(await owner.exists(`${pipeline.queue.opts.prefix}:${pipeline.queueName}:${jobId}`)).toBe(1);
    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed' });
  });

  it('stops the CLI connection quickly when no Cluster node answers', async () => {
    const dead = createRedisConnection({ kind: 'cluster', nodes: [{ host: '127.0.0.1', port: 1 }] }, 'cli');
    dead.on('error', () => {});
    await expect(dead.ping()).rejects.toThrow();
    dead.disconnect();
  });
});
