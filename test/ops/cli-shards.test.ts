// With EMAIL_QUEUE_SHARDS the ops CLI shows the shards as one queue: counts summed, jobs found in any
// shard, failed jobs listed page by page across shards, pause and resume for every shard.
import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import { SEND_EMAIL_JOB_NAME, openShardQueues, createRedisConnection, type RedisClient } from '@omikai/graph-mailer-client';
import { shardedQueueView } from '../../src/ops/cli/sharded-queue';
import { runCli } from './support/run-cli';

let connection: RedisClient;
let queues: Queue[];
const queueName = `test-${randomUUID()}`;

beforeAll(() => {
  connection = createRedisConnection({ kind: 'single', url: process.env.REDIS_URL! }, 'cli');
  queues = openShardQueues({ queueName, shards: 3, hashTagged: false }, connection);
});
afterAll(async () => {
  await Promise.all(queues.map((queue) => queue.obliterate({ force: true })));
  await Promise.all(queues.map((queue) => queue.close()));
  await connection.quit();
});

describe('ops CLI over a sharded queue', () => {
  it('counts, finds and pages over every shard, and pauses and resumes them all', async () => {
    // 2, 3 and 4 delayed jobs in the three shards.
    for (const [index, queue] of queues.entries()) {
      for (let i = 0; i < index + 2; i += 1) await queue.add(SEND_EMAIL_JOB_NAME, { i }, { jobId: `s${index}-${i}`, delay: 60_000 });
    }
    const view = shardedQueueView(queues, queueName);
    expect(await view.getJobCounts('delayed')).toEqual({ delayed: 9 });
    expect((await view.getJob('s2-3'))?.id).toBe('s2-3');
    expect(await view.getJob('nowhere')).toBeUndefined();
    const pages = [await view.getJobs(['delayed'], 0, 3), await view.getJobs(['delayed'], 4, 7), await view.getJobs(['delayed'], 8, 11)];
    expect(pages.map((page) => page.length)).toEqual([4, 4, 1]);
    expect(new Set(pages.flat().map((job) => job.id)).size).toBe(9);

    await runCli(['queue', 'pause'], { queue: view });
    expect(await Promise.all(queues.map((queue) => queue.isPaused()))).toEqual([true, true, true]);
    const status = (await runCli(['queue', 'status', '--json'], { queue: view })).json();
    expect(status).toMatchObject({ queue: queueName, paused: true, counts: { delayed: 9 } });
    await runCli(['queue', 'resume'], { queue: view });
    expect(await Promise.all(queues.map((queue) => queue.isPaused()))).toEqual([false, false, false]);
  });
});
