// Reads failed e-mail jobs out of the queue and groups them by failure category for people.
import type { Job, Queue } from 'bullmq';
import { parseFailedReason, type FailureCategory } from '@omikai/graph-mailer-client';
import { summarizeEmailJob, type EmailJobSummary } from '../job-summary';
import { retryHint } from '../retry-advice';

export interface FailedJobInfo {
  jobId: string;
  failedAtMs: number | undefined;
  category: FailureCategory;
  reason: string;
  graphRequestId?: string;
  attemptsMade: number;
  email: EmailJobSummary;
}

export interface FailedJobFilter {
  /** Only jobs that failed at or after this time (ms since epoch). */
  failedSinceMs?: number;
  categories?: ReadonlySet<FailureCategory>;
}

const PAGE_SIZE = 200;

export function describeFailedJob(job: Job): FailedJobInfo {
  const parsed = parseFailedReason(job.failedReason);
  return {
    jobId: job.id ?? '',
    failedAtMs: job.finishedOn,
    category: parsed.category,
    reason: parsed.reason,
    ...(parsed.graphRequestId ? { graphRequestId: parsed.graphRequestId } : {}),
    attemptsMade: job.attemptsMade,
    email: summarizeEmailJob(job.data),
  };
}

/** Newest first. Failed jobs are sorted by when they failed, so a --since scan stops at the first older one. */
export async function scanFailedJobs(queue: Pick<Queue, 'getJobs'>, filter: FailedJobFilter = {}): Promise<FailedJobInfo[]> {
  const found: FailedJobInfo[] = [];
  for (let start = 0; ; start += PAGE_SIZE) {
    const page = await queue.getJobs(['failed'], start, start + PAGE_SIZE - 1);
    for (const job of page) {
      const info = describeFailedJob(job);
      if (filter.failedSinceMs !== undefined && (info.failedAtMs ?? 0) < filter.failedSinceMs) return found;
      if (!filter.categories || filter.categories.has(info.category)) found.push(info);
    }
    if (page.length < PAGE_SIZE) return found;
  }
}

export interface FailedGroup {
  category: FailureCategory;
  /** 'yes': a retry may simply work; '--force': a person must fix something (or accept a duplicate) first. */
  retry: 'yes' | '--force';
  count: number;
  newestFailedAtMs: number | undefined;
  /** Distinct reasons (request-ids left out), most frequent first. */
  reasons: { reason: string; count: number; jobIds: string[] }[];
}

/** Pure: groups by category, largest group first. */
export function groupFailedJobs(jobs: readonly FailedJobInfo[]): FailedGroup[] {
  const groups = new Map<FailureCategory, FailedGroup>();
  for (const job of jobs) {
    const group = groups.get(job.category) ?? {
      category: job.category,
      retry: retryHint(job.category),
      count: 0,
      newestFailedAtMs: undefined,
      reasons: [],
    };
    group.count += 1;
    if (job.failedAtMs !== undefined) group.newestFailedAtMs = Math.max(group.newestFailedAtMs ?? 0, job.failedAtMs);
    const reason = group.reasons.find((entry) => entry.reason === job.reason);
    if (reason) {
      reason.count += 1;
      reason.jobIds.push(job.jobId);
    } else {
      group.reasons.push({ reason: job.reason, count: 1, jobIds: [job.jobId] });
    }
    groups.set(job.category, group);
  }
  const sorted = [...groups.values()].sort((a, b) => b.count - a.count || a.category.localeCompare(b.category));
  for (const group of sorted) group.reasons.sort((a, b) => b.count - a.count);
  return sorted;
}

/** The first line of each attempt's error as BullMQ kept it, newest first, without the error class name. */
export function attemptMessages(stacktrace: readonly (string | null | undefined)[] | null | undefined): string[] {
  return (stacktrace ?? [])
    .filter((entry): entry is string => typeof entry === 'string' && entry.length > 0)
    .map((entry) => (entry.split('\n')[0] ?? '').replace(/^[A-Za-z]*Error: /, ''))
    .reverse();
}
