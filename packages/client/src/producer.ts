// The typed producer API the ERP calls to queue e-mails.
import { createHash, randomUUID } from 'node:crypto';
import { Queue, QueueEvents, type ConnectionOptions, type Job, type JobsOptions } from 'bullmq';
import { TEST_CONNECTION_JOB_NAME, type ConnectionReport, type ConnectionTestRequest } from './connection-report';
import { createRedisConnection, duplicateRedisConnection, type RedisClient, type RedisTarget } from './redis-connection';
import { EnqueueNotReplicatedError, waitForReplicas, type EnqueueDurability } from './replication';
import { queueShards, shardForAccount } from './queue-shards';
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
import { withTimeout } from './with-timeout';
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
  /** BullMQ connection options or an ioredis client; or give `redis` instead. */
  connection?: ConnectionOptions;
  /** Where Redis is, as the worker's REDIS_* variables say (a single node, Sentinels or a Cluster). */
  redis?: RedisTarget;
  queueName?: string;
  /** EMAIL_QUEUE_SHARDS of the workers: the e-mails of one account always go to the same shard. */
  shards?: number;
  /**
   * `replicated`: enqueue() returns only once a replica holds the job (Redis WAIT), so it survives
   * the master's death; it throws EnqueueNotReplicatedError when none confirms within replicationTimeoutMs.
   */
  durability?: EnqueueDurability;
  /** How long a replicated enqueue waits for a replica (default 2 s). */
  replicationTimeoutMs?: number;
  /** How long enqueue() waits for Redis before it throws QueueUnavailableError (default 5 s). */
  enqueueTimeoutMs?: number;
  jobOptions?: Pick<JobsOptions, 'attempts' | 'removeOnComplete' | 'removeOnFail' | 'priority'>;
  /**
   * The largest e-mail enqueue() takes, in bytes of the Graph request (default 4 MB: one sendMail).
   * Accounts in draft or auto mode send larger ones: set the accounts' maximum send size (e.g.
   * 35 MB, Exchange's default); the worker checks each e-mail against its own account's limit.
   */
  maxMessageBytes?: number;
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

export interface EnqueueOptions {
  /**
   * `interactive` goes ahead of every bulk e-mail, and within its mailbox takes the next free slot;
   * `bulk` is for runs (statements, reminders). Default: `interactive` for enqueue(), `bulk` for enqueueMany().
   */
  priority?: EmailPriority;
  /**
   * The account's maximum send size for these e-mails, in bytes of the request (draft mode: the
   * mailbox's MaxSendSize, counted encoded). Overrides the producer's `maxMessageBytes`, so one
   * producer serves accounts with different limits; the worker checks the account's own setting again.
   */
  maxMessageBytes?: number;
}

