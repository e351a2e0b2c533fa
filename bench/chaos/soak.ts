// `npm run chaos -- --soak 30m`: a steady enqueue rate for a long time, sampling worker RSS and Redis
// used_memory, to show that neither grows beyond what job retention (removeOnComplete) keeps.
import { createRedisConnection, DEFAULT_EMAIL_JOB_OPTIONS, createEmailProducer } from '@omikai/graph-mailer-client';
import { randomUUID } from 'node:crypto';
import { chaosEmail } from './chaos-scenario';
import { startAofRedis } from './aof-redis';
import { startChaosSystem, type ChaosSystemOptions } from './chaos-system';
import { collectViews, waitForDrain } from './collect-results';
import { enqueuePaced } from './enqueue-paced';
import { reconcile, type AcceptedJob } from './reconcile';
import { emptyChaosRecord } from './chaos-runner';
import { buildSummary, type ChaosSummary, type MemorySample } from './chaos-summary';

export interface SoakOptions extends ChaosSystemOptions {
  durationMs: number;
  enqueuePerSecond: number;
  sampleEveryMs: number;
  /** removeOnComplete count for the run's jobs; default the producer's (10,000). */
  retainCompleted?: number;
  log(line: string): void;
  signal?: AbortSignal;
}

const DRAIN_GRACE_MS = 120_000;
const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

export async function runSoak(options: SoakOptions): Promise<ChaosSummary> {
  const { log } = options;
  // Ends the enqueue loop when the run fails half-way, as well as on the caller's abort.
  const ended = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, ended.signal]) : ended.signal;
  const startedAtMs = Date.now();
  const total = Math.round((options.enqueuePerSecond * options.durationMs) / 1000);
  log(`Soak: ${total} e-mails at ${options.enqueuePerSecond}/s for ${options.durationMs / 1000} s, ${options.workers} workers`);
  const system = await startChaosSystem(options, startAofRedis);
  const removeOnComplete = {
    ...DEFAULT_EMAIL_JOB_OPTIONS.removeOnComplete,
    ...(options.retainCompleted ? { count: options.retainCompleted } : {}),
  };
  const producer = createEmailProducer({
    redis: system.redis.target,
    queueName: system.queueName,
    jobOptions: { removeOnComplete },
  });
  const samples: MemorySample[] = [];
  const redisClient = createRedisConnection(system.redis.target, 'producer');
  try {
    const takeSample = async (): Promise<void> => {
      const memory = await redisClient.info('memory');
      const counts = await producer.queue.getJobCounts('completed', 'waiting', 'active', 'delayed');
      const sample: MemorySample = {
        atSeconds: Math.round((Date.now() - startedAtMs) / 1000),
        ended: system.store.sentCount() + system.store.failedCount(),
        workerRssMb: (await system.fleet.rssMb()).map((value) => Math.round(value)),
        redisUsedMemoryMb: mb(Number(/^used_memory:(\d+)/m.exec(memory)?.[1] ?? NaN)),
        completedInRedis: counts.completed ?? 0,
        backlog: (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0),
      };
      samples.push(sample);
      log(
        `  ${String(sample.atSeconds).padStart(6)} s  ended ${sample.ended}, backlog ${sample.backlog}, RSS ${sample.workerRssMb.join('/')} MB, ` +
          `Redis ${sample.redisUsedMemoryMb} MB, completed kept ${sample.completedInRedis}`,
      );
    };

    const runId = randomUUID().slice(0, 8);
    const accepted: AcceptedJob[] = [];
    const enqueueing = enqueuePaced({
      producer,
      total,
      perSecond: options.enqueuePerSecond,
      email: (index) => chaosEmail(runId, index),
      onAccepted: (index, jobId) => accepted.push({ key: chaosEmail(runId, index).idempotencyKey, jobId }),
      deadlineMs: startedAtMs + options.durationMs + DRAIN_GRACE_MS,
      signal,
    });
    let enqueueDone = false;
    const enqueued = enqueueing.finally(() => (enqueueDone = true));
    await takeSample();
    // Sample at a fixed period while enqueueing; a bounded number of samples.
    const maxSamples = Math.ceil(options.durationMs / options.sampleEveryMs) + 2;
    while (!enqueueDone && samples.length < maxSamples && !signal.aborted) {
      await Promise.race([enqueued, new Promise((resolve) => setTimeout(resolve, options.sampleEveryMs))]);
      if (!enqueueDone) await takeSample();
    }
    const enqueueResult = await enqueued;
    const drained = await waitForDrain(producer.queue, Date.now() + DRAIN_GRACE_MS, signal);
    await takeSample();
    const views = await collectViews(producer.queue, system.store, system.simulator, accepted);
    const reconciliation = reconcile({ ...views, inFlightAtKills: new Set(), inFlightAtRedisRestarts: new Set() });
    const durationSeconds = Math.round((Date.now() - startedAtMs) / 1000);
    await producer.close();
    await redisClient.quit();
    return buildSummary({
      reconciliation,
      chaos: emptyChaosRecord(),
      outcomeUnknownFaults: 0,
      jobStates: views.jobStates,
      durationSeconds,
      workers: options.workers,
      concurrency: options.concurrency,
      storeCallsRefused: system.store.stats.refusedCalls,
      enqueueRetries: enqueueResult.retries,
      notAccepted: enqueueResult.notAccepted,
      accepted: accepted.length,
      timedOut: !drained,
      leftRunning: await system.stop(),
      samples,
    });
  } finally {
    ended.abort();
    redisClient.disconnect();
    await producer.close();
    await system.stop();
  }
}
