// The typed producer API the ERP calls to queue e-mails.
import { createHash } from 'node:crypto';
import { Queue, QueueEvents, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { TEST_CONNECTION_JOB_NAME, type ConnectionReport, type ConnectionTestRequest } from './connection-report';
import {
  EMAIL_JOB_SCHEMA_VERSION,
  EMAIL_QUEUE_NAME,
  EmailJobValidationError,
  SEND_EMAIL_JOB_NAME,
  graphRequestSizeProblem,
  parseEmailJob,
  type EmailJob,
  type EmailJobInput,
} from './email-job';
import type { PayloadWriter } from './payload-store';
import { DEFAULT_INLINE_MAX_BYTES, offloadContent, toJobInput, type EmailInput, type PendingPayload } from './content-offload';

/** The worker's backoff strategy: waits what Graph asked for (Retry-After), else backs off exponentially. */
export const GRAPH_BACKOFF_TYPE = 'graph';

/** Job options every e-mail job gets unless the caller overrides them. */
export const DEFAULT_EMAIL_JOB_OPTIONS = {
  attempts: 10,
  backoff: { type: GRAPH_BACKOFF_TYPE },
  // Delivery records are the history; Redis keeps a day of completed jobs for the dashboard.
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 14 * 24 * 3600 },
} satisfies JobsOptions;

export interface EmailProducerOptions {
  connection: ConnectionOptions;
  queueName?: string;
  /** How long enqueue() waits for Redis before it throws QueueUnavailableError (default 5 s). */
  enqueueTimeoutMs?: number;
  jobOptions?: Pick<JobsOptions, 'attempts' | 'removeOnComplete' | 'removeOnFail' | 'priority'>;
  /**
   * Where bodies and attachments over `inlineMaxBytes` go (GridFsPayloadStore on the ERP's own MongoDB
   * Db, or DirectoryPayloadStore); the job then holds only a reference. Without it, everything is inline.
   */
  payloads?: PayloadWriter;
  /** Content (bodies and attachments, in bytes) up to this stays inline in the job (default 16 KiB). */
  inlineMaxBytes?: number;
  now?: () => number;
}

export interface EnqueuedEmail {
  jobId: string;
}

export interface EmailProducer {
  /**
   * Validates and queues one e-mail; throws EmailJobValidationError naming each bad field. Content
   * over the inline limit is written to the payload store first, and removed if the job cannot be added.
   */
  enqueue(input: EmailInput): Promise<EnqueuedEmail>;
  /** Validates all first (nothing is queued if any is bad), then queues them in one round trip. */
  enqueueMany(inputs: EmailInput[]): Promise<EnqueuedEmail[]>;
  /**
   * "Test connection": a worker runs the connection test for the account (the checklist `npm run verify`
   * prints: settings, secret, expiry, token, Mail.Send, optionally a test message) and this resolves with
   * its report, awaited through BullMQ's QueueEvents. Rejects with ConnectionTestTimeoutError when no worker
   * answers within `timeoutMs` (default 30 s).
   */
  testConnection(request: ConnectionTestRequest, options?: { timeoutMs?: number }): Promise<ConnectionReport>;
  close(): Promise<void>;
  /** The BullMQ queue itself, for anything beyond enqueueing. */
  readonly queue: Queue;
}

/** Redis did not take the e-mail in time: the caller learns at once instead of hanging. */
export class QueueUnavailableError extends Error {
  override name = 'QueueUnavailableError';

  constructor(timeoutMs: number, options?: { cause?: unknown }) {
    super(
      `Redis did not accept the e-mail within ${timeoutMs} ms, so it may not be queued. Check that Redis is up (REDIS_URL), ` +
        'then enqueue again; with an idempotencyKey a repeat is never sent twice.',
      options,
    );
  }
}

/** No worker answered a connection test in time: none is running, or none knows test-connection jobs yet. */
export class ConnectionTestTimeoutError extends Error {
  override name = 'ConnectionTestTimeoutError';

