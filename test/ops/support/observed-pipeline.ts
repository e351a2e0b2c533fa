// The real worker pipeline (as in test/support/test-pipeline.ts) with a SendObserver plugged in and
// the attempts per job chosen by the test, for metrics and CLI tests.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Job, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../../config/load-config';
import { MemoryDeliveryStore } from '../../../src/delivery/memory-delivery-store';
import { createEmailProducer, type EmailProducer } from '../../../src/jobs/producer';
import { createLogger } from '../../../src/logging/logger';
import type { SendObserver } from '../../../src/sending/send-email-job';
import { startEmailWorker, type EmailWorkerRuntime } from '../../../src/sending/start-email-worker';
import { MemorySettingsStore, type SettingsDocuments } from '../../../src/settings/memory-settings-store';
import type { GraphSimulator } from '../../simulator/graph-simulator';
import { accountDocument } from '../../support/test-pipeline';

export interface ObservedPipeline {
  config: Config;
  connection: Redis;
  producer: EmailProducer;
  deliveries: MemoryDeliveryStore;
  runtime: EmailWorkerRuntime;
  /** Resolves with the job's final state once it completed or failed for good. */
  waitForEnd(jobId: string, timeoutMs?: number): Promise<'completed' | 'failed'>;
  close(): Promise<void>;
}

let open = 0;
export const openObservedPipelines = () => open;

export async function startObservedPipeline(options: {
  simulator: GraphSimulator;
  observer?: SendObserver;
  attempts?: number;
  env?: Record<string, string>;
  documents?: SettingsDocuments;
}): Promise<ObservedPipeline> {
  const redisUrl = process.env.REDIS_URL!;
  const config = loadConfig({
    STORE: 'memory',
    SETTINGS_FILE: '(documents given to the test)',
    REDIS_URL: redisUrl,
    EMAIL_QUEUE_NAME: `test-${randomUUID()}`,
    MS_GRAPH_BASE_URL: options.simulator.url,
    MS_LOGIN_BASE_URL: options.simulator.url,
    RETRY_BASE_DELAY_MS: '200',
    SEND_TIMEOUT_MS: '5000',
    ...options.env,
  });
  const logger = createLogger({ level: 'silent' }, new Writable({ write: (_chunk, _encoding, done) => done() }));
  const settings = new MemorySettingsStore(options.documents ?? { accounts: [accountDocument('acc-1')], users: [] }, config.settings.shape);
  const deliveries = new MemoryDeliveryStore();
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const runtime = startEmailWorker({
    config,
    connection,
    settings,
    deliveries,
    logger,
    ...(options.observer ? { observer: options.observer } : {}),
  });
  const producer = createEmailProducer({
    connection: { url: redisUrl },
    queueName: config.queueName,
    jobOptions: { attempts: options.attempts ?? 3 },
  });
  producer.queue.setMaxListeners(100);
  const events = new QueueEvents(config.queueName, { connection: { url: redisUrl } });
  await Promise.all([runtime.worker.waitUntilReady(), events.waitUntilReady()]);
  open += 1;

  let closed = false;
  return {
    config,
    connection,
    producer,
    deliveries,
    runtime,
    async waitForEnd(jobId, timeoutMs = 20_000) {
      const job = await Job.fromId(producer.queue, jobId);
      if (!job) throw new Error(`job ${jobId} is not in the queue`);
      try {
        await job.waitUntilFinished(events, timeoutMs);
        return 'completed';
      } catch (err: unknown) {
        if ((await producer.queue.getJobState(jobId)) !== 'failed') throw err;
        return 'failed';
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await runtime.close(5_000);
      await events.close();
      await producer.queue.obliterate({ force: true });
      await producer.close();
      await connection.quit();
      open -= 1;
    },
  };
}
