// `npm run chaos -- --failover sentinel|cluster [--durable]`: e-mails enqueued at a steady rate while the
// Redis master holding the queue is SIGKILLed and a replica promoted (Sentinel, or a Cluster's own
// failover); the killed node comes back as a replica, as an orchestrator would restart it. Then every
// e-mail is reconciled: acknowledged but lost, sent twice without possibleDuplicate, and how long sending paused.
import { randomUUID } from 'node:crypto';
import calculateSlot from 'cluster-key-slot';
import { createEmailProducer, queueShards } from '@omikai/graph-mailer-client';
import { startCluster, startSentinelSet, type TestCluster, type TestSentinelSet } from '../../tools/redis/redis-topologies';
import { chaosEmail } from './chaos-scenario';
import { startChaosSystem } from './chaos-system';
import { drainAndCollect } from './collect-results';
import { enqueuePaced } from './enqueue-paced';
import { reconcile, type AcceptedJob, type Reconciliation } from './reconcile';

export interface FailoverOptions {
  topology: 'sentinel' | 'cluster';
  /** ENQUEUE_DURABILITY=replicated for the producer. */
  durable: boolean;
  jobs: number;
  enqueuePerSecond: number;
  workers: number;
  concurrency: number;
  simulatorLatencyMs: number;
  /** How long the killed node stays down before it is started again (as a replica). */
  downMs: number;
  timeoutMs: number;
  log(line: string): void;
}

export const DEFAULT_FAILOVER_OPTIONS: FailoverOptions = {
  topology: 'sentinel',
  durable: true,
  jobs: 5_000,
  enqueuePerSecond: 100,
  workers: 2,
  concurrency: 20,
  simulatorLatencyMs: 150,
  downMs: 5_000,
  timeoutMs: 240_000,
  log: (line) => console.log(line),
};

export interface FailoverSummary {
  topology: FailoverOptions['topology'];
  durability: 'replicated' | 'acknowledged';
  jobs: number;
  enqueuePerSecond: number;
  accepted: number;
  notAccepted: number;
  /** Enqueues refused and repeated with the same key (Redis away, or no replica confirmed). */
  enqueueRetries: number;
  /** Kill of the master until a replica was master (as the Sentinels or the Cluster say). */
  promotionMs: number;
  /** Kill of the master until the first enqueue was acknowledged again. */
  enqueuePausedMs: number;
  /** Kill of the master until Graph received e-mails again (the end of the longest gap between receipts). */
  sendingResumedMs: number;
  reconciliation: Reconciliation;
  jobStates: Record<string, number>;
  durationSeconds: number;
  leftRunning: number;
  passed: boolean;
}

