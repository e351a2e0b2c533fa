// The benchmark's scenarios: the same N jobs drained by a no-op worker, by a worker that only POSTs
// to the simulator, and by the real pipeline; plus enqueueMany against raw addBulk.
import {
  createRedisConnection,
  type RedisClient,
  type RedisTarget,
  type AttemptStartResult,
  type DeliveryRecord,
  type DeliveryStore,
  buildSendMailBody,
  EMAIL_JOB_SCHEMA_VERSION,
  SEND_EMAIL_JOB_NAME,
  type EmailJobInput,
  DEFAULT_EMAIL_JOB_OPTIONS,
  createEmailProducer,
  priorityJobOptions,
  type PayloadStore,
} from '@omikai/graph-mailer-client';
import { Agent, request } from 'node:https';
import { performance } from 'node:perf_hooks';
import { Queue, Worker, type JobsOptions } from 'bullmq';
import pino from 'pino';
import { loadConfig, type Config } from '../config/load-config';
import { MemoryDeliveryStore } from '../src/delivery/memory-delivery-store';
import { createLogger } from '../src/logging/logger';
import { MemorySettingsStore, type SettingsDocuments } from '../src/settings/memory-settings-store';
import type { AccountSettings, SettingsStore, UserSettings } from '../src/settings/settings-store';
import { startEmailWorker } from '../src/sending/start-email-worker';

export interface BenchContext {
  /** The benchmark's own redis-server. */
  redis: Extract<RedisTarget, { kind: 'single' }>;
  simulatorUrl: string;
  concurrency: number;
  documents: SettingsDocuments;
  email: EmailJobInput;
  /** Per-mailbox flow control on (as in production) or off. */
  flow: boolean;
  /** The payload store the pipeline runs with, as in production (small e-mails stay inline; completed jobs are stripped). */
  payloads?: PayloadStore;
  /** Empties the simulator's record of accepted messages: 5,000 e-mails of 1 MB would not fit in its memory. */
  resetSimulator?: () => Promise<void>;
}

export interface DrainResult {
  jobs: number;
  seconds: number;
  jobsPerSec: number;
  /** The worker process's CPU time (user + system) per job while draining: steadier than jobs/s. */
  cpuMicrosPerJob: number;
}

const CHUNK = 500;

/** The worker's configuration for a run on `queueName`, with flow-control limits no run reaches (its Redis round trips are part of the cost). */
export function benchConfig(ctx: BenchContext, queueName: string, env: Record<string, string>): Config {
  return loadConfig({
    STORE: 'memory',
    SETTINGS_FILE: '(bench documents)',
    REDIS_URL: ctx.redis.url,
    EMAIL_QUEUE_NAME: queueName,
    MS_GRAPH_BASE_URL: ctx.simulatorUrl,
    MS_LOGIN_BASE_URL: ctx.simulatorUrl,
    FLOW_ENABLED: String(ctx.flow),
    FLOW_MAILBOX_MESSAGES: '1000000',
    FLOW_MAILBOX_WINDOW_MS: '1000',
    FLOW_MAILBOX_CONCURRENCY: '10000',
    ...env,
  });
}

/** A connection to the bench's Redis, made as every process makes one; a scenario's queue and worker share it. */
export function connect(ctx: BenchContext): RedisClient {
  return createRedisConnection(ctx.redis, 'worker');
}

/** Seconds `fill` takes. */
export async function timed(fill: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fill();
  return (performance.now() - started) / 1000;
}

function jobData(email: EmailJobInput) {
  return { ...email, saveToSentItems: true, schemaVersion: EMAIL_JOB_SCHEMA_VERSION };
}

/** Queues `n` copies of the e-mail with the producer's job options, as raw BullMQ jobs. */
export async function fillQueue(
  queue: Queue,
  email: EmailJobInput,
  n: number,
  extraOptions: JobsOptions = {},
  chunk = CHUNK,
): Promise<void> {
  const data = jobData(email);
  const opts = { ...DEFAULT_EMAIL_JOB_OPTIONS, ...extraOptions };
  for (let i = 0; i < n; i += chunk) {
    const size = Math.min(chunk, n - i);
    await queue.addBulk(Array.from({ length: size }, () => ({ name: SEND_EMAIL_JOB_NAME, data, opts })));
  }
}

