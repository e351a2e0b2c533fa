// The client package's promises to the ERP that need a worker: a job of a newer schemaVersion is put back
// (never failed) by an older worker, and "Test connection" is a job whose report the client awaits.
import { ConnectionTestTimeoutError, createEmailProducer, shardForAccount } from '@omikai/graph-mailer-client';
import { NEWER_SCHEMA_DELAY_MS, type AttemptReport } from '../../src/sending/send-email-job';
import { sampleEmail, type TestPipeline, usePipelineFixture } from '../support/test-pipeline';
import { until } from '../../tools/until';

const fx = usePipelineFixture();
let pipeline: TestPipeline;

describe('rolling upgrades', () => {
  it('a job of a newer schemaVersion is put back with a log line and a metric naming the version, not failed', async () => {
    const newer: number[] = [];
    pipeline = await fx.start({ observer: { onAttempt: (_report: AttemptReport) => undefined, onNewerSchema: (v) => newer.push(v) } });
    const job = await pipeline.queue.add('send-email', { ...sampleEmail(), schemaVersion: 3, futureField: 'x' } as never);
    await until(async () => (await pipeline.queue.getJobState(job.id!)) === 'delayed');
    expect(newer).toEqual([3]);
    expect(pipeline.logs()).toMatch(
      /"schemaVersion":3.*job written by a newer client than this worker; put back: upgrade the workers first/,
    );
    const delayed = await pipeline.queue.getJob(job.id!);
    expect(delayed!.attemptsMade).toBe(0);
    expect(delayed!.delay).toBeGreaterThan(NEWER_SCHEMA_DELAY_MS - 5_000);
    expect(fx.simulator.sent).toHaveLength(0);
  });
});

describe('test connection from the ERP', () => {
  it('runs the checklist verify prints in the worker and answers through QueueEvents', async () => {
    pipeline = await fx.start();
    const client = createEmailProducer({ connection: { url: process.env.REDIS_URL! }, queueName: pipeline.queueName });
    try {
      const report = await client.testConnection({ accountId: 'acc-1' });
      expect(report).toMatchObject({ accountId: 'acc-1', ok: true, sender: 'info@contoso.example' });
      expect(report.steps.map((s) => [s.step, s.status])).toEqual(
        expect.arrayContaining([
          ['settings', 'ok'],
          ['token', 'ok'],
          ['permissions', 'ok'],
        ]),
      );
      const unknown = await client.testConnection({ accountId: 'no-such-account' });
      expect(unknown.ok).toBe(false);
      expect(unknown.steps[0]).toMatchObject({ step: 'settings', status: 'failed' });
    } finally {
      await client.close();
    }
  });

  it("goes to the account's shard of a sharded queue, connecting through a redis target", async () => {
    pipeline = await fx.start({ env: { EMAIL_QUEUE_SHARDS: '3' } });
    const client = createEmailProducer({
      redis: { kind: 'single', url: process.env.REDIS_URL! },
      queueName: pipeline.queueName,
      shards: 3,
    });
    try {
      const report = await client.testConnection({ accountId: 'acc-1' });
      expect(report).toMatchObject({ accountId: 'acc-1', ok: true });
      // The same checklist as verify's, send mode included.
      expect(report.steps.map((s) => s.step)).toEqual(expect.arrayContaining(['settings', 'token', 'permissions', 'send-mode']));
      const counts = await Promise.all(client.queues.map((queue) => queue.getCompletedCount()));
      const expected = [0, 0, 0];
      expected[shardForAccount('acc-1', 3)] = 1;
      expect(counts).toEqual(expected);
    } finally {
      await client.close();
    }
  });

  it('says so when no worker answers', async () => {
    pipeline = await fx.start();
    await pipeline.runtime.close();
    const client = createEmailProducer({ connection: { url: process.env.REDIS_URL! }, queueName: pipeline.queueName });
    try {
      await expect(client.testConnection({ accountId: 'acc-1' }, { timeoutMs: 500 })).rejects.toThrow(ConnectionTestTimeoutError);
    } finally {
      await client.close();
    }
  });
});
