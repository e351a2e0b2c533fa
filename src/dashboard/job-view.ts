// How an e-mail job looks on the dashboard: redacted by Bull Board formatters on the server, the
// plain-language failure reason in place of stack traces, and the sender from the delivery record.
import type { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { AfterHook } from '@bull-board/api/dist/types';
import type { Logger } from 'pino';
import type { DeliveryStore } from '../delivery/delivery-store';
import { toError } from '../delivery/failure';
import { summarizeEmailJob, summarizeSendResult } from '../ops/job-summary';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Sets the formatters: job data, results and names pass through summaries that keep no content. */
export function redactJobs(adapter: BullMQAdapter): BullMQAdapter {
  adapter.setFormatter('data', (data: unknown) => summarizeEmailJob(data));
  adapter.setFormatter('returnValue', (value: unknown) => summarizeSendResult(value));
  adapter.setFormatter('progress', (value: unknown) => (typeof value === 'number' ? value : 0));
  adapter.setFormatter('name', (job: unknown) => {
    const name = isRecord(job) && typeof job.name === 'string' ? job.name : 'job';
    const { subject } = summarizeEmailJob(isRecord(job) ? job.data : undefined);
    return subject === undefined ? name : `${name}: ${subject.slice(0, 120)}`;
  });
  return adapter;
}

/** First lines of the errors BullMQ kept (formatJob lists them newest first), without class names. */
function attemptLines(stacktrace: unknown): string[] {
  if (!Array.isArray(stacktrace)) return [];
  return stacktrace
    .filter((entry): entry is string => typeof entry === 'string' && entry.length > 0)
    .map((entry) => (entry.split('\n')[0] ?? '').replace(/^[A-Za-z]*Error: /, ''));
}

/**
 * Replaces stack traces by attempt messages: with no stack trace the board shows the failedReason
 * itself, e.g. "[policy-denied] Sender … is blocked by an Exchange application access policy …".
 */
function reshapeJob(job: Record<string, unknown>): void {
  const attempts = attemptLines(job.stacktrace);
  job.stacktrace = [];
  if (attempts.length > 0 && isRecord(job.data)) job.data = { ...job.data, attemptErrors: attempts };
}

function jobsOf(body: unknown): Record<string, unknown>[] {
  if (!isRecord(body)) return [];
  if (isRecord(body.job)) return [body.job];
  if (!Array.isArray(body.queues)) return [];
  return body.queues.flatMap((queue: unknown) => (isRecord(queue) && Array.isArray(queue.jobs) ? queue.jobs.filter(isRecord) : []));
}

async function addDeliveryFacts(jobs: Record<string, unknown>[], deliveries: Pick<DeliveryStore, 'find'>, logger: Logger): Promise<void> {
  await Promise.all(
    jobs.map(async (job) => {
      if (typeof job.id !== 'string' || !isRecord(job.data)) return;
      try {
        const [record] = await deliveries.find({ jobId: job.id, limit: 1 });
        if (!record) return;
        job.data = {
          ...job.data,
          delivery: {
            status: record.status,
            attempts: record.attempts,
            ...(record.sender ? { sender: record.sender, senderSource: record.senderSource } : {}),
            ...(record.senderFallbackReason ? { senderFallbackReason: record.senderFallbackReason } : {}),
            ...(record.graphRequestId ? { graphRequestId: record.graphRequestId } : {}),
            ...(record.possibleDuplicate ? { possibleDuplicate: true } : {}),
          },
        };
      } catch (err: unknown) {
        // The board stays useful without the record; the store's health shows on /readyz.
        logger.debug({ jobId: job.id, err: toError(err).message }, 'delivery record not available for the dashboard');
      }
    }),
  );
}

/** Bull Board after-hook for the routes that return jobs. */
export function jobViewHook(deliveries: Pick<DeliveryStore, 'find'> | undefined, logger: Logger): AfterHook {
  return async ({ method, route }, result) => {
    if (method !== 'get' || (route !== '/api/queues' && route !== '/api/queues/:queueName/:jobId')) return result;
    const jobs = jobsOf(result.body);
    jobs.forEach(reshapeJob);
    if (deliveries) await addDeliveryFacts(jobs, deliveries, logger);
    return result;
  };
}