/** Resolves with the time (and this process's CPU) from now until the worker has completed `n` jobs. */
function completions(worker: Worker, n: number): Promise<DrainResult> {
  const startedAt = performance.now();
  const cpuAtStart = process.cpuUsage();
  return new Promise((resolve, reject) => {
    let completed = 0;
    worker.on('completed', () => {
      completed += 1;
      if (completed === n) {
        const seconds = (performance.now() - startedAt) / 1000;
        const cpu = process.cpuUsage(cpuAtStart);
        resolve({ jobs: n, seconds, jobsPerSec: n / seconds, cpuMicrosPerJob: (cpu.user + cpu.system) / n });
      }
    });
    worker.on('failed', (job, err) => reject(new Error(`job ${job?.id} failed during the benchmark: ${err.message}`)));
  });
}

/** Starts the (not yet running) worker and resolves with the time until `n` jobs completed. */
export function drain(worker: Worker, n: number): Promise<DrainResult> {
  const result = completions(worker, n);
  void worker.run();
  return result;
}

/** Fills a queue with n jobs and drains it with `processor`: the bare scenarios. */
async function runBareWorker(ctx: BenchContext, queueName: string, n: number, processor: () => Promise<unknown>): Promise<DrainResult> {
  const connection = connect(ctx);
  const queue = new Queue(queueName, { connection });
  await fillQueue(queue, ctx.email, n);
  const worker = new Worker(queueName, processor, { connection, concurrency: ctx.concurrency, autorun: false });
  const result = await drain(worker, n);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  await connection.quit();
  return result;
}

export function runBare(ctx: BenchContext, queueName: string, n: number): Promise<DrainResult> {
  return runBareWorker(ctx, queueName, n, async () => undefined);
}

