// Runs the real worker pipeline in-process against real Redis and the Graph simulator, configured
// the way production is (loadConfig with the base-URL overrides), with logs captured for inspection.
import {
  createRedisConnection,
  type RedisClient,
  DirectoryPayloadStore,
  createEmailProducer,
  type EmailProducer,
  type EmailJobInput,
} from '@omikai/graph-mailer-client';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job, Queue, QueueEvents } from 'bullmq';
import { loadConfig } from '../../config/load-config';
import { MemoryDeliveryStore } from '../../src/delivery/memory-delivery-store';
import { capturedLogger } from './captured-logger';
import { MemorySettingsStore, type SettingsDocuments } from '../../src/settings/memory-settings-store';
import type { SendObserver } from '../../src/sending/send-email-job';
import { startEmailWorker, type EmailWorkerRuntime } from '../../src/sending/start-email-worker';
import { StoreHealth } from '../../src/sending/store-guard';
import { FlakyDeliveryStore, FlakyPayloadStore, FlakySettingsStore } from './flaky-stores';
import { startGraphSimulator, type GraphSimulator, type SimulatorTenant } from '../../tools/graph-simulator/graph-simulator';

export const TENANT_ID = 'aaaaaaaa-0000-4000-8000-000000000001';
export const CLIENT = { clientId: 'c0000000-0000-4000-8000-000000000001', clientSecret: 'test-secret-Value~s3cr3t' };
export const CLIENT_WITHOUT_MAIL_SEND = { clientId: 'c0000000-0000-4000-8000-000000000002', clientSecret: 'no-mail-send-secret' };
export const CLIENT_WITH_EXPIRED_SECRET = { clientId: 'c0000000-0000-4000-8000-000000000003', clientSecret: 'expired-secret' };
/** Mail.Send only: draft sending (Mail.ReadWrite) is refused. */
export const CLIENT_SEND_ONLY = { clientId: 'c0000000-0000-4000-8000-000000000004', clientSecret: 'send-only-secret' };

export const PIPELINE_TENANTS: SimulatorTenant[] = [
  {
    tenantId: TENANT_ID,
    domains: ['contoso.example'],
    clients: [
      { ...CLIENT, roles: ['Mail.Send', 'Mail.ReadWrite'] },
      { ...CLIENT_WITHOUT_MAIL_SEND, roles: [] },
      { ...CLIENT_WITH_EXPIRED_SECRET, secretExpired: true },
      { ...CLIENT_SEND_ONLY, roles: ['Mail.Send'] },
    ],
    mailboxes: [
      { address: 'info@contoso.example' },
      ...[1, 2, 3, 4, 5].map((n) => ({ address: `sales${n}@contoso.example` })),
      { address: 'anna@contoso.example' },
      { address: 'blocked@contoso.example', blockedByPolicy: true },
      { address: 'inactive@contoso.example', notEnabledForRest: true },
    ],
  },
];

/** Account and user documents as the ERP stores them (default field paths). */
export function accountDocument(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    _id: id,
    emailProvider: 'microsoft-graph',
    microsoftGraph: { tenantId: TENANT_ID, ...CLIENT, senderEmail: 'info@contoso.example', ...overrides },
  };
}

export function userDocument(
  id: string,
  accountId: string,
  senderEmail?: string,
  emailProvider = 'microsoft-graph',
): Record<string, unknown> {
  return { _id: id, accountId, emailProvider, microsoftGraph: senderEmail === undefined ? {} : { senderEmail } };
}

export function sampleEmail(overrides: Partial<EmailJobInput> = {}): EmailJobInput {
  return {
    accountId: 'acc-1',
    to: [{ address: 'customer@example.com', name: 'Customer' }],
    subject: 'Invoice 1042',
    html: '<p>Please find invoice 1042 attached.</p>',
    correlation: { documentType: 'invoice', documentId: '1042' },
    ...overrides,
  };
}

export type JobEnd = { state: 'completed'; result: unknown; job: Job } | { state: 'failed'; reason: string; job: Job };

