// The BullMQ Worker of the e-mail queue: runs a processor, with a backoff that honours Retry-After.
import { Worker, type ConnectionOptions } from 'bullmq';
import type { Logger } from 'pino';
import { GRAPH_BACKOFF_TYPE, type ConnectionReport } from '@omikai/graph-mailer-client';
import type { SendEmailResult } from './interfaces';
import { RetryLaterError } from './settle-attempt';

/** What a job of the e-mail queue returns: a send's result, or a connection test's report. */
export type EmailQueueResult = SendEmailResult | ConnectionReport;

export interface BullmqWorkerOptions {
  queueName: string;
  /** BullMQ's key prefix (a hash tag on a Cluster, see queue-shards.ts); BullMQ's default when absent. */
  prefix?: string;
  connection: ConnectionOptions;
  concurrency: number;
  /** Used when an attempt failed with something other than a classified, retryable failure. */
  fallbackDelayMs: number;
  maxDelayMs: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
  logger: Logger;
  autorun?: boolean;
}

export function createBullmqWorker(
  processor: ConstructorParameters<typeof Worker<unknown, EmailQueueResult>>[1],
  {
    queueName,
    prefix,
    connection,
    concurrency,
    fallbackDelayMs,
    maxDelayMs,
    lockDurationMs,
    stalledIntervalMs,
    maxStalledCount,
    logger,
    autorun = true,
  }: BullmqWorkerOptions,
): Worker<unknown, EmailQueueResult> {
  const worker = new Worker<unknown, EmailQueueResult>(queueName, processor, {
    connection,
    ...(prefix ? { prefix } : {}),
    concurrency,
    autorun,
    lockDuration: lockDurationMs,
    stalledInterval: stalledIntervalMs,
    maxStalledCount,
    settings: {
      backoffStrategy: (attemptsMade, type, err) => {
        if (err instanceof RetryLaterError) return err.delayMs;
        if (type !== GRAPH_BACKOFF_TYPE) logger.warn({ type }, 'unknown backoff type; using the default delay');
        return Math.min(fallbackDelayMs * 2 ** Math.max(0, attemptsMade - 1), maxDelayMs);
      },
    },
  });
  // An 'error' event without a listener would crash the process; log it and carry on.
  worker.on('error', (err) => logger.error({ err }, 'worker error'));
  return worker;
}
