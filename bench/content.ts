// The benchmark's content scenarios: what a job costs in Redis while it waits and once it completed,
// with a 1 MB attachment in the payload store and without attachments; and enqueue throughput with
// 100 KB attachments (enqueueMany through the payload store against addBulk of the same jobs inline).
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import {
  createRedisConnection,
  type PayloadStore,
  type EmailJobInput,
  createEmailProducer,
  type RedisClient,
} from '@omikai/graph-mailer-client';
import pino from 'pino';
import { MemoryDeliveryStore } from '../src/delivery/memory-delivery-store';
import { createLogger } from '../src/logging/logger';
import { MemorySettingsStore } from '../src/settings/memory-settings-store';
import { startEmailWorker } from '../src/sending/start-email-worker';
import { benchConfig, connect, fillQueue, timed, type BenchContext } from './scenarios';

/** Enqueued in chunks this size: 50 e-mails of 1 MB is 50 MB of base64 at once in the producer. */
const CHUNK = 50;

async function usedMemoryBytes(client: RedisClient): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1] ?? 0);
}

export function withAttachment(email: EmailJobInput, bytes: number): EmailJobInput {
  return {
    ...email,
    attachments: [{ name: 'invoice.pdf', contentType: 'application/pdf', contentBase64: Buffer.alloc(bytes, 7).toString('base64') }],
  };
}

export interface FootprintResult {
  jobs: number;
  redisBytesPerWaitingJob: number;
  redisBytesPerCompletedJob: number;
  jobsPerSec: number;
}

/**
 * Queues n e-mails through the producer (content over the inline limit to `payloads`), measures Redis
 * used_memory per waiting job, sends them all with the real pipeline, and measures it per completed job
 * (completed jobs are kept, as in production, for a day up to 10,000).
 */
export async function runContentFootprint(
  ctx: BenchContext,
  queueName: string,
  n: number,
  email: EmailJobInput,
  payloads: PayloadStore,
  inlineMaxBytes?: number,
): Promise<FootprintResult> {
  const client = createRedisConnection(ctx.redis, 'producer');
  const producer = createEmailProducer({
    redis: ctx.redis,
    queueName,
    payloads,
    ...(inlineMaxBytes !== undefined ? { inlineMaxBytes } : {}),
  });
  // 1 MB e-mails: ten at a time keep each Graph request well inside SEND_TIMEOUT_MS on a shared machine.
  const config = benchConfig(ctx, queueName, { WORKER_CONCURRENCY: String(Math.min(ctx.concurrency, 10)) });
  const logger = createLogger({ level: 'warn' }, pino.destination({ dest: '/dev/null', sync: false }));
  const connection = createRedisConnection(config.redis.target, 'worker');
  // BullMQ's fixed costs (its scripts, connections) are paid before the baseline: one e-mail end to end.
  await producer.enqueue(email);
  const startWorker = () =>
    startEmailWorker({
      config,
      connection,
      settings: new MemorySettingsStore(ctx.documents, config.settings.shape),
      deliveries: new MemoryDeliveryStore(),
      payloads,
      logger,
    });
  const warmup = startWorker();
  await new Promise<void>((resolve) => warmup.worker.once('completed', () => resolve()));
  await warmup.close();
  const before = await usedMemoryBytes(client);

  for (let i = 0; i < n; i += CHUNK) {
    await producer.enqueueMany(Array.from({ length: Math.min(CHUNK, n - i) }, () => email));
  }
  const waiting = await usedMemoryBytes(client);

  const runtime = startWorker();
  const startedAt = performance.now();
  await new Promise<void>((resolve, reject) => {
    let completed = 0;
    runtime.worker.on('completed', () => {
      completed += 1;
      if (completed % 500 === 0) void ctx.resetSimulator?.();
      if (completed === n) resolve();
    });
    // A retried attempt (a slow answer under load) is no failure of the run; a job that fails for good is.
    runtime.worker.on('failed', (job, err) => {
      if (job?.finishedOn !== undefined) reject(new Error(`job ${job.id} failed during the benchmark: ${err.message}`));
    });
  });
  const seconds = (performance.now() - startedAt) / 1000;
  await runtime.close(); // also removes the last batch of sent content
  const completedBytes = await usedMemoryBytes(client);

  await producer.queue.obliterate({ force: true });
  await producer.close();
  await connection.quit();
  await client.quit();
  return {
    jobs: n,
    redisBytesPerWaitingJob: Math.round((waiting - before) / n),
    redisBytesPerCompletedJob: Math.round((completedBytes - before) / n),
    jobsPerSec: n / seconds,
  };
}

/** Seconds to queue n e-mails: enqueueMany with the payload store, and addBulk of the same jobs inline. */
export async function runContentEnqueue(
  ctx: BenchContext,
  queueName: string,
  n: number,
  email: EmailJobInput,
  payloads: PayloadStore,
): Promise<{ enqueueManySeconds: number; addBulkInlineSeconds: number }> {
  const producer = createEmailProducer({ redis: ctx.redis, queueName: `${queueName}-producer`, payloads });
  const connection = connect(ctx);
  const raw = new Queue(`${queueName}-raw`, { connection });
  const addBulkInlineSeconds = await timed(() => fillQueue(raw, email, n, {}, CHUNK));
  const enqueueManySeconds = await timed(async () => {
    for (let i = 0; i < n; i += CHUNK) await producer.enqueueMany(Array.from({ length: Math.min(CHUNK, n - i) }, () => email));
  });
  await Promise.all([producer.queue.obliterate({ force: true }), raw.obliterate({ force: true })]);
  await Promise.all([producer.close(), raw.close()]);
  await connection.quit();
  return { enqueueManySeconds, addBulkInlineSeconds };
}