export interface EmailProducer {
  /**
   * Validates and queues one e-mail; throws EmailJobValidationError naming each bad field. Content
   * over the inline limit is written to the payload store first, and removed if the job cannot be added.
   */
  enqueue(input: EmailInput, options?: EnqueueOptions): Promise<EnqueuedEmail>;
  /** Validates all first (nothing is queued if any is bad), then queues them in one round trip; bulk unless told otherwise. */
  enqueueMany(inputs: EmailInput[], options?: EnqueueOptions): Promise<EnqueuedEmail[]>;
  /**
   * "Test connection": a worker runs the connection test for the account (the checklist `npm run verify`
   * prints: settings, secret, expiry, token, Mail.Send, optionally a test message) and this resolves with
   * its report, awaited through BullMQ's QueueEvents. Rejects with ConnectionTestTimeoutError when no worker
   * answers within `timeoutMs` (default 30 s).
   */
  testConnection(request: ConnectionTestRequest, options?: { timeoutMs?: number }): Promise<ConnectionReport>;
  close(): Promise<void>;
  /** The BullMQ queue itself, for anything beyond enqueueing (the first shard's when sharded). */
  readonly queue: Queue;
  /** Every shard's queue (just `queue` when not sharded). */
  readonly queues: Queue[];
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
export function prepareEmailJob(input: EmailJobInput, now: number, maxMessageBytes?: number): PreparedEmailJob {
  const data = parseEmailJob({ ...input, schemaVersion: EMAIL_JOB_SCHEMA_VERSION });
  const tooLarge = graphRequestSizeProblem(data, maxMessageBytes);
  if (tooLarge) throw new EmailJobValidationError([tooLarge]);
  const opts: JobsOptions = {};
  if (data.idempotencyKey !== undefined) opts.jobId = idempotentJobId(data.accountId, data.idempotencyKey);
  if (data.sendAt !== undefined) opts.delay = Math.max(0, Date.parse(data.sendAt) - now);
  return { name: SEND_EMAIL_JOB_NAME, data, opts };
}

/**
 * With shards, each queue counts its own BullMQ ids (shard 0 and shard 1 both have a job "1"), and a job id
 * names its delivery record: a job without an idempotency key gets an id of its own instead.
 */
function withIdUniqueAcrossShards(job: PreparedEmailJob, shards: number): PreparedEmailJob {
  if (shards === 1 || job.opts.jobId !== undefined) return job;
  return { ...job, opts: { ...job.opts, jobId: `email-${randomUUID()}` } };
}

/** The jobs with the job option that marks their priority (BullMQ acts on it before a worker takes them). */
function withPriority(jobs: PreparedEmailJob[], priority: EmailPriority): PreparedEmailJob[] {
  const marked = priorityJobOptions(priority);
  return jobs.map((job) => ({ ...job, opts: { ...job.opts, ...marked } }));
}

/** An ioredis client (single node or Cluster), duck-typed: the ERP may use its own copy of ioredis. */
function isRedisClient(connection: ConnectionOptions | undefined): connection is RedisClient {
  return typeof (connection as { duplicate?: unknown } | undefined)?.duplicate === 'function';
}

export function createEmailProducer({
  connection,
  redis,
  queueName = EMAIL_QUEUE_NAME,
  shards = 1,
  durability = 'acknowledged',
  replicationTimeoutMs = 2_000,
  jobOptions,
  enqueueTimeoutMs = 5_000,
  maxMessageBytes,
  payloads,
  inlineMaxBytes = DEFAULT_INLINE_MAX_BYTES,
  now = Date.now,
}: EmailProducerOptions): EmailProducer {
  if (!connection === !redis) throw new TypeError('createEmailProducer needs exactly one of connection and redis');
  const ownClient: RedisClient | undefined = redis ? createRedisConnection(redis, 'producer') : undefined;
  ownClient?.on('error', () => {});
  // Duck-typed, so an ioredis Cluster from the ERP's own copy of ioredis counts too.
  const hashTagged = redis?.kind === 'cluster' || (connection as { isCluster?: unknown } | undefined)?.isCluster === true;
  const queues = queueShards({ queueName, shards, hashTagged }).map(
    ({ name, prefix }) =>
      new Queue<EmailJob>(name, {
        connection: ownClient ?? connection!,
        prefix,
        defaultJobOptions: { ...DEFAULT_EMAIL_JOB_OPTIONS, ...jobOptions },
      }),
  );
  const queue = queues[0]!;
  const queueFor = (job: PreparedEmailJob) => queues[shardForAccount(job.data.accountId, queues.length)]!;
  // Without a listener an unreachable Redis would crash the ERP's process; enqueue() reports it instead.
  for (const each of queues) each.on('error', () => {});

  /** With durability `replicated`: WAIT on the connection that wrote the job (the shard's master on a Cluster). */
  async function confirmReplicated(target: Queue<EmailJob>, jobIds: string[]): Promise<void> {
    if (durability !== 'replicated') return;
    const client = (await target.getBackend().client) as unknown as RedisClient;
    const replicas = await waitForReplicas(client, target.keys.id!, 1, replicationTimeoutMs);
    if (replicas < 1) throw new EnqueueNotReplicatedError(jobIds, replicas, replicationTimeoutMs);
  }

  /** Adds each job to its account's shard (one round trip per shard), confirmed replicated when asked; jobs in input order. */
  async function addToShards(jobs: PreparedEmailJob[]): Promise<Job<EmailJob>[]> {
    const byShard = new Map<Queue<EmailJob>, number[]>();
    jobs.forEach((job, index) => byShard.set(queueFor(job), [...(byShard.get(queueFor(job)) ?? []), index]));
    const added: Job<EmailJob>[] = [];
    await Promise.all(
      [...byShard].map(async ([target, indexes]) => {
        const shardJobs = await target.addBulk(indexes.map((index) => jobs[index]!));
        shardJobs.forEach((job, position) => (added[indexes[position]!] = job));
        await confirmReplicated(
          target,
          shardJobs.map((job) => job.id!),
        );
      }),
    );
    return added;
  }

  async function withinTimeout<T>(operation: Promise<T>): Promise<T> {
    try {
      return await withTimeout(operation, enqueueTimeoutMs, () => new QueueUnavailableError(enqueueTimeoutMs));
    } catch (err: unknown) {
      if (err instanceof QueueUnavailableError || err instanceof EnqueueNotReplicatedError) throw err;
      throw new QueueUnavailableError(enqueueTimeoutMs, { cause: err });
    }
  }

  /** Validates every input first (nothing is written if one is bad), naming bad fields by index when there are several. */
  async function prepareAll(inputs: EmailInput[], single: boolean, limit = maxMessageBytes): Promise<PreparedEmailJob[]> {
    const problems: EmailJobValidationError['problems'] = [];
    const jobs: PreparedEmailJob[] = [];
    const at = now();
    for (const [index, input] of inputs.entries()) {
      try {
        jobs.push(withIdUniqueAcrossShards(prepareEmailJob(await toJobInput(input, limit), at, limit), queues.length));
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
      const added = await withinTimeout(addToShards(prepared));
      return added.map((job) => ({ jobId: job.id! }));
    }
    const at = now();
    const queued = await withinTimeout(
      Promise.all(prepared.map((job) => (job.opts.jobId === undefined ? false : queueFor(job).getJob(job.opts.jobId).then(Boolean)))),
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
      // The reference is checked as the worker will check it (sizes within the layout's limits), before anything is written.
      parseEmailJob(offloaded.data);
      written.push(offloaded.payload);
      payloadOf[index] = offloaded.payload;
      return { ...job, data: offloaded.data };
    });
    try {
      await Promise.all(written.map((payload) => payloads.write(payload.id, payload.metadata, payload.data)));
      const added = await withinTimeout(addToShards(jobs));
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
    const stored = await Promise.all(raced.map((job) => queueFor(job).getJob(job.opts.jobId!)));
    const losers = raced
      .filter((job, index) => (stored[index]?.data as EmailJob | undefined)?.content?.['id' as never] !== byJob.get(job.opts.jobId!))
      .map((job) => byJob.get(job.opts.jobId!)!);
    await payloads?.remove(losers).catch(() => undefined);
  }

  /** QueueEvents of each shard a connection test was sent to, each on a connection of its own (it blocks reading events). */
  const events = new Map<Queue<EmailJob>, { events: QueueEvents; client?: RedisClient }>();

  function eventsFor(target: Queue<EmailJob>): QueueEvents {
    const existing = events.get(target);
    if (existing) return existing.events;
    // Blocking reads need maxRetriesPerRequest: null, as a worker's connection has.
    const client = redis
      ? createRedisConnection(redis, 'worker')
      : isRedisClient(connection)
        ? duplicateRedisConnection(connection, { maxRetriesPerRequest: null })
        : undefined;
    client?.on('error', () => {});
    const created = new QueueEvents(target.name, { connection: client ?? connection!, prefix: target.opts.prefix });
    created.on('error', () => {});
    events.set(target, { events: created, ...(client ? { client } : {}) });
    return created;
  }

  return {
    queue,
    queues,
    async testConnection(request, { timeoutMs = 30_000 } = {}) {
      if (typeof request?.accountId !== 'string' || request.accountId.length === 0) {
        throw new EmailJobValidationError([{ path: 'accountId', message: 'give the account to test' }]);
      }
      // The account's shard: every worker consumes every shard, and its e-mails are there too.
      const target = queues[shardForAccount(request.accountId, queues.length)]!;
      const shardEvents = eventsFor(target);
      await withinTimeout(shardEvents.waitUntilReady());
      const job = await withinTimeout(
        target.add(TEST_CONNECTION_JOB_NAME as never, request as never, {
          attempts: 1,
          removeOnComplete: { age: 3600 },
          removeOnFail: { age: 3600 },
        }),
      );
      try {
        return (await job.waitUntilFinished(shardEvents, timeoutMs)) as ConnectionReport;
      } catch (err: unknown) {
        if (err instanceof Error && /timed out/.test(err.message)) throw new ConnectionTestTimeoutError(timeoutMs, { cause: err });
        throw err;
      }
    },
    async enqueue(input, { priority = 'interactive', maxMessageBytes: limit } = {}) {
      const [jobId] = await addAll(withPriority(await prepareAll([input], true, limit), priority));
      return jobId!;
    },
    async enqueueMany(inputs, { priority = 'bulk', maxMessageBytes: limit } = {}) {
      return addAll(withPriority(await prepareAll(inputs, false, limit), priority));
    },
    async close() {
      // A Redis that is down would hold close() forever; drop the connection instead.
      await Promise.all(
        [...events.values()].map(async ({ events: each, client }) => {
          await withinTimeout(each.close()).catch(() => each.disconnect());
          if (client) await withinTimeout(client.quit()).catch(() => client.disconnect());
        }),
      );
      await withinTimeout(Promise.all(queues.map((each) => each.close()))).catch(() =>
        Promise.all(queues.map((each) => each.disconnect())),
      );
      if (ownClient) await withinTimeout(ownClient.quit()).catch(() => ownClient.disconnect());
    },
  };
}
