// The end of a chaos run: wait until the queue has nothing left to do, then gather the three views of
// every e-mail (what Graph received, the delivery records, BullMQ's job states) for reconciliation.
import { Job, type Queue } from 'bullmq';
import type { DeliveryRecord } from '@omikai/graph-mailer-client';
import { chaosKeyOf } from './chaos-scenario';
import type { AcceptedJob, JobEnd, ReconcileInput } from './reconcile';
import type { SimulatorProcess } from '../../tools/graph-simulator/simulator-process';
import type { StoreService } from './store-service';

const UNFINISHED_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves true once no job is waiting, active or delayed (seen twice, 500 ms apart); false at the deadline. */
export async function waitForDrain(queue: Queue, deadlineMs: number, signal?: AbortSignal): Promise<boolean> {
  let idlePolls = 0;
  while (Date.now() < deadlineMs && !signal?.aborted) {
    try {
      const counts = await queue.getJobCounts(...UNFINISHED_STATES);
      const unfinished = Object.values(counts).reduce((sum, n) => sum + n, 0);
      idlePolls = unfinished === 0 ? idlePolls + 1 : 0;
      if (idlePolls >= 2) return true;
    } catch {
      idlePolls = 0; // Redis is restarting; ask again
    }
    await sleep(500);
  }
  return false;
}

export interface CollectedViews extends Omit<ReconcileInput, 'inFlightAtKills' | 'inFlightAtRedisRestarts'> {
  jobStates: Record<string, number>;
}

export async function collectViews(
  queue: Queue,
  store: StoreService,
  simulator: Pick<SimulatorProcess, 'sent'>,
  accepted: AcceptedJob[],
): Promise<CollectedViews> {
  const messages = await simulator.sent();
  const records = await store.deliveries.find({ limit: Number.MAX_SAFE_INTEGER });
  const recordsByJobId = new Map<string, DeliveryRecord>(records.map((record) => [record.jobId, record]));
  const jobEnds = new Map<string, JobEnd>();
  const unsent = accepted.filter(({ jobId }) => recordsByJobId.get(jobId)?.status !== 'sent');
  for (const { jobId } of unsent) {
    const job = await Job.fromId(queue, jobId);
    jobEnds.set(jobId, job ? { state: await job.getState(), failedReason: job.failedReason } : { state: 'missing' });
  }
  const jobStates = await queue.getJobCounts('completed', 'failed', ...UNFINISHED_STATES);
  return { accepted, receivedKeys: messages.map((accepted) => chaosKeyOf(accepted.message)), recordsByJobId, jobEnds, jobStates };
}

export interface DrainOptions {
  deadlineMs: number;
  startedAtMs: number;
  signal?: AbortSignal;
  log(line: string): void;
}

/** waitForDrain, then collectViews, saying which it was; the duration counts from `startedAtMs`. */
export async function drainAndCollect(
  queue: Queue,
  store: StoreService,
  simulator: Pick<SimulatorProcess, 'sent'>,
  accepted: AcceptedJob[],
  { deadlineMs, startedAtMs, signal, log }: DrainOptions,
): Promise<CollectedViews & { drained: boolean; durationSeconds: number }> {
  const drained = await waitForDrain(queue, deadlineMs, signal);
  const durationSeconds = Math.round((Date.now() - startedAtMs) / 100) / 10;
  log(
    drained ? `Queue drained after ${durationSeconds} s; reconciling.` : 'Deadline reached before the queue drained; reconciling anyway.',
  );
  return { ...(await collectViews(queue, store, simulator, accepted)), drained, durationSeconds };
}
