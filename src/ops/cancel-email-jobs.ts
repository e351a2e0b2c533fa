// Cancels e-mails that are not sent yet, for the ops CLI and the dashboard alike: the delivery record
// says cancelled (so no later attempt sends it), then the job and its content leave the queue.
import type { Job, JobState, Queue } from 'bullmq';
import { type DeliveryCancellation, type DeliveryStore, toError, payloadIdOf, type PayloadWriter } from '@omikai/graph-mailer-client';
import { summarizeEmailJob } from './job-summary';

export const CANCEL_OUTCOMES = [
  'cancelled',
  'would-cancel',
  'cancelled-while-active',
  'would-cancel-active',
  'already-sent',
  'completed',
  'not-found',
  'error',
] as const;
export type CancelOutcome = (typeof CANCEL_OUTCOMES)[number];

export interface CancelJobResult {
  jobId: string;
  outcome: CancelOutcome;
  /** The job's state when it was looked at. */
  state?: JobState | 'unknown';
  message: string;
}

export interface CancelOptions {
  dryRun: boolean;
  /** Who cancels, kept on each delivery record: a dashboard user name, or the CLI's user@host. */
  by: string;
  now: () => number;
  /** Where the e-mails' content is; a cancelled job's payload is removed with it. */
  payloads?: Pick<PayloadWriter, 'remove'>;
}

export type CancelDeliveries = Pick<DeliveryStore, 'find'> & DeliveryCancellation;

/** Outcomes where the cancel did not (fully) happen, or where a person must look: exit code 1. */
export const INCOMPLETE_CANCEL_OUTCOMES: ReadonlySet<CancelOutcome> = new Set([
  'cancelled-while-active',
  'would-cancel-active',
  'already-sent',
  'completed',
  'not-found',
  'error',
]);

/** Which unsent e-mails to cancel: every field given must match (correlation: all its fields). */
export interface CancelFilter {
  accountId?: string;
  correlation?: Record<string, string>;
}

/** States whose jobs may still send (failed ones if retried). Completed jobs are over. */
const UNSENT_STATES: JobState[] = ['waiting', 'prioritized', 'delayed', 'waiting-children', 'active', 'failed'];
const PAGE_SIZE = 500;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Pure: whether a job's data matches the filter (compared on the raw data, not the dashboard's shortened summary). */
export function matchesCancelFilter(data: unknown, filter: CancelFilter): boolean {
  if (!isRecord(data)) return false;
  if (filter.accountId !== undefined && data.accountId !== filter.accountId) return false;
  const correlation = isRecord(data.correlation) ? data.correlation : {};
  return Object.entries(filter.correlation ?? {}).every(([field, value]) => correlation[field] === value);
}

/** The ids of every unsent job matching the filter, read in full before anything is removed (removal shifts pages). */
export async function findJobsToCancel(queue: Pick<Queue, 'getJobs'>, filter: CancelFilter): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; ; start += PAGE_SIZE) {
    const page = await queue.getJobs(UNSENT_STATES, start, start + PAGE_SIZE - 1);
    for (const job of page) if (job?.id !== undefined && matchesCancelFilter(job.data, filter)) ids.push(job.id);
    if (page.length < PAGE_SIZE) return [...new Set(ids)];
  }
}

/** Removes the job, then its payload (never before the job: a worker could find a reference to nothing). */
async function removeJob(job: Job, payloads: CancelOptions['payloads']): Promise<void> {
  const payloadId = payloadIdOf(job.data);
  await job.remove();
  // A payload left behind (store down) is an orphan: the content sweeper removes it.
  if (payloadId !== undefined) await payloads?.remove([payloadId]).catch(() => undefined);
}

const activeWarning = (jobId: string) =>
  'a worker holds it right now: if it was already handing the e-mail to Graph, that e-mail may still go out ' +
  `(check: ops delivery find --job ${jobId}). No later attempt sends it; cancel again once it has finished to remove it.`;