export async function runFailover(overrides: Partial<FailoverOptions> = {}): Promise<FailoverSummary> {
  const options = { ...DEFAULT_FAILOVER_OPTIONS, ...overrides };
  const { log } = options;
  const startedAtMs = Date.now();
  const deadlineMs = startedAtMs + options.timeoutMs;
  const system = await startChaosSystem(
    { ...options, flow: true, logLevel: 'warn', keepWorkDir: false },
    (): Promise<TestSentinelSet | TestCluster> =>
      options.topology === 'sentinel' ? startSentinelSet({ replicas: 1 }) : startCluster({ masters: 3, replicasPerMaster: 1 }),
    'failover',
  );
  const { redis: topology, queueName, store } = system;
  const producer = createEmailProducer({
    redis: topology.target,
    queueName,
    durability: options.durable ? 'replicated' : 'acknowledged',
  });
  try {
    log(
      `Failover run on ${options.topology} (${topology.env.REDIS_SENTINELS ?? topology.env.REDIS_CLUSTER_NODES}): ${options.jobs} e-mails at ` +
        `${options.enqueuePerSecond}/s, enqueue ${options.durable ? 'replicated' : 'acknowledged'}, ${options.workers} workers × ${options.concurrency}`,
    );

    const runId = randomUUID().slice(0, 8);
    const accepted: AcceptedJob[] = [];
    const acceptedAt: number[] = [];
    const refusals = new Map<string, number>();
    const enqueueing = enqueuePaced({
      producer,
      total: options.jobs,
      perSecond: options.enqueuePerSecond,
      email: (index) => chaosEmail(runId, index),
      onAccepted: (index, jobId) => {
        accepted.push({ key: chaosEmail(runId, index).idempotencyKey, jobId });
        acceptedAt.push(Date.now());
      },
      onRefused: (err) => refusals.set(err.name, (refusals.get(err.name) ?? 0) + 1),
      deadlineMs,
    });

    // Mid-run: SIGKILL the master that holds the queue, wait for the promotion, restart the dead node.
    const failover = (async () => {
      while (accepted.length < options.jobs / 2) await new Promise((r) => setTimeout(r, 20));
      const killedAtMs = Date.now();
      const [shard] = queueShards({ queueName, shards: 1, hashTagged: options.topology === 'cluster' });
      const { killedPort, newMasterPort } =
        'killMaster' in topology
          ? await topology.killMaster()
          : await topology.killMasterOfSlot(calculateSlot(`${shard!.prefix}:${queueName}:id`));
      const promotionMs = Date.now() - killedAtMs;
      log(
        `SIGKILLed the master on port ${killedPort} after ${accepted.length} acknowledged enqueues; port ${newMasterPort} is master after ${promotionMs} ms`,
      );
      await new Promise((r) => setTimeout(r, Math.max(0, killedAtMs + options.downMs - Date.now())));
      if ('restartAsReplica' in topology) await topology.restartAsReplica(killedPort);
      else await topology.restartNode(killedPort);
      log(`Port ${killedPort} is back as a replica ${Date.now() - killedAtMs} ms after the kill`);
      return { killedAtMs, promotionMs };
    })();

    const [enqueued, { killedAtMs, promotionMs }] = await Promise.all([enqueueing, failover]);
    const { drained, durationSeconds, ...views } = await drainAndCollect(producer.queue, store, system.simulator, accepted, {
      deadlineMs,
      startedAtMs,
      log,
    });
    const reconciliation = reconcile({ ...views, inFlightAtKills: new Set(), inFlightAtRedisRestarts: new Set() });
    const receipts = (await system.simulator.sent()).map((message) => message.receivedAt).sort((a, b) => a - b);
    const sendingResumedMs = endOfLongestGap(receipts, killedAtMs) - killedAtMs;
    const firstAcceptedAfterKill = acceptedAt.find((at) => at > killedAtMs);
    if (refusals.size > 0)
      log(`Refused enqueues (each repeated with the same key): ${[...refusals].map(([name, n]) => `${name} ×${n}`).join(', ')}`);

    await producer.close();
    const leftRunning = await system.stop();
    const summary: FailoverSummary = {
      topology: options.topology,
      durability: options.durable ? 'replicated' : 'acknowledged',
      jobs: options.jobs,
      enqueuePerSecond: options.enqueuePerSecond,
      accepted: accepted.length,
      notAccepted: enqueued.notAccepted,
      enqueueRetries: enqueued.retries,
      promotionMs,
      enqueuePausedMs: firstAcceptedAfterKill === undefined ? -1 : firstAcceptedAfterKill - killedAtMs,
      sendingResumedMs,
      reconciliation,
      jobStates: views.jobStates,
      durationSeconds,
      leftRunning,
      passed:
        drained &&
        leftRunning === 0 &&
        reconciliation.unflaggedDuplicates === 0 &&
        (!options.durable || reconciliation.lost === 0) &&
        enqueued.notAccepted === 0,
    };
    return summary;
  } finally {
    // Both are idempotent: after a failure they stop whatever is still running.
    await producer.close();
    await system.stop();
  }
}

/** The end of the longest pause in Graph receipts from `fromMs` on (the first receipt after it counts from `fromMs`). */
export function endOfLongestGap(sortedReceipts: number[], fromMs: number): number {
  let previous = fromMs;
  let longest = { gapMs: -1, endMs: fromMs };
  for (const at of sortedReceipts) {
    if (at < fromMs) continue;
    if (at - previous > longest.gapMs) longest = { gapMs: at - previous, endMs: at };
    previous = at;
  }
  return longest.endMs;
}

export function formatFailover(summary: FailoverSummary): string[] {
  const r = summary.reconciliation;
  return [
    `${summary.passed ? 'PASSED' : 'FAILED'}: ${summary.topology} failover, enqueue ${summary.durability}, ${summary.jobs} e-mails at ${summary.enqueuePerSecond}/s`,
    `  acknowledged enqueues: ${summary.accepted} (${summary.notAccepted} never acknowledged, ${summary.enqueueRetries} enqueues repeated with the same key)`,
    `  acknowledged but lost: ${r.lost}${r.lostExamples.length > 0 ? ` (e.g. ${r.lostExamples.slice(0, 3).join('; ')})` : ''}`,
    `  sent: ${r.sent}, failed with a reason: ${r.failedWithReason}`,
    `  sent twice: ${r.duplicates} (without possibleDuplicate: ${r.unflaggedDuplicates}); records flagged possibleDuplicate: ${r.flaggedPossibleDuplicate}`,
    `  replica promoted ${summary.promotionMs} ms after the kill; enqueues acknowledged again after ${summary.enqueuePausedMs} ms; sending resumed after ${summary.sendingResumedMs} ms`,
    `  job states at the end: ${JSON.stringify(summary.jobStates)}; ${summary.durationSeconds} s; processes left running: ${summary.leftRunning}`,
  ];
}
