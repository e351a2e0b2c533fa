// The EMAIL_QUEUE_SHARDS queues as one Bull Board queue: counts summed, jobs merged newest first across
// the shards, a job found on whichever shard holds it (its actions act there), queue-wide actions on all.
import type { RedisClient } from '@omikai/graph-mailer-client';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type {
  AppJobScheduler,
  JobCleanStatus,
  JobCounts,
  JobSchedulerRepeatOptions,
  JobSchedulerUpdateResult,
  JobStatus,
  MetricsType,
  ObliterateOptions,
  QueueAdapterOptions,
  QueueJob,
  QueueMetrics,
  QueueRateLimit,
  QueueWorker,
} from '@bull-board/api/dist/types';
import type { Job, JobType, Queue } from 'bullmq';
import { mergeNewestFirst, RANK_FIELDS, rankMsOf, type RankedJobId, type RankFields } from './shard-merge';

/** The shards of one queue layout, as the dashboard opens them. */
export interface ShardedQueue {
  /** The name the shards are shown under (EMAIL_QUEUE_NAME). */
  name: string;
  /** Every shard's queue, shard 0 first. */
  queues: readonly Queue[];
  /** The connection the shards' queues use: the jobs' ranks are read on it, one pipeline per shard and state. */
  connection: RedisClient;
}

const each = async <T>(adapters: readonly BullMQAdapter[], action: (adapter: BullMQAdapter) => Promise<T>): Promise<T[]> =>
  Promise.all(adapters.map(action));

/**
 * A BullMQAdapter over shard 0 whose every queue-wide method answers for all shards. The jobs it hands
 * out are the shards' own BullMQ jobs, so retry, promote and remove act on the shard that holds the job.
 */
export class ShardedQueueAdapter extends BullMQAdapter {
  private readonly shards: BullMQAdapter[];

  constructor(
    private readonly sharded: ShardedQueue,
    options: Partial<QueueAdapterOptions> = {},
  ) {
    const [first] = sharded.queues;
    if (!first) throw new Error('A sharded queue needs at least one shard.');
    super(first, options);
    this.shards = sharded.queues.map((queue) => new BullMQAdapter(queue, options));
  }

  override getName(): string {
    return `${this.prefix}${this.sharded.name}`;
  }

  override getQueueName(): string {
    return this.sharded.name;
  }

  override async getJobCounts(): Promise<JobCounts> {
    const totals: JobCounts = {};
    for (const counts of await each(this.shards, (shard) => shard.getJobCounts())) {
      for (const [state, count] of Object.entries(counts))
        totals[state as keyof JobCounts] = (totals[state as keyof JobCounts] ?? 0) + count;
    }
    return totals;
  }

  /** The job on the first shard (in shard order) that holds the id. */
  override async getJob(id: string): Promise<Job | undefined> {
    const found = await Promise.all(this.sharded.queues.map((queue) => queue.getJob(id)));
    return found.find((job) => job !== undefined);
  }

  /** BullMQ's meaning of start and end (a range of each state, the states one after the other), over the shards merged newest first. */
  override async getJobs(jobStatuses: JobStatus[], start = 0, end = -1): Promise<Job[]> {
    const seen = new Set<string>();
    const jobs: Job[] = [];
    for (const state of jobStatuses) {
      const lists = await Promise.all(this.sharded.queues.map((_, shard) => this.rankedIds(shard, state, end)));
      const page = mergeNewestFirst(lists, end < 0 ? Number.POSITIVE_INFINITY : end + 1).slice(start);
      const found = await Promise.all(page.map(({ shard, id }) => this.sharded.queues[shard]!.getJob(id)));
      page.forEach(({ shard, id }, index) => {
        const job = found[index];
        if (!job || seen.has(`${shard}:${id}`)) return;
        seen.add(`${shard}:${id}`);
        jobs.push(job);
      });
    }
    return jobs;
  }

  /** A shard's first `end + 1` ids of a state, in BullMQ's order, with the time each is ranked by; ids whose job is gone are dropped. */
  private async rankedIds(shard: number, state: JobStatus, end: number): Promise<RankedJobId[]> {
    const queue = this.sharded.queues[shard]!;
    const ids = await queue.getRanges([state as JobType], 0, end);
    if (ids.length === 0) return [];
    const replies = (await this.sharded.connection.pipeline(ids.map((id) => ['hmget', queue.toKey(id), ...RANK_FIELDS])).exec()) ?? [];
    return ids.flatMap((id, index) => {
      const [err, values] = replies[index] ?? [];
      if (err || !Array.isArray(values) || values.every((value) => value === null)) return [];
      const fields: RankFields = {};
      RANK_FIELDS.forEach((field, position) => {
        const value = Number(values[position] ?? Number.NaN);
        if (Number.isFinite(value)) fields[field] = value;
      });
      return [{ shard, id, rankMs: rankMsOf(state, fields) }];
    });
  }