export interface TestPipeline {
  queueName: string;
  producer: EmailProducer;
  deliveries: MemoryDeliveryStore;
  /** The stores the worker uses: the memory ones behind switches that simulate an outage. */
  flakyDeliveries: FlakyDeliveryStore;
  flakySettings: FlakySettingsStore;
  /** The payload store worker and producer share (a directory of the test's own), behind an outage switch. */
  payloads: FlakyPayloadStore;
  runtime: EmailWorkerRuntime;
  /** The permanent store errors the worker noted (what /readyz reports). */
  storeHealth: StoreHealth;
  /** The worker's Redis connection. */
  connection: RedisClient;
  queue: Queue;
  logs: () => string;
  /** Resolves when the job completes or fails for good (retries are waited for). */
  waitForEnd(jobId: string, timeoutMs?: number): Promise<JobEnd>;
  close(): Promise<void>;
}

export interface TestPipelineOptions {
  simulator: GraphSimulator;
  documents?: SettingsDocuments;
  env?: Record<string, string>;
  /** For metrics tests: sees every attempt. */
  observer?: SendObserver;
  /** The producer's attempts per job (default 5). */
  attempts?: number;
  /**
   * REDIS_* variables of another topology (a TestCluster's or TestSentinelSet's `env`); default the
   * run's redis-server, or the Cluster `npm run test:cluster` starts (TEST_REDIS_CLUSTER_NODES).
   */
  redisEnv?: Record<string, string>;
  /** The producer's ENQUEUE_DURABILITY. */
  durability?: 'acknowledged' | 'replicated';
  /** false: neither the producer nor the worker has a payload store (content stays inline, as before). */
  payloadStore?: boolean;
}

/** The REDIS_* variables of the run's own Redis: the Cluster of `npm run test:cluster`, else the redis-server. */
export function testRedisEnv(): Record<string, string> {
  const clusterNodes = process.env.TEST_REDIS_CLUSTER_NODES;
  if (clusterNodes) return { REDIS_URL: '', REDIS_CLUSTER_NODES: clusterNodes };
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) throw new Error('REDIS_URL is not set: run the tests through jest (global-setup starts a redis-server)');
  return { REDIS_URL: redisUrl };
}

let openPipelines = 0;
/** For an afterEach: a test that leaves a worker running fails. */
export const openPipelineCount = () => openPipelines;

