// Wires the send pipeline (settings cache, tokens, Graph client, processor) into a running worker.
// Used by the worker entry point, the demo and the benchmark, so they all run the same code.
import type { Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../../config/load-config';
import {
  type DeliveryStore,
  configuredQueueLayout,
  openShardQueues,
  queueShards,
  duplicateRedisConnection,
  type RedisClient,
  TEST_CONNECTION_JOB_NAME,
  type PayloadStore,
  toError,
} from '@omikai/graph-mailer-client';
import { GraphDraftClient } from '../graph/draft-client';
import { GraphMailClient } from '../graph/graph-mail-client';
import { RedisUploadBudget } from '../flow/upload-budget';
import { createHttpsFetch } from '../graph/https-fetch';
import { flowKeyPrefix } from '../flow/flow-keys';
import { RedisMailboxGate } from '../flow/mailbox-gate';
import { MsalTokenProvider } from '../graph/token-provider';
import { CachedSettingsStore } from '../settings/cached-settings-store';
import type { SettingsStore } from '../settings/settings-store';
import { createEmailWorker, type EmailQueueResult } from './email-worker';
import { createTestConnectionProcessor } from '../diagnostics/test-connection-job';
import { createSendEmailProcessor, type SendObserver } from './send-email-job';
import type { StoreHealth } from './store-guard';
import { startContentSweeper } from '../content/content-sweeper';
import { BatchedPayloadRemover } from '../content/payload-remover';
import { keepContentOfFailedJob, withContentKeeping, type ContentKeeping } from './job-content';

export interface EmailWorkerRuntime {
  /** The first shard's worker (the only one when the queue is not sharded). */
  worker: Worker<unknown, EmailQueueResult>;
  /** One worker per queue shard: every process consumes every shard. */
  workers: Worker<unknown, EmailQueueResult>[];
  tokens: MsalTokenProvider;
  /** Takes no new jobs, lets in-flight sends finish for up to `timeoutMs`, then stops. */
  close(timeoutMs?: number): Promise<void>;
}

export interface StartEmailWorkerOptions {
  config: Pick<Config, 'queueName' | 'cloud' | 'settings' | 'worker' | 'flow' | 'drafts'> &
    Partial<Pick<Config, 'content' | 'credentials'>> & { redis: Pick<Config['redis'], 'shards' | 'target'> };
  connection: RedisClient;
  settings: SettingsStore;
  deliveries: DeliveryStore;
  /** Content behind job references; also where waiting jobs' inline content goes. Without it, content stays in Redis. */
  payloads?: PayloadStore;
  logger: Logger;
  observer?: SendObserver;
  /** Notes permanent store errors; pass the one /readyz reads. */
  storeHealth?: StoreHealth;
}

export function startEmailWorker({
  config,
  connection,
  settings,
  deliveries,
  payloads,
  logger,
  observer,
  storeHealth,
}: StartEmailWorkerOptions): EmailWorkerRuntime {
  const tokens = new MsalTokenProvider({ cloud: config.cloud, logger, timeoutMs: config.worker.sendTimeoutMs });
  const { limits } = config.flow;
  // Flow state lives in Redis so the limits hold across every worker process; its own connection,
  // because the worker's is used for blocking commands.
  // Auto-pipelining batches the gate's calls of concurrent jobs into one write instead of a syscall each.
  const flowRedis = limits ? duplicateRedisConnection(connection, { enableAutoPipelining: true }) : undefined;
  flowRedis?.on('error', (err: Error) => logger.warn({ err: err.message }, 'flow-control redis connection error'));
  const flow =
    flowRedis && limits
      ? new RedisMailboxGate(flowRedis, limits, flowKeyPrefix(config.queueName), 2 * config.worker.sendTimeoutMs)
      : undefined;
  const uploads = flowRedis ? new RedisUploadBudget(flowRedis, config.drafts.uploadBudget, flowKeyPrefix(config.queueName)) : undefined;
  const graphOptions = {
    graphBaseUrl: config.cloud.graphBaseUrl,
    cloud: config.cloud.cloud,
    timeoutMs: config.worker.sendTimeoutMs,
    fetch: createHttpsFetch({ maxSockets: config.worker.concurrency }),
  };
  const graph = new GraphMailClient(graphOptions);
  const draftGraph = new GraphDraftClient(graphOptions);
  // Connection tests read the settings afresh (a person just changed them), through the same token
  // provider, and check draft sending as `npm run verify` does.
  const testConnectionJob = createTestConnectionProcessor({
    settings,
    graphProviderValue: config.settings.shape.graphProviderValue,
    tokens,
    graph,
    drafts: draftGraph,
    cloud: config.cloud,
    ...(config.credentials?.keyring ? { currentKeyId: config.credentials.keyring.currentKeyId } : {}),
    ...(config.credentials ? { expiryWarningDays: config.credentials.expiryWarningDays } : {}),
  });
  const processor = createSendEmailProcessor({
    settings: new CachedSettingsStore(settings, config.settings.cacheTtlMs),
    graphProviderValue: config.settings.shape.graphProviderValue,
    tokens,
    graph,
    drafts: {
      graph: draftGraph,
      confirmWindowMs: config.drafts.confirmWindowMs,
      confirmIntervalMs: config.drafts.confirmIntervalMs,
      ...(config.drafts.uploadBaseUrl ? { uploadOrigin: config.drafts.uploadBaseUrl } : {}),
    },
    ...(uploads ? { uploads } : {}),
    deliveries,
    ...(payloads ? { payloads } : {}),
    retryPolicy: { ...config.worker.retry, ...(limits ? { maxThrottleDeferrals: limits.maxThrottleDeferrals } : {}) },
    logger,
    ...(flow ? { flow } : {}),
    ...(observer ? { observer } : {}),
    ...(storeHealth ? { storeHealth } : {}),
  });
  const content = config.content ?? { retentionAfterSentMs: 0, inlineMaxBytes: 16 * 1024, sweepIntervalMs: 10 * 60_000 };
  const remover = payloads ? new BatchedPayloadRemover(payloads, logger) : undefined;
  const keeping: ContentKeeping | undefined =
    payloads && remover
      ? {
          payloads,
          removeLater: (id) => remover.removeLater(id),
          retentionAfterSentMs: content.retentionAfterSentMs,
          inlineMaxBytes: content.inlineMaxBytes,
          logger,
          now: Date.now,
        }
      : undefined;
  const keptProcessor = keeping ? withContentKeeping(processor, keeping) : processor;
  const layout = configuredQueueLayout(config);
  // One sweeper per shard: each reads its own queue's jobs.
  const sweepQueues = payloads ? openShardQueues(layout, connection) : [];
  for (const sweepQueue of sweepQueues) {
    sweepQueue.on('error', (err: Error) => logger.warn({ err: err.message }, 'content sweeper queue error'));
  }
  const sweepers = payloads
    ? sweepQueues.map((sweepQueue) =>
        startContentSweeper({
          payloads,
          queue: sweepQueue,
          retentionAfterSentMs: content.retentionAfterSentMs,
          now: Date.now,
          intervalMs: content.sweepIntervalMs,
          logger,
        }),
      )
    : [];
  const shards = queueShards(layout);
  const workers = shards.map(({ name, prefix }) =>
    createEmailWorker((job, token) => (job.name === TEST_CONNECTION_JOB_NAME ? testConnectionJob(job) : keptProcessor(job, token)), {
      queueName: name,
      prefix,
      connection,
      // WORKER_CONCURRENCY is the process's: the shards share it.
      concurrency: Math.max(1, Math.ceil(config.worker.concurrency / shards.length)),
      fallbackDelayMs: config.worker.retry.baseDelayMs,
      maxDelayMs: config.worker.retry.maxDelayMs,
      lockDurationMs: config.worker.lockDurationMs,
      stalledIntervalMs: config.worker.stalledIntervalMs,
      maxStalledCount: config.worker.maxStalledCount,
      logger,
    }),
  );
  const worker = workers[0]!;

  if (keeping) {
    for (const each of workers)
      each.on('failed', (job) => {
        if (job)
          void keepContentOfFailedJob(job, keeping).catch((err: unknown) =>
            logger.warn({ jobId: job.id, err: toError(err).message }, "could not move a failed job's content to the payload store"),
          );
      });
  }

  let closing: Promise<void> | undefined;
  const close = (timeoutMs = config.worker.shutdownTimeoutMs): Promise<void> => (closing ??= shutDown(timeoutMs));

  async function shutDown(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), timeoutMs);
    });
    const closed = Promise.all(workers.map((each) => each.close())).then(() => 'closed' as const);
    if ((await Promise.race([closed, deadline])) === 'deadline') {
      logger.warn(
        { timeoutMs },
        'in-flight sends did not finish before the shutdown deadline; stopping anyway (they will be retried as stalled jobs)',
      );
      // BullMQ's close(true) after close() only returns the close already under way, which waits for
      // the sends: the deadline is kept by not waiting for it. The caller exits the process.
      closed.catch((err: unknown) => logger.warn({ err }, 'worker close after the shutdown deadline failed'));
    }
    clearTimeout(timer);
    await Promise.all(sweepers.map((sweeper) => sweeper.stop()));
    await remover?.flush();
    await Promise.all(sweepQueues.map((sweepQueue) => sweepQueue.close()));
    await flowRedis?.quit();
  }

  return { worker, workers, tokens, close };
}
