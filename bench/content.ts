// The benchmark's content scenarios: what a job costs in Redis while it waits and once it completed,
// with a 1 MB attachment in the payload store and without attachments; and enqueue throughput with
// 100 KB attachments (enqueueMany through the payload store against addBulk of the same jobs inline).
import { performance } from 'node:perf_hooks';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  createRedisConnection,
  type PayloadStore,
  EMAIL_JOB_SCHEMA_VERSION,
  SEND_EMAIL_JOB_NAME,
  type EmailJobInput,
  DEFAULT_EMAIL_JOB_OPTIONS,
  createEmailProducer,
} from '@omikai/graph-mailer-client';
import pino from 'pino';
import { loadConfig } from '../config/load-config';
import { MemoryDeliveryStore } from '../src/delivery/memory-delivery-store';
import { createLogger } from '../src/logging/logger';
import { MemorySettingsStore } from '../src/settings/memory-settings-store';
import { startEmailWorker } from '../src/sending/start-email-worker';
import type { BenchContext } from './scenarios';

/** Enqueued in chunks this size: 50 e-mails of 1 MB is 50 MB of base64 at once in the producer. */
const CHUNK = 50;

async function usedMemoryBytes(client: Redis): Promise<number> {
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
  const client = createRedisConnection({ kind: 'single', url: ctx.redisUrl }, 'producer') as Redis;
  const producer = createEmailProducer({
    connection: { url: ctx.redisUrl },
    queueName,
    payloads,
    ...(inlineMaxBytes !== undefined ? { inlineMaxBytes } : {}),
  });
  const config = loadConfig({
    STORE: 'memory',
    SETTINGS_FILE: '(bench documents)',
    REDIS_URL: ctx.redisUrl,
    EMAIL_QUEUE_NAME: queueName,
    MS_GRAPH_BASE_URL: ctx.simulatorUrl,
    MS_LOGIN_BASE_URL: ctx.simulatorUrl,
    // 1 MB e-mails: ten at a time keep each Graph request well inside SEND_TIMEOUT_MS on a shared machine.
    WORKER_CONCURRENCY: String(Math.min(ctx.concurrency, 10)),
    FLOW_ENABLED: String(ctx.flow),
    FLOW_MAILBOX_MESSAGES: '1000000',
    FLOW_MAILBOX_WINDOW_MS: '1000',
    FLOW_MAILBOX_CONCURRENCY: '10000',
  });
  const logger = createLogger({ level: 'warn' }, pino.destination({ dest: '/dev/null', sync: false }));
  const connection = createRedisConnection({ kind: 'single', url: ctx.redisUrl }, 'worker') as Redis;
  // BullMQ's fixed costs (its scripts, connections) are paid before the baseline: one e-mail end to end.
  await producer.enqueue(email);
  const warmup = startEmailWorker({
    config,
    connection,
    settings: new MemorySettingsStore(ctx.documents, config.settings.shape),
    deliveries: new MemoryDeliveryStore(),
    payloads,
    logger,
  });
  await new Promise<void>((resolve) => warmup.worker.once('completed', () => resolve()));
  await warmup.close();
  const before = await usedMemoryBytes(client);

  for (let i = 0; i < n; i += CHUNK) {
    await producer.enqueueMany(Array.from({ length: Math.min(CHUNK, n - i) }, () => email));
  }
  const waiting = await usedMemoryBytes(client);

  const runtime = startEmailWorker({
    config,
    connection,
    settings: new MemorySettingsStore(ctx.documents, config.settings.shape),
    deliveries: new MemoryDeliveryStore(),
    payloads,
    logger,
  });
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
  const producer = createEmailProducer({ connection: { url: ctx.redisUrl }, queueName: `${queueName}-producer`, payloads });
  const raw = new Queue(`${queueName}-raw`, { connection: { url: ctx.redisUrl } });
  const data = { ...email, saveToSentItems: true, schemaVersion: EMAIL_JOB_SCHEMA_VERSION };
  const timed = async (fill: () => Promise<unknown>): Promise<number> => {
    const started = performance.now();
    await fill();
    return (performance.now() - started) / 1000;
  };
  const addBulkInlineSeconds = await timed(async () => {
    for (let i = 0; i < n; i += CHUNK) {
      const size = Math.min(CHUNK, n - i);
      await raw.addBulk(Array.from({ length: size }, () => ({ name: SEND_EMAIL_JOB_NAME, data, opts: DEFAULT_EMAIL_JOB_OPTIONS })));
    }
  });
  const enqueueManySeconds = await timed(async () => {
    for (let i = 0; i < n; i += CHUNK) await producer.enqueueMany(Array.from({ length: Math.min(CHUNK, n - i) }, () => email));
  });
  await Promise.all([producer.queue.obliterate({ force: true }), raw.obliterate({ force: true })]);
  await Promise.all([producer.close(), raw.close()]);
  return { enqueueManySeconds, addBulkInlineSeconds };
}