  constructor(timeoutMs: number, options?: { cause?: unknown }) {
    super(
      `No worker answered the connection test within ${timeoutMs / 1000} s. Check that an e-mail worker is running on this queue ` +
        '(and is a version that runs test-connection jobs: upgrade workers first).',
      options,
    );
  }
}

/** The job id for an idempotency key: BullMQ ignores a second job with the same id while the first is in Redis. */
export function idempotentJobId(accountId: string, idempotencyKey: string): string {
  return `email-${createHash('sha256').update(`${accountId}\0${idempotencyKey}`).digest('hex').slice(0, 40)}`;
}

export interface PreparedEmailJob {
  name: string;
  data: EmailJob;
  opts: JobsOptions;
}

/** Validates an e-mail and turns it into a BullMQ job; throws only EmailJobValidationError. */
export function prepareEmailJob(input: EmailJobInput, now: number): PreparedEmailJob {
  const data = parseEmailJob({ ...input, schemaVersion: EMAIL_JOB_SCHEMA_VERSION });
  const tooLarge = graphRequestSizeProblem(data);
  if (tooLarge) throw new EmailJobValidationError([tooLarge]);
  const opts: JobsOptions = {};
  if (data.idempotencyKey !== undefined) opts.jobId = idempotentJobId(data.accountId, data.idempotencyKey);
  if (data.sendAt !== undefined) opts.delay = Math.max(0, Date.parse(data.sendAt) - now);
  return { name: SEND_EMAIL_JOB_NAME, data, opts };
}

