// Retries one failed e-mail job, safely: never one whose e-mail was sent or cancelled, never a permanent failure
// without --force. The worker checks the delivery record again before it sends.
import type { Queue } from 'bullmq';
import { type DeliveryStore, parseFailedReason, toError, type FailureCategory } from '@omikai/graph-mailer-client';
import { adviseRetry } from '../retry-advice';

export const RETRY_OUTCOMES = [
  'retried',
  'would-retry',
  'needs-force',
  'already-sent',
  'cancelled',
  'not-failed',
  'not-found',
  'error',
] as const;
export type RetryOutcome = (typeof RETRY_OUTCOMES)[number];

export interface RetryResult {
  jobId: string;
  outcome: RetryOutcome;
  category?: FailureCategory;
  message: string;
}

export interface RetryOptions {
  force: boolean;
  dryRun: boolean;
}

export async function retryFailedJob(
  queue: Pick<Queue, 'getJob'>,
  deliveries: Pick<DeliveryStore, 'find'>,
  jobId: string,
  { force, dryRun }: RetryOptions,
): Promise<RetryResult> {
  try {
    const job = await queue.getJob(jobId);
    if (!job) return { jobId, outcome: 'not-found', message: 'no such job in the queue (removed, or never queued there)' };
    const state = await job.getState();
    if (state !== 'failed') {
      const why = state === 'completed' ? 'it completed (the e-mail was sent or skipped as a duplicate)' : `it is ${state}`;
      return { jobId, outcome: 'not-failed', message: `not retried: ${why}` };
    }
    const { category } = parseFailedReason(job.failedReason);
    const [record] = await deliveries.find({ jobId, limit: 1 });
    if (record?.status === 'sent') {
      return {
        jobId,
        outcome: 'already-sent',
        category,
        message: `not retried: its delivery record says sent at ${record.sentAt?.toISOString() ?? '?'}`,
      };
    }
    if (record?.status === 'cancelled') {
      // The worker would not send it anyway (it checks the record); saying so here is clearer than a retry that does nothing.
      const by = record.cancelledBy ? ` by ${record.cancelledBy}` : '';
      return {
        jobId,
        outcome: 'cancelled',
        category,
        message: `not retried: it was cancelled${by} at ${record.cancelledAt?.toISOString() ?? '?'}`,
      };
    }
    const advice = adviseRetry(category, force);
    if (!advice.retry) return { jobId, outcome: 'needs-force', category, message: `[${category}] needs --force: ${advice.why}` };
    if (dryRun) return { jobId, outcome: 'would-retry', category, message: `[${category}] would be retried` };
    // A fresh set of attempts: a job that gave up after its last attempt would otherwise fail at once.
    await job.retry('failed', { resetAttemptsMade: true });
    return { jobId, outcome: 'retried', category, message: `[${category}] retried` };
  } catch (err: unknown) {
    return { jobId, outcome: 'error', message: `could not retry: ${toError(err).message}` };
  }
}

export function countOutcomes(results: readonly RetryResult[]): Record<RetryOutcome, number> {
  const counts = Object.fromEntries(RETRY_OUTCOMES.map((outcome) => [outcome, 0])) as Record<RetryOutcome, number>;
  for (const { outcome } of results) counts[outcome] += 1;
  return counts;
}

/** Outcomes where the command did not do what was asked; they make the exit code 1. */
export const INCOMPLETE_OUTCOMES: ReadonlySet<RetryOutcome> = new Set(['needs-force', 'cancelled', 'not-failed', 'not-found', 'error']);