/**
 * Cancels one job: the one place that decides and does it. Sent e-mails are never cancelled; an
 * active job is cancelled on its record, said so, and left in the queue (a worker holds it).
 */
export async function cancelEmailJob(
  queue: Pick<Queue, 'getJob'>,
  deliveries: CancelDeliveries,
  jobId: string,
  { dryRun, by, now, payloads }: CancelOptions,
): Promise<CancelJobResult> {
  let state: JobState | 'unknown' | undefined;
  try {
    const job = await queue.getJob(jobId);
    if (!job) return { jobId, outcome: 'not-found', message: 'no such job in the queue (removed, or never queued there)' };
    state = await job.getState();
    const [record] = await deliveries.find({ jobId, limit: 1 });
    if (record?.status === 'sent') {
      return {
        jobId,
        state,
        outcome: 'already-sent',
        message: `not cancelled: its delivery record says sent at ${record.sentAt?.toISOString() ?? '?'}`,
      };
    }
    if (state === 'completed' && record?.status !== 'cancelled') {
      return { jobId, state, outcome: 'completed', message: 'not cancelled: it completed (sent, or skipped as a duplicate)' };
    }
    if (dryRun) {
      return state === 'active'
        ? { jobId, state, outcome: 'would-cancel-active', message: `would be cancelled, but ${activeWarning(jobId)}` }
        : { jobId, state, outcome: 'would-cancel', message: `would be cancelled (${state})` };
    }

    const email = summarizeEmailJob(job.data);
    const cancelled = await deliveries.cancel({
      jobId,
      accountId: email.accountId ?? '',
      ...(email.userId !== undefined ? { userId: email.userId } : {}),
      ...(email.subject !== undefined ? { subject: email.subject } : {}),
      recipientCount: email.recipientCount,
      ...(email.correlation ? { correlation: email.correlation } : {}),
      ...(email.idempotencyKey !== undefined ? { idempotencyKey: email.idempotencyKey } : {}),
      by,
      now: new Date(now()),
    });
    if (cancelled.outcome === 'already-sent') {
      return { jobId, state, outcome: 'already-sent', message: 'not cancelled: it was sent a moment ago' };
    }
    if (state !== 'active') {
      try {
        await removeJob(job, payloads);
        return { jobId, state, outcome: 'cancelled', message: `cancelled (was ${state}); the job and its content are removed` };
      } catch (err: unknown) {
        // A worker took it between the look and the removal (BullMQ refuses to remove a locked job).
        state = await job.getState().catch(() => 'unknown' as const);
        if (state !== 'active') throw err;
      }
    }
    return { jobId, state, outcome: 'cancelled-while-active', message: `cancelled on its delivery record, but ${activeWarning(jobId)}` };
  } catch (err: unknown) {
    return { jobId, ...(state ? { state } : {}), outcome: 'error', message: `could not cancel: ${toError(err).message}` };
  }
}

export interface CancelReport {
  dryRun: boolean;
  results: CancelJobResult[];
  summary: Record<CancelOutcome, number>;
}

/** Cancels the given jobs one after the other; `onEach` follows the progress. */
export async function cancelEmailJobs(
  queue: Pick<Queue, 'getJob'>,
  deliveries: CancelDeliveries,
  jobIds: readonly string[],
  options: CancelOptions,
  onEach: (result: CancelJobResult) => void = () => {},
): Promise<CancelReport> {
  const results: CancelJobResult[] = [];
  for (const jobId of jobIds) {
    const result = await cancelEmailJob(queue, deliveries, jobId, options);
    results.push(result);
    onEach(result);
  }
  const summary = Object.fromEntries(CANCEL_OUTCOMES.map((outcome) => [outcome, 0])) as Record<CancelOutcome, number>;
  for (const { outcome } of results) summary[outcome] += 1;
  return { dryRun: options.dryRun, results, summary };
}