  private shardOf(job: QueueJob): BullMQAdapter | undefined {
    const qualifiedName = (job as Partial<Job>).queueQualifiedName;
    return this.shards.find((shard) => shard.getQueueQualifiedName() === qualifiedName);
  }

  override async getJobLogs(id: string): Promise<string[]> {
    const job = await this.getJob(id);
    const shard = job && this.shardOf(job);
    return shard ? shard.getJobLogs(id) : [];
  }

  override async getArmedJobSchedulerId(job: QueueJob): Promise<string | null> {
    return (await this.shardOf(job)?.getArmedJobSchedulerId(job)) ?? null;
  }

  override addJob(): Promise<Job> {
    return Promise.reject(new Error("Jobs are added to a sharded e-mail queue by the producer, which picks the account's shard."));
  }

  override async getMetrics(type: MetricsType, start?: number, end?: number): Promise<QueueMetrics> {
    const all = await each(this.shards, (shard) => shard.getMetrics(type, start, end));
    const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
    const length = Math.max(0, ...all.map((metrics) => metrics.data.length));
    return {
      meta: {
        count: sum(all.map((metrics) => metrics.meta.count)),
        prevTS: Math.max(0, ...all.map((metrics) => metrics.meta.prevTS)),
        prevCount: sum(all.map((metrics) => metrics.meta.prevCount)),
      },
      data: Array.from({ length }, (_, index) => sum(all.map((metrics) => metrics.data[index] ?? 0))),
      count: sum(all.map((metrics) => metrics.count)),
    };
  }

  /** Paused when every shard is (as `ops queue status` says). */
  override async isPaused(): Promise<boolean> {
    return (await each(this.shards, (shard) => shard.isPaused())).every(Boolean);
  }

  override async pause(): Promise<void> {
    await each(this.shards, (shard) => shard.pause());
  }

  override async resume(): Promise<void> {
    await each(this.shards, (shard) => shard.resume());
  }

  override async clean(jobStatus: JobCleanStatus, graceTimeMs: number): Promise<void> {
    await each(this.shards, (shard) => shard.clean(jobStatus, graceTimeMs));
  }

  override async empty(): Promise<void> {
    await each(this.shards, (shard) => shard.empty());
  }

  override async obliterate(options?: ObliterateOptions): Promise<void> {
    await each(this.shards, (shard) => shard.obliterate(options));
  }

  override async promoteAll(): Promise<void> {
    await each(this.shards, (shard) => shard.promoteAll());
  }

  override async getWorkers(): Promise<QueueWorker[] | null> {
    const lists = await each(this.shards, (shard) => shard.getWorkers());
    if (lists.every((list) => list === null)) return null;
    const byId = new Map(lists.flatMap((list) => list ?? []).map((worker) => [worker.id, worker]));
    return [...byId.values()];
  }

  override async getJobSchedulers(): Promise<Omit<AppJobScheduler, 'queueName'>[]> {
    return (await each(this.shards, (shard) => shard.getJobSchedulers())).flat();
  }

  override async getJobSchedulersCount(): Promise<number> {
    return (await each(this.shards, (shard) => shard.getJobSchedulersCount())).reduce((total, count) => total + count, 0);
  }

  override async removeJobScheduler(id: string): Promise<boolean> {
    return (await each(this.shards, (shard) => shard.removeJobScheduler(id))).some(Boolean);
  }

  override async runJobSchedulerNow(id: string): Promise<QueueJob | 'not-found'> {
    for (const shard of this.shards) {
      const result = await shard.runJobSchedulerNow(id);
      if (result !== 'not-found') return result;
    }
    return 'not-found';
  }

  override async updateJobScheduler(id: string, repeat: JobSchedulerRepeatOptions): Promise<JobSchedulerUpdateResult> {
    for (const shard of this.shards) {
      const result = await shard.updateJobScheduler(id, repeat);
      if (result !== 'not-found') return result;
    }
    return 'not-found';
  }

  /** E-mail jobs are no flows, and a flow producer reads one shard's prefix only. */
  override async getFlowProducer(): Promise<null> {
    return null;
  }

  override async setGlobalConcurrency(concurrency: number): Promise<void> {
    await each(this.shards, (shard) => shard.setGlobalConcurrency(concurrency));
  }

  override async setConfiguredRateLimit(limit: QueueRateLimit): Promise<void> {
    await each(this.shards, (shard) => shard.setConfiguredRateLimit(limit));
  }

  override async removeConfiguredRateLimit(): Promise<void> {
    await each(this.shards, (shard) => shard.removeConfiguredRateLimit());
  }

  override async getActiveRateLimitTtl(): Promise<number> {
    return Math.max(0, ...(await each(this.shards, (shard) => shard.getActiveRateLimitTtl())));
  }

  override async releaseActiveRateLimit(): Promise<void> {
    await each(this.shards, (shard) => shard.releaseActiveRateLimit());
  }
}
