// A short Sentinel failover on real processes (master + 1 replica + 3 Sentinels): the master is
// SIGKILLed and the worker, the producer and the dashboard follow the promoted replica by themselves.
import { Queue } from 'bullmq';
import { createRedisConnection, type RedisClient } from '@omikai/graph-mailer-client';
import { basicAuthHeader } from '../ops/support/http';
import { OPERATOR, startTestDashboard, type TestDashboard } from '../ops/support/test-dashboard';
import { startSentinelSet, type TestSentinelSet } from '../../tools/redis/redis-topologies';
import { sampleEmail, usePipelineFixture } from '../support/test-pipeline';
import { until } from '../../tools/until';

const fx = usePipelineFixture();
let sentinels: TestSentinelSet;
let dashboard: TestDashboard | undefined;
let dashboardQueue: Queue | undefined;
let dashboardConnection: RedisClient | undefined;

beforeAll(async () => {
  sentinels = await startSentinelSet({ replicas: 1 });
}, 60_000);
afterEach(async () => {
  await dashboard?.close();
  await dashboardQueue?.close();
  dashboardConnection?.disconnect();
});
afterAll(() => sentinels?.stop());

const dashboardAnswers = async () => {
  const response = await fetch(`${dashboard!.url}/api/queues`, { headers: basicAuthHeader(OPERATOR.name, OPERATOR.password) });
  return response.status === 200;
};

describe('on Redis Sentinel', () => {
  it('follows the promoted replica after the master is killed: replicated e-mails survive, a retried key is sent once', async () => {
    const pipeline = await fx.start({ redisEnv: sentinels.env, durability: 'replicated' });
    dashboardConnection = createRedisConnection(sentinels.target, 'dashboard');
    dashboardConnection.on('error', () => {});
    dashboardQueue = new Queue(pipeline.queueName, { connection: dashboardConnection, prefix: pipeline.queue.opts.prefix });
    dashboardQueue.on('error', () => {});
    dashboard = await startTestDashboard({ queue: dashboardQueue });
    expect(await dashboardAnswers()).toBe(true);

    const before = await pipeline.producer.enqueue(sampleEmail({ subject: 'before', idempotencyKey: 'before' }));
    expect(await pipeline.waitForEnd(before.jobId)).toMatchObject({ state: 'completed' });
    // Acknowledged by a replica, waiting for its time while the master dies.
    const sendAt = new Date(Date.now() + 3_000).toISOString();
    const waiting = await pipeline.producer.enqueue(sampleEmail({ subject: 'waiting', idempotencyKey: 'waiting', sendAt }));

    const { killedPort, newMasterPort } = await sentinels.killMaster();
    expect(newMasterPort).not.toBe(killedPort);
    // The one replica is the master now: until a replica is back, no enqueue can be confirmed replicated.
    const unconfirmed = pipeline.producer.enqueue(sampleEmail({ subject: 'after', idempotencyKey: 'after' }));
    await expect(unconfirmed).rejects.toThrow(/may be queued .*Enqueue it again with the same idempotencyKey/);
    await sentinels.restartAsReplica(killedPort);

    const after = await pipeline.producer.enqueue(sampleEmail({ subject: 'after', idempotencyKey: 'after' }));
    expect(await pipeline.waitForEnd(after.jobId)).toMatchObject({ state: 'completed' });
    expect(await pipeline.waitForEnd(waiting.jobId)).toMatchObject({ state: 'completed' });
    expect(fx.simulator.sent.map((message) => (message.message as { subject: string }).subject).sort()).toEqual([
      'after',
      'before',
      'waiting',
    ]);

    // The dashboard's connection found the new master too.
    await until(dashboardAnswers, 15_000);
    expect(await dashboardQueue.getJobCountByTypes('completed')).toBe(3);
  }, 60_000);
});
