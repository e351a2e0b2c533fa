// The typed producer API the ERP calls to queue e-mails.
import { createHash } from 'node:crypto';
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import { Cluster } from 'ioredis';
import type { EnqueueDurability } from '../../config/redis-env';
import { createRedisConnection, type RedisClient, type RedisTarget } from '../redis/redis-connection';
import { EnqueueNotReplicatedError, waitForReplicas } from '../redis/replication';
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
  now?: () => number;
}

export interface EnqueuedEmail {
  jobId: string;
}

export interface EmailProducer {
  /** Validates and queues one e-mail; throws EmailJobValidationError naming each bad field. */
  enqueue(input: EmailJobInput): Promise<EnqueuedEmail>;
  /** Validates all first (nothing is queued if any is bad), then queues them in one round trip. */
  enqueueMany(inputs: EmailJobInput[]): Promise<EnqueuedEmail[]>;
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
  redis,
  queueName = EMAIL_QUEUE_NAME,
  shards = 1,
  durability = 'acknowledged',
  replicationTimeoutMs = 2_000,
  jobOptions,
  enqueueTimeoutMs = 5_000,
  maxMessageBytes,
  now = Date.now,
}: EmailProducerOptions): EmailProducer {
  if (!connection === !redis) throw new TypeError('createEmailProducer needs exactly one of connection and redis');
  const ownClient: RedisClient | undefined = redis ? createRedisConnection(redis, 'producer') : undefined;
  ownClient?.on('error', () => {});
  const hashTagged = redis?.kind === 'cluster' || connection instanceof Cluster;
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

  async function withinTimeout<T>(operation: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new QueueUnavailableError(enqueueTimeoutMs)), enqueueTimeoutMs);
    });
    try {
      return await Promise.race([operation, timeout]);
    } catch (err: unknown) {
      if (err instanceof QueueUnavailableError || err instanceof EnqueueNotReplicatedError) throw err;
      throw new QueueUnavailableError(enqueueTimeoutMs, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    queue,
    queues,
    async enqueue(input) {
      const job = prepareEmailJob(input, now(), maxMessageBytes);
      const target = queueFor(job);
      const added = await withinTimeout(
        target.add(job.name, job.data, job.opts).then(async (added) => (await confirmReplicated(target, [added.id!]), added)),
      );
      return { jobId: added.id! };
    },
    async enqueueMany(inputs) {
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
      const byShard = new Map<Queue<EmailJob>, number[]>();
      jobs.forEach((job, index) => byShard.set(queueFor(job), [...(byShard.get(queueFor(job)) ?? []), index]));
      const ids: string[] = [];
      await withinTimeout(
        Promise.all(
          [...byShard].map(async ([target, indexes]) => {
            const added = await target.addBulk(indexes.map((index) => jobs[index]!));
            added.forEach((job, position) => (ids[indexes[position]!] = job.id!));
            await confirmReplicated(
              target,
              added.map((job) => job.id!),
            );
          }),
        ),
      );
      return ids.map((jobId) => ({ jobId }));
    },
    async close() {
      // A Redis that is down would hold close() forever; drop the connection instead.
      await withinTimeout(Promise.all(queues.map((each) => each.close()))).catch(() =>
        Promise.all(queues.map((each) => each.disconnect())),
      );
      if (ownClient) await withinTimeout(ownClient.quit()).catch(() => ownClient.disconnect());
    },
  };
}
