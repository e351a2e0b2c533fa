// How an e-mail job looks on the dashboard: redacted by Bull Board formatters and an after-hook on the
// server, the plain-language failure reason in place of stack traces, the sender from the delivery record.
import type { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { AfterHook } from '@bull-board/api/dist/types';
import type { Logger } from 'pino';
import { type DeliveryStore, toError } from '@omikai/graph-mailer-client';
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

function redactSchedulers(body: unknown): void {
  if (!isRecord(body) || !Array.isArray(body.schedulers)) return;
  for (const scheduler of body.schedulers.filter(isRecord)) {
    const template = isRecord(scheduler.template) ? scheduler.template : {};
    scheduler.template = { data: summarizeEmailJob(template.data) };
  }
}

/** Job logs are free text written by whoever processed the job: they may quote the e-mail, so only their count shows. */
function hiddenLogLines(body: unknown): string[] {
  const count = Array.isArray(body) ? body.length : 0;
  if (count === 0) return [];
  return [`${count} log line${count === 1 ? '' : 's'} hidden: job logs may quote the e-mail. The worker's own log has what it wrote.`];
}

/** A flow node's progress is the raw object the job stored (the worker keeps a pending send record there). */
function redactFlowNode(node: unknown, depth = 0): void {
  if (!isRecord(node) || depth > 50) return;
  node.progress = typeof node.progress === 'number' ? node.progress : 0;
  if (Array.isArray(node.children)) for (const child of node.children) redactFlowNode(child, depth + 1);
}

type Redactor = (body: unknown, deliveries: Pick<DeliveryStore, 'find'> | undefined, logger: Logger) => Promise<unknown>;

async function redactJobList(body: unknown, deliveries: Pick<DeliveryStore, 'find'> | undefined, logger: Logger): Promise<unknown> {
  const jobs = jobsOf(body);
  jobs.forEach(reshapeJob);
  if (deliveries) await addDeliveryFacts(jobs, deliveries, logger);
  return body;
}

/**
 * Every Bull Board route whose answer carries job data, and how it is redacted (on top of the
 * formatters set by redactJobs). route-policy.ts allows no route with job data that is not here.
 */
const REDACTORS: Readonly<Record<string, Redactor>> = {
  'get /api/queues': redactJobList,
  'get /api/queues/:queueName/:jobId': redactJobList,
  'get /api/job-schedulers': async (body) => {
    redactSchedulers(body);
    return body;
  },
  'get /api/queues/:queueName/:jobId/logs': async (body) => hiddenLogLines(body),
  'get /api/queues/:queueName/:jobId/flow': async (body) => {
    if (isRecord(body)) redactFlowNode(body.flowRoot);
    return body;
  },
};

export const REDACTED_ROUTES: ReadonlySet<string> = new Set(Object.keys(REDACTORS));

/** Bull Board after-hook: redacts the answers of the routes in REDACTED_ROUTES. */
export function jobViewHook(deliveries: Pick<DeliveryStore, 'find'> | undefined, logger: Logger): AfterHook {
  return async ({ method, route }, result) => {
    const redactor = REDACTORS[`${method.toLowerCase()} ${route}`];
    if (!redactor || (typeof result.status === 'number' && result.status >= 400)) return result;
    return { ...result, body: (await redactor(result.body, deliveries, logger)) as typeof result.body };
  };
}
