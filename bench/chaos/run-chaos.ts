// runChaos(options): the fault-injection run shared by `npm run chaos` and test/reliability/chaos.test.ts.
// Enqueues e-mails while it kills workers, restarts Redis, takes the stores down and makes Graph fail,
// then reconciles what Graph received with the delivery records and the job states.
import { randomUUID } from 'node:crypto';
import { createEmailProducer } from '@omikai/graph-mailer-client';
import { buildChaosPlan, describeAction, outcomeUnknownFaults } from './chaos-plan';
import { runChaosPlan } from './chaos-runner';
import { chaosEmail } from './chaos-scenario';
import { buildSummary, type ChaosSummary } from './chaos-summary';
import { startAofRedis } from './aof-redis';
import { startChaosSystem, type ChaosSystemOptions } from './chaos-system';
import { drainAndCollect } from './collect-results';
import { enqueuePaced } from './enqueue-paced';
import { reconcile, type AcceptedJob } from './reconcile';

export interface ChaosOptions extends ChaosSystemOptions {
  jobs: number;
  kills: number;
  redisRestarts: number;
  redisDownMs: number;
  redisStopSignal: 'SIGTERM' | 'SIGKILL';
  storeOutageMs: number;
  enqueuePerSecond: number;
  /** The whole run, start to reconciliation, ends by then (what is unfinished counts as lost). */
  timeoutMs: number;
  log(line: string): void;
  signal?: AbortSignal;
}

export const DEFAULT_CHAOS_OPTIONS: ChaosOptions = {
  jobs: 10_000,
  workers: 3,
  concurrency: 20,
  flow: true,
  simulatorLatencyMs: 150,
  logLevel: 'warn',
  keepWorkDir: false,
  kills: 2,
  redisRestarts: 1,
  redisDownMs: 2_000,
  redisStopSignal: 'SIGTERM',
  storeOutageMs: 30_000,
  enqueuePerSecond: 250,
  timeoutMs: 280_000,
  log: (line) => console.log(line),
};

export async function runChaos(overrides: Partial<ChaosOptions> = {}): Promise<ChaosSummary> {
  const options = { ...DEFAULT_CHAOS_OPTIONS, ...overrides };
  const { log } = options;
  // Ends the enqueue and plan loops when the run fails half-way, as well as on the caller's abort.
  const ended = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, ended.signal]) : ended.signal;
  const startedAtMs = Date.now();
  const deadlineMs = startedAtMs + options.timeoutMs;
  const plan = buildChaosPlan(options);
  log(`Chaos run: ${options.jobs} e-mails at ${options.enqueuePerSecond}/s, ${options.workers} workers × ${options.concurrency}`);
  log(`Plan: ${plan.map((step) => `${(step.atProgress * 100).toFixed(0)}% ${describeAction(step.action)}`).join('; ')}`);

  const system = await startChaosSystem(options, startAofRedis);
  const producer = createEmailProducer({ redis: system.redis.target, queueName: system.queueName });
  try {
    log(
      `Started Redis (AOF) ${system.redis.url}, simulator ${system.simulator.url}, store ${system.store.url}, work dir ${system.workDir}`,
    );
    const runId = randomUUID().slice(0, 8);
    const accepted: AcceptedJob[] = [];
    const enqueueing = enqueuePaced({
      producer,
      total: options.jobs,
      perSecond: options.enqueuePerSecond,
      email: (index) => chaosEmail(runId, index),
      onAccepted: (index, jobId) => accepted.push({ key: chaosEmail(runId, index).idempotencyKey, jobId }),
      deadlineMs,
      signal,
    });
    const { store } = system;
    const chaosing = runChaosPlan(plan, system, {
      progress: () => (store.sentCount() + store.failedCount()) / options.jobs,
      deadlineMs,
      startedAtMs,
      log,
      signal,
    });
    const [enqueued, chaos] = await Promise.all([enqueueing, chaosing]);
    const { drained, durationSeconds, ...views } = await drainAndCollect(producer.queue, store, system.simulator, accepted, {
      deadlineMs,
      startedAtMs,
      signal,
      log,
    });
    const summaryInput = {
      reconciliation: reconcile({
        ...views,
        inFlightAtKills: chaos.inFlightAtKills,
        inFlightAtRedisRestarts: chaos.inFlightAtRedisRestarts,
      }),
      chaos,
      outcomeUnknownFaults: outcomeUnknownFaults(plan),
      jobStates: views.jobStates,
      durationSeconds,
      workers: options.workers,
      concurrency: options.concurrency,
      storeCallsRefused: store.stats.refusedCalls,
      enqueueRetries: enqueued.retries,
      notAccepted: enqueued.notAccepted,
      accepted: accepted.length,
      timedOut: !drained,
    };
    await producer.close();
    return buildSummary({ ...summaryInput, leftRunning: await system.stop() });
  } finally {
    ended.abort();
    // Both are idempotent: after a failure they stop whatever is still running.
    await producer.close();
    await system.stop();
  }
}