export async function runBareHttps(ctx: BenchContext, queueName: string, n: number, accessToken: string): Promise<DrainResult> {
  const body = JSON.stringify(buildSendMailBody(jobData(ctx.email)));
  const url = new URL(`${ctx.simulatorUrl}/v1.0/users/info%40contoso.example/sendMail`);
  const headers = {
    authorization: `Bearer ${accessToken}`,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
  };
  // The essential work with the cheapest keep-alive client Node has: node:https and one agent.
  const agent = new Agent({ keepAlive: true, maxSockets: ctx.concurrency });
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers, agent }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 202 ? resolve() : reject(new Error(`sendMail answered ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  const result = await runBareWorker(ctx, queueName, n, post);
  agent.destroy();
  return result;
}

/** Counts reads that reach the store (after the worker's own cache). */
export class CountingSettingsStore implements SettingsStore {
  reads = 0;
  constructor(private readonly store: SettingsStore) {}
  findAccount(accountId: string): Promise<AccountSettings | null> {
    this.reads += 1;
    return this.store.findAccount(accountId);
  }
  findUser(userId: string): Promise<UserSettings | null> {
    this.reads += 1;
    return this.store.findUser(userId);
  }
}

export interface PipelineResult extends DrainResult {
  settingsReads: number;
  tokenRequests: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  /** Live heap after a forced GC, after minus before: what the run kept (RSS also holds heap V8 reserved). */
  heapGrowthMb: number;
  /** Redis used_memory once the queue is drained (completed jobs kept per the retention options). */
  redisUsedMemoryMb: number;
}

export async function redisUsedMemoryMb(redis: RedisTarget): Promise<number> {
  const client = createRedisConnection(redis, 'producer');
  const info = await client.info('memory');
  await client.quit();
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0) / 1_048_576;
}

/** Delivery records that go nowhere: for the breakdown that shows what the records cost. */
class DiscardingDeliveryStore implements DeliveryStore {
  async startAttempt(): Promise<AttemptStartResult> {
    return { action: 'send', possibleDuplicate: false };
  }
  async finishAttempt(): Promise<void> {}
  async find(): Promise<DeliveryRecord[]> {
    return [];
  }
}

/** The pipeline as the worker runs it, or with one of our parts left out (for the breakdown). */
export interface PipelineVariant {
  concurrency?: number;
  /** Default ctx.flow. */
  flow?: boolean;
  /** Default 'info': a line per e-mail sent. */
  logLevel?: 'info' | 'warn';
  /** Default true; false discards them. */
  deliveryRecords?: boolean;
}

export async function runPipeline(ctx: BenchContext, queueName: string, n: number, variant: PipelineVariant = {}): Promise<PipelineResult> {
  const { concurrency = ctx.concurrency, flow = ctx.flow, logLevel = 'info', deliveryRecords = true } = variant;
  const config = benchConfig(ctx, queueName, { WORKER_CONCURRENCY: String(concurrency), LOG_LEVEL: logLevel, FLOW_ENABLED: String(flow) });
  const connection = createRedisConnection(config.redis.target, 'worker');
  const queue = new Queue(queueName, { connection });
  await fillQueue(queue, ctx.email, n);

  const settings = new CountingSettingsStore(new MemorySettingsStore(ctx.documents, config.settings.shape));
  const logger = createLogger({ level: logLevel }, pino.destination({ dest: '/dev/null', sync: false }));
  globalThis.gc?.();
  const { rss: rssBefore, heapUsed: heapBefore } = process.memoryUsage();
  const runtime = startEmailWorker({
    config,
    connection,
    settings,
    deliveries: deliveryRecords ? new MemoryDeliveryStore() : new DiscardingDeliveryStore(),
    ...(ctx.payloads ? { payloads: ctx.payloads } : {}),
    logger,
  });
  const result = await completions(runtime.worker, n);
  await runtime.close();
  globalThis.gc?.();
  const { rss: rssAfter, heapUsed: heapAfter } = process.memoryUsage();
  const redisMb = await redisUsedMemoryMb(ctx.redis);
  await queue.obliterate({ force: true });
  await queue.close();
  await connection.quit();
  return {
    ...result,
    redisUsedMemoryMb: redisMb,
    settingsReads: settings.reads,
    tokenRequests: runtime.tokens.tokenRequests,
    rssBeforeMb: rssBefore / 1_048_576,
    rssAfterMb: rssAfter / 1_048_576,
    heapGrowthMb: (heapAfter - heapBefore) / 1_048_576,
  };
}

/**
 * Time to queue n e-mails with enqueueMany, and with raw addBulk of the same data, in equal chunks.
 * The second to run meets a Redis that already holds the first's jobs, so callers alternate the order.
 */
export async function runEnqueue(
  ctx: BenchContext,
  queueName: string,
  n: number,
  producerFirst: boolean,
): Promise<{ enqueueManySeconds: number; addBulkSeconds: number }> {
  const producer = createEmailProducer({ redis: ctx.redis, queueName: `${queueName}-producer` });
  const connection = connect(ctx);
  const raw = new Queue(`${queueName}-raw`, { connection });
  const inputs = Array.from({ length: CHUNK }, () => ctx.email);
  // enqueueMany marks its e-mails bulk (a BullMQ priority), so the raw jobs carry the same.
  const viaAddBulk = () => timed(() => fillQueue(raw, ctx.email, n, priorityJobOptions('bulk')));
  const viaEnqueueMany = () =>
    timed(async () => {
      for (let i = 0; i < n; i += CHUNK) await producer.enqueueMany(inputs.slice(0, Math.min(CHUNK, n - i)));
    });

  let enqueueManySeconds: number;
  let addBulkSeconds: number;
  if (producerFirst) {
    enqueueManySeconds = await viaEnqueueMany();
    addBulkSeconds = await viaAddBulk();
  } else {
    addBulkSeconds = await viaAddBulk();
    enqueueManySeconds = await viaEnqueueMany();
  }

  await Promise.all([producer.queue.obliterate({ force: true }), raw.obliterate({ force: true })]);
  await Promise.all([producer.close(), raw.close()]);
  await connection.quit();
  return { enqueueManySeconds, addBulkSeconds };
}
