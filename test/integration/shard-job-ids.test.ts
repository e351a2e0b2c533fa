// With EMAIL_QUEUE_SHARDS, every e-mail keeps a job id (and so a delivery record) of its own across the shards.
import { shardForAccount } from '@omikai/graph-mailer-client';
import { accountDocument, sampleEmail, testRedisEnv, type TestPipeline, usePipelineFixture } from '../support/test-pipeline';

const fx = usePipelineFixture();
let pipeline: TestPipeline;

/** The first account ids that fall on each of the shards. */
function oneAccountPerShard(shards: number): string[] {
  const found = new Map<number, string>();
  for (let n = 1; found.size < shards; n++) {
    const id = `acc-${n}`;
    const shard = shardForAccount(id, shards);
    if (!found.has(shard)) found.set(shard, id);
  }
  return [...found.values()];
}

describe('job ids with EMAIL_QUEUE_SHARDS=3', () => {
  it('e-mails without an idempotency key on different shards get distinct job ids, each sent once with its own delivery record', async () => {
    const accounts = oneAccountPerShard(3);
    pipeline = await fx.start({
      redisEnv: { ...testRedisEnv(), EMAIL_QUEUE_SHARDS: '3' },
      documents: { accounts: accounts.map((id) => accountDocument(id)), users: [] },
    });

    // Two per shard: without ids of their own, each shard's counter would name them "1" and "2".
    const enqueued = [];
    for (const accountId of [...accounts, ...accounts]) {
      enqueued.push(await pipeline.producer.enqueue(sampleEmail({ accountId, subject: `for ${accountId}` })));
    }
    const jobIds = enqueued.map((each) => each.jobId);
    expect(new Set(jobIds).size).toBe(6);

    for (const jobId of jobIds) expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed' });
    expect(fx.simulator.sent).toHaveLength(6);
    const records = await pipeline.deliveries.find({});
    expect(
      records
        .filter((record) => record.status === 'sent')
        .map((record) => record.jobId)
        .sort(),
    ).toEqual([...jobIds].sort());
  });

  it('an e-mail with an idempotency key keeps its idempotent job id on its shard', async () => {
    pipeline = await fx.start({ redisEnv: { ...testRedisEnv(), EMAIL_QUEUE_SHARDS: '3' } });

    const first = await pipeline.producer.enqueue(sampleEmail({ idempotencyKey: 'invoice-1042' }));
    const again = await pipeline.producer.enqueue(sampleEmail({ idempotencyKey: 'invoice-1042' }));

    expect(first.jobId).toMatch(/^email-[0-9a-f]{40}$/);
    expect(again.jobId).toBe(first.jobId);
    expect(await pipeline.waitForEnd(first.jobId)).toMatchObject({ state: 'completed' });
    expect(fx.simulator.sent).toHaveLength(1);
  });
});