export async function startTestPipeline({
  simulator,
  documents,
  env = {},
  observer,
  attempts = 5,
  redisEnv = testRedisEnv(),
  durability = 'acknowledged',
  payloadStore = true,
}: TestPipelineOptions): Promise<TestPipeline> {
  const queueName = `test-${randomUUID()}`;
  const config = loadConfig({
    STORE: 'memory',
    SETTINGS_FILE: '(documents given to the test)',
    ...redisEnv,
    EMAIL_QUEUE_NAME: queueName,
    MS_GRAPH_BASE_URL: simulator.url,
    MS_LOGIN_BASE_URL: simulator.url,
    RETRY_BASE_DELAY_MS: '200',
    WORKER_CONCURRENCY: '10',
    SEND_TIMEOUT_MS: '5000',
    // Flow control on, with limits no test of the send path reaches (test/flow/ tests the limits).
    FLOW_MAILBOX_MESSAGES: '100000',
    FLOW_MAILBOX_WINDOW_MS: '1000',
    FLOW_MAILBOX_CONCURRENCY: '100',
    ...env,
  });

  const { logger, text: logs } = capturedLogger('debug');
  const flakySettings = new FlakySettingsStore(
    new MemorySettingsStore(documents ?? { accounts: [accountDocument('acc-1')], users: [] }, config.settings.shape),
  );
  const deliveries = new MemoryDeliveryStore();
  const flakyDeliveries = new FlakyDeliveryStore(deliveries);
  const connection = createRedisConnection(config.redis.target, 'worker');
  connection.on('error', () => {}); // a failover test kills Redis under it; the worker logs what matters
  const storeHealth = new StoreHealth();
  const contentDirectory = mkdtempSync(join(tmpdir(), 'pipeline-content-'));
  const payloads = new FlakyPayloadStore(new DirectoryPayloadStore(contentDirectory));
  const runtime = startEmailWorker({
    config,
    connection,
    settings: flakySettings,
    deliveries: flakyDeliveries,
    ...(payloadStore ? { payloads } : {}),
    storeHealth,
    logger,
    ...(observer ? { observer } : {}),
  });
  const producer = createEmailProducer({
    redis: config.redis.target,
    queueName,
    shards: config.redis.shards,
    durability,
    jobOptions: { attempts },
    ...(payloadStore ? { payloads, inlineMaxBytes: config.content.inlineMaxBytes } : {}),
  });
  // waitForEnd listens on the queue once per waited job
  for (const queue of producer.queues) queue.setMaxListeners(200);
  const eventConnections = producer.queues.map(() => createRedisConnection(config.redis.target, 'worker'));
  for (const each of eventConnections) each.on('error', () => {});
  const queueEvents = producer.queues.map(
    (queue, index) => new QueueEvents(queue.name, { connection: eventConnections[index]!, prefix: queue.opts.prefix }),
  );
  for (const events of queueEvents) events.on('error', () => {});
  await Promise.all([...runtime.workers.map((worker) => worker.waitUntilReady()), ...queueEvents.map((events) => events.waitUntilReady())]);
  /** The shard queue holding a job, and its events. */
  const locate = async (jobId: string) => {
    for (const [index, queue] of producer.queues.entries()) {
      const job = await Job.fromId(queue, jobId);
      if (job) return { job, queue, events: queueEvents[index]! };
    }
    return undefined;
  };
  openPipelines += 1;

  let closed = false;
  return {
    queueName,
    producer,
    deliveries,
    flakyDeliveries,
    flakySettings,
    payloads,
    runtime,
    storeHealth,
    connection,
    queue: producer.queue,
    logs,
    async waitForEnd(jobId, timeoutMs = 20_000) {
      const found = await locate(jobId);
      if (!found) throw new Error(`job ${jobId} is not in the queue`);
      const { job, queue, events } = found;
      try {
        const result: unknown = await job.waitUntilFinished(events, timeoutMs);
        return { state: 'completed', result, job: (await Job.fromId(queue, jobId)) ?? job };
      } catch (err: unknown) {
        const ended = await Job.fromId(queue, jobId);
        if (!ended || (await ended.getState()) !== 'failed') throw err;
        return { state: 'failed', reason: ended.failedReason, job: ended };
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await runtime.close(5_000);
      await Promise.all(queueEvents.map((events) => events.close()));
      await Promise.all(eventConnections.map((each) => each.quit().catch(() => each.disconnect())));
      await Promise.all(producer.queues.map((queue) => queue.obliterate({ force: true })));
      await producer.close();
      await connection.quit().catch(() => connection.disconnect());
      rmSync(contentDirectory, { recursive: true, force: true });
      openPipelines -= 1;
    },
  };
}

export interface PipelineFixture {
  /** One simulator for the whole file, reset before each test. */
  readonly simulator: GraphSimulator;
  /** Starts this test's pipeline; the fixture closes it after the test. */
  start(options?: Omit<TestPipelineOptions, 'simulator'>): Promise<TestPipeline>;
}

/**
 * The lifecycle every pipeline test file needs: a simulator for the file, a fresh pipeline per
 * test, and after each test a check that no worker was left running.
 */
export function usePipelineFixture(): PipelineFixture {
  let simulator: GraphSimulator | undefined;
  let pipeline: TestPipeline | undefined;
  beforeAll(async () => {
    simulator = await startGraphSimulator({ tenants: PIPELINE_TENANTS });
  });
  afterAll(() => simulator?.close());
  beforeEach(() => {
    simulator?.reset();
    simulator?.setLatencyMs(0);
  });
  afterEach(async () => {
    await pipeline?.close();
    pipeline = undefined;
    expect(openPipelineCount()).toBe(0);
  });
  return {
    get simulator() {
      if (!simulator) throw new Error('the simulator starts in beforeAll');
      return simulator;
    },
    start: async (options = {}) => {
      if (!simulator) throw new Error('the simulator starts in beforeAll');
      return (pipeline = await startTestPipeline({ simulator, ...options }));
    },
  };
}
