// Content out of Redis, measured on the real worker process: 20 e-mails with a 1 MB attachment each
// leave less than 1 MB behind in Redis once sent (or failed), and no finished job keeps their bytes.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRedisConnection, DirectoryPayloadStore, createEmailProducer } from '@omikai/graph-mailer-client';
import { startGraphSimulator, type GraphSimulator } from '../../tools/graph-simulator/graph-simulator';
import { startRedisServer, type TestRedis } from '../../tools/redis/throwaway-redis';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-processes';
import { PIPELINE_TENANTS, accountDocument, sampleEmail } from '../support/test-pipeline';
import { until } from '../../tools/until';

const MB = 1024 * 1024;
const COUNT = 20;

describe('Redis memory with 1 MB attachments, through the worker process', () => {
  // A Redis of this file's own: used_memory must not move with other test files' queues.
  let redis: TestRedis;
  let client: Redis;
  let simulator: GraphSimulator;
  let dir: string;
  let contentDir: string;
  let worker: WorkerProcess;
  const queueName = `test-${randomUUID()}`;

  beforeAll(async () => {
    redis = await startRedisServer();
    client = createRedisConnection({ kind: 'single', url: redis.url }, 'producer') as Redis;
    simulator = await startGraphSimulator({ tenants: PIPELINE_TENANTS });
    dir = await mkdtemp(join(tmpdir(), 'omikai-memory-'));
    contentDir = join(dir, 'content');
    await writeFile(
      join(dir, 'settings.json'),
      JSON.stringify({
        accounts: [accountDocument('acc-1'), accountDocument('blocked', { senderEmail: 'blocked@contoso.example' })],
        users: [],
      }),
    );
    worker = spawnWorkerProcess({
      STORE: 'memory',
      SETTINGS_FILE: join(dir, 'settings.json'),
      CONTENT_DIR: contentDir,
      REDIS_URL: redis.url,
      EMAIL_QUEUE_NAME: queueName,
      MS_GRAPH_BASE_URL: simulator.url,
      MS_LOGIN_BASE_URL: simulator.url,
      WORKER_METRICS_PORT: '0',
      LOG_LEVEL: 'warn',
      // The flow gate's pacing (30 a minute per mailbox) would stretch the test to a minute.
      FLOW_ENABLED: 'false',
    });
  }, 30_000);

  afterAll(async () => {
    worker.child.kill('SIGTERM');
    await worker.exited;
    await client.quit();
    await redis.stop();
    await simulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1]);
  const attachment = (seed: number) => Buffer.alloc(MB, seed).toString('base64');

  async function runAll(add: () => Promise<string[]>, expected: 'completed' | 'failed'): Promise<string[]> {
    const events = new QueueEvents(queueName, { connection: { url: redis.url } });
    await events.waitUntilReady();
    const ended = new Set<string>();
    events.on(expected, ({ jobId }: { jobId: string }) => ended.add(jobId));
    try {
      const ids = await add();
      await until(() => ids.every((id) => ended.has(id)), 60_000);
      return ids;
    } finally {
      await events.close();
    }
  }

  async function expectNoContent(queue: Queue, ids: string[], seed: number): Promise<void> {
    const marker = attachment(seed).slice(0, 64);
    for (const id of ids) {
      const data = (await client.hget(`bull:${queueName}:${id}`, 'data')) ?? '';
      expect(data.length).toBeLessThan(2048);
      expect(data).not.toContain(marker);
      expect(data).not.toContain('Please find invoice');
      expect(await queue.getJobState(id)).toMatch(/completed|failed/);
    }
  }

  it('20 e-mails queued by the producer, all sent: Redis grows by less than 1 MB and keeps no content', async () => {
    const producer = createEmailProducer({ connection: { url: redis.url }, queueName, payloads: new DirectoryPayloadStore(contentDir) });
    try {
      // BullMQ's own start-up cost (its Lua scripts, the connections' buffers: about 0.6 MB whatever the jobs)
      // is paid by one e-mail first, so what is measured is what the 20 e-mails leave behind.
      await runAll(async () => [(await producer.enqueue(sampleEmail())).jobId], 'completed');
      const before = await usedMemory();
      const ids = await runAll(async () => {
        const added = await producer.enqueueMany(
          Array.from({ length: COUNT }, () =>
            sampleEmail({ attachments: [{ name: 'invoice.pdf', contentType: 'application/pdf', contentBase64: attachment(1) }] }),
          ),
        );
        return added.map((a) => a.jobId);
      }, 'completed');
      expect(simulator.sent).toHaveLength(COUNT + 1);
      // Sent content is removed from the store as well (in batches, a few ms after the send).
      await until(async () => (await readdir(contentDir)).length === 0);
      const grownBytes = (await usedMemory()) - before;
      expect(grownBytes).toBeLessThan(MB);
      await expectNoContent(producer.queue, ids, 1);
    } finally {
      await producer.close();
    }
  }, 90_000);

  it('20 inline e-mails from another client, all failed for good: their content moves to the store and Redis grows by less than 1 MB', async () => {
    const queue = new Queue(queueName, { connection: { url: redis.url } });
    try {
      const before = await usedMemory();
      const ids = await runAll(async () => {
        const jobs = await queue.addBulk(
          Array.from({ length: COUNT }, () => ({
            name: 'send-email',
            data: {
              ...sampleEmail({ accountId: 'blocked' }),
              schemaVersion: 1,
              attachments: [{ name: 'invoice.pdf', contentType: 'application/pdf', contentBase64: attachment(2) }],
            },
            opts: { attempts: 3, removeOnFail: { age: 14 * 24 * 3600 } },
          })),
        );
        return jobs.map((job) => job.id!);
      }, 'failed');
      // The move to the store happens right before the job is failed; wait until every job holds a reference.
      await until(async () => {
        const data = await Promise.all(ids.map((id) => client.hget(`bull:${queueName}:${id}`, 'data')));
        return data.every((d) => (d ?? '').includes('"content":{"id"'));
      }, 30_000);
      const grownBytes = (await usedMemory()) - before;
      expect(grownBytes).toBeLessThan(MB);
      await expectNoContent(queue, ids, 2);
      expect((await readdir(contentDir)).filter((name) => name.endsWith('.json'))).toHaveLength(COUNT);
    } finally {
      await queue.close();
    }
  }, 90_000);
});
