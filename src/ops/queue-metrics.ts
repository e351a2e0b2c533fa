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
  /** Reads one value per queue at scrape time; a queue whose read fails or times out is left out (and logged). */
  const eachQueue = async <T>(
    read: (queue: MeasuredQueue) => Promise<T>,
    call: string,
    what: string,
    use: (queue: MeasuredQueue, value: T) => void,
  ) => {
    for (const queue of queues) {
      const value = await withTimeout(read(queue), SCRAPE_TIMEOUT_MS, call).catch(failedScrape(queue, what));
      if (value !== undefined) use(queue, value);
    }
  };
  new Gauge({
    name: 'omikai_email_queue_jobs',
    help: 'Jobs in the e-mail queue by state.',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      await eachQueue(
        (queue) => queue.getJobCounts(...QUEUE_STATES),
        'getJobCounts',
        'job counts',
        (queue, counts) => {
          for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
        },
      );
    },
  });
  const perQueueGauge = <T>(
    name: string,
    help: string,
    read: (queue: MeasuredQueue) => Promise<T>,
    call: string,
    what: string,
    value: (read: T) => number,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['queue'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        await eachQueue(read, call, what, (queue, result) => this.set({ queue: queue.name }, value(result)));
      },
    });
  perQueueGauge(
    'omikai_email_queue_paused',
    '1 while the e-mail queue is paused (no job is started), else 0.',
    (queue) => queue.isPaused(),
    'isPaused',
    'the paused flag',
    (paused) => (paused ? 1 : 0),
  );
  perQueueGauge(
    'omikai_email_oldest_waiting_job_age_seconds',
    'How long the oldest waiting job has waited since it was added or last attempted (0 when none waits; delayed jobs do not count).',
    (queue) => oldestWaitingAgeMs(queue, now()),
    'oldest waiting job',
    'the oldest waiting job',
    (ageMs) => ageMs / 1000,
  );
}