export function createEmailProducer({
  connection,
  queueName = EMAIL_QUEUE_NAME,
  jobOptions,
  enqueueTimeoutMs = 5_000,
  payloads,
  inlineMaxBytes = DEFAULT_INLINE_MAX_BYTES,
  now = Date.now,
}: EmailProducerOptions): EmailProducer {
  const queue = new Queue<EmailJob>(queueName, {
    connection,
    defaultJobOptions: { ...DEFAULT_EMAIL_JOB_OPTIONS, ...jobOptions },
  });
  // Without a listener an unreachable Redis would crash the ERP's process; enqueue() reports it instead.
  queue.on('error', () => {});

  async function withinTimeout<T>(operation: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new QueueUnavailableError(enqueueTimeoutMs)), enqueueTimeoutMs);
    });
    try {
      return await Promise.race([operation, timeout]);
    } catch (err: unknown) {
      if (err instanceof QueueUnavailableError) throw err;
      throw new QueueUnavailableError(enqueueTimeoutMs, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Validates every input first (nothing is written if one is bad), naming bad fields by index when there are several. */
  async function prepareAll(inputs: EmailInput[], single: boolean): Promise<PreparedEmailJob[]> {
    const problems: EmailJobValidationError['problems'] = [];
    const jobs: PreparedEmailJob[] = [];
    const at = now();
    for (const [index, input] of inputs.entries()) {
      try {
        jobs.push(prepareEmailJob(await toJobInput(input), at));
      } catch (err: unknown) {
        if (!(err instanceof EmailJobValidationError)) throw err;
        if (single) throw err;
        problems.push(...err.problems.map((p) => ({ path: `[${index}]${p.path ? `.${p.path}` : ''}`, message: p.message })));
      }
    }
    if (problems.length > 0) throw new EmailJobValidationError(problems);
    return jobs;
  }

  /**
   * Writes the payloads of jobs over the inline limit, then adds every job in one round trip. A job
   * whose idempotency key is already queued writes nothing; payloads of jobs that were not added are removed.
   */
  async function addAll(prepared: PreparedEmailJob[]): Promise<EnqueuedEmail[]> {
    if (!payloads) {
      const added = await withinTimeout(queue.addBulk(prepared));
      return added.map((job) => ({ jobId: job.id! }));
    }
    const at = now();
    const queued = await withinTimeout(
      Promise.all(prepared.map((job) => (job.opts.jobId === undefined ? false : queue.getJob(job.opts.jobId).then(Boolean)))),
    );
    const written: PendingPayload[] = [];
    /** The payload of each job, by index (undefined: inline). */
    const payloadOf: (PendingPayload | undefined)[] = [];
    const jobs = prepared.map((job, index) => {
      if (queued[index]) return job;
      const offloaded = offloadContent(job.data, {
        queueName,
        ...(job.opts.jobId !== undefined ? { jobId: job.opts.jobId } : {}),
        now: at,
        inlineMaxBytes,
      });
      if (!offloaded) return job;
      written.push(offloaded.payload);
      payloadOf[index] = offloaded.payload;
      return { ...job, data: offloaded.data };
    });
    try {
      await Promise.all(written.map((payload) => payloads.write(payload.id, payload.metadata, payload.data)));
      const added = await withinTimeout(queue.addBulk(jobs));
      // BullMQ numbered the jobs without an idempotency key: their payloads learn their job now (for the sweeper).
      const numbered = added.flatMap((job, index) => {
        const payload = payloadOf[index];
        return payload && payload.metadata.jobId === '' ? [{ id: payload.id, jobId: job.id! }] : [];
      });
      await payloads.assignJobs(numbered).catch(() => undefined);
      await removeLosers(jobs, written);
      return added.map((job) => ({ jobId: job.id! }));
    } catch (err: unknown) {
      // Nothing refers to these payloads; what cannot be removed now the sweeper removes as orphans.
      await payloads.remove(written.map((payload) => payload.id)).catch(() => undefined);
      throw err;
    }
  }

  /** Two producers raced with one idempotency key: BullMQ kept the other job, so this payload is nobody's. */
  async function removeLosers(jobs: PreparedEmailJob[], written: PendingPayload[]): Promise<void> {
    const byJob = new Map(written.map((payload) => [payload.metadata.jobId, payload.id]));
    const raced = jobs.filter((job) => job.data.idempotencyKey !== undefined && byJob.has(job.opts.jobId!));
    if (raced.length === 0) return;
    const stored = await Promise.all(raced.map((job) => queue.getJob(job.opts.jobId!)));
    const losers = raced
      .filter((job, index) => (stored[index]?.data as EmailJob | undefined)?.content?.['id' as never] !== byJob.get(job.opts.jobId!))
      .map((job) => byJob.get(job.opts.jobId!)!);
    await payloads?.remove(losers).catch(() => undefined);
  }

  let events: QueueEvents | undefined;

  return {
    queue,
    async testConnection(request, { timeoutMs = 30_000 } = {}) {
      if (typeof request?.accountId !== 'string' || request.accountId.length === 0) {
        throw new EmailJobValidationError([{ path: 'accountId', message: 'give the account to test' }]);
      }
      if (!events) {
        events = new QueueEvents(queueName, { connection });
        events.on('error', () => {});
      }
      await withinTimeout(events.waitUntilReady());
      const job = await withinTimeout(
        queue.add(TEST_CONNECTION_JOB_NAME as never, request as never, {
          attempts: 1,
          removeOnComplete: { age: 3600 },
          removeOnFail: { age: 3600 },
        }),
      );
      try {
        return (await job.waitUntilFinished(events, timeoutMs)) as ConnectionReport;
      } catch (err: unknown) {
        if (err instanceof Error && /timed out/.test(err.message)) throw new ConnectionTestTimeoutError(timeoutMs, { cause: err });
        throw err;
      }
    },
    async enqueue(input) {
      const [jobId] = await addAll(await prepareAll([input], true));
      return jobId!;
    },
    async enqueueMany(inputs) {
      return addAll(await prepareAll(inputs, false));
    },
    async close() {
      // A Redis that is down would hold close() forever; drop the connection instead.
      await events?.close().catch(() => undefined);
      await withinTimeout(queue.close()).catch(() => queue.disconnect());
    },
  };
}
