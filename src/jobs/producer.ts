// The typed producer API the ERP calls to queue e-mails.
import { createHash } from 'node:crypto';
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
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
import { priorityJobOptions, type EmailPriority } from './priority';

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
   * The largest e-mail enqueue() takes, in bytes of the Graph request (default 4 MB: one sendMail).
   * Accounts in draft or auto mode send larger ones: set the accounts' maximum send size (e.g.
   * 35 MB, Exchange's default); the worker checks each e-mail against its own account's limit.
   */
  maxMessageBytes?: number;
  now?: () => number;
}

export interface EnqueuedEmail {
  jobId: string;
}

export interface EnqueueOptions {
  /**
   * `interactive` goes ahead of every bulk e-mail, and within its mailbox takes the next free slot;
   * `bulk` is for runs (statements, reminders). Default: `interactive` for enqueue(), `bulk` for enqueueMany().
   */
  priority?: EmailPriority;
}

export interface EmailProducer {
  /** Validates and queues one e-mail; throws EmailJobValidationError naming each bad field. */
  enqueue(input: EmailJobInput, options?: EnqueueOptions): Promise<EnqueuedEmail>;
  /** Validates all first (nothing is queued if any is bad), then queues them in one round trip; bulk unless told otherwise. */
  enqueueMany(inputs: EmailJobInput[], options?: EnqueueOptions): Promise<EnqueuedEmail[]>;
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
export function prepareEmailJob(input: EmailJobInput, now: number, maxMessageBytes?: number): PreparedEmailJob {
  const data = parseEmailJob({ ...input, schemaVersion: EMAIL_JOB_SCHEMA_VERSION });
  const tooLarge = graphRequestSizeProblem(data, maxMessageBytes);
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
  maxMessageBytes,
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

  return {
    queue,
    async enqueue(input, { priority = 'interactive' } = {}) {
      const job = prepareEmailJob(input, now(), maxMessageBytes);
      const added = await withinTimeout(queue.add(job.name, job.data, { ...job.opts, ...priorityJobOptions(priority) }));
      return { jobId: added.id! };
    },
    async enqueueMany(inputs, { priority = 'bulk' } = {}) {
      const problems: EmailJobValidationError['problems'] = [];
      const jobs: PreparedEmailJob[] = [];
      const at = now();
      inputs.forEach((input, index) => {
        try {
          jobs.push(prepareEmailJob(input, at, maxMessageBytes));
        } catch (err: unknown) {
          if (!(err instanceof EmailJobValidationError)) throw err;
          problems.push(...err.problems.map((p) => ({ path: `[${index}]${p.path ? `.${p.path}` : ''}`, message: p.message })));
        }
      });
      if (problems.length > 0) throw new EmailJobValidationError(problems);
      const marked = priorityJobOptions(priority);
      const added = await withinTimeout(queue.addBulk(jobs.map((job) => ({ ...job, opts: { ...job.opts, ...marked } }))));
      return added.map((job) => ({ jobId: job.id! }));
    },
    async close() {
      // A Redis that is down would hold close() forever; drop the connection instead.
      await withinTimeout(queue.close()).catch(() => queue.disconnect());
    },
  };
}
