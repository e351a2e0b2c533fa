// Prometheus gauges of the e-mail queue itself, read from Redis at scrape time.
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { toError, withTimeout } from '@omikai/graph-mailer-client';

export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const;
const SCRAPE_TIMEOUT_MS = 3000;

type MeasuredQueue = Pick<Queue, 'name' | 'getJobCounts' | 'getJobs' | 'isPaused'>;

export interface QueueMetricsOptions {
  /** The queue, or every shard's queue (each gets its own `queue` label). */
  queue: MeasuredQueue | MeasuredQueue[];
  logger: Logger;
  now?: () => number;
}

/** How long the oldest job in the wait list has waited (since it was added or last attempted), in ms; 0 when none waits. */
export async function oldestWaitingAgeMs(queue: MeasuredQueue, now: number): Promise<number> {
  const [oldest] = await queue.getJobs(['wait'], 0, 0, true);
  if (!oldest) return 0;
  const since = Math.max(oldest.timestamp, oldest.processedOn ?? 0, oldest.finishedOn ?? 0);
  return Math.max(0, now - since);
}

/** A Redis outage leaves the gauges empty for that scrape (and logs why) instead of failing /metrics. */
export function registerQueueMetrics(registry: Registry, { queue: queueOrShards, logger, now = Date.now }: QueueMetricsOptions): void {
  const queues = Array.isArray(queueOrShards) ? queueOrShards : [queueOrShards];
  const failedScrape = (queue: MeasuredQueue, what: string) => (err: unknown) => {
    logger.warn({ err: toError(err).message, queue: queue.name }, `could not read ${what} for /metrics`);
  };
  new Gauge({
    name: 'omikai_email_queue_jobs',
    help: 'Jobs in the e-mail queue by state.',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const queue of queues) {
        const counts = await withTimeout(queue.getJobCounts(...QUEUE_STATES), SCRAPE_TIMEOUT_MS, 'getJobCounts').catch(
          failedScrape(queue, 'job counts'),
        );
        for (const state of QUEUE_STATES) if (counts) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      }
    },
  });
  new Gauge({
    name: 'omikai_email_queue_paused',
    help: '1 while the e-mail queue is paused (no job is started), else 0.',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const queue of queues) {
        const paused = await withTimeout(queue.isPaused(), SCRAPE_TIMEOUT_MS, 'isPaused').catch(failedScrape(queue, 'the paused flag'));
        if (paused !== undefined) this.set({ queue: queue.name }, paused ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'omikai_email_oldest_waiting_job_age_seconds',
    help: 'How long the oldest waiting job has waited since it was added or last attempted (0 when none waits; delayed jobs do not count).',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const queue of queues) {
        const ageMs = await withTimeout(oldestWaitingAgeMs(queue, now()), SCRAPE_TIMEOUT_MS, 'oldest waiting job').catch(
          failedScrape(queue, 'the oldest waiting job'),
        );
        if (ageMs !== undefined) this.set({ queue: queue.name }, ageMs / 1000);
      }
    },
  });
}
