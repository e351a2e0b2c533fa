// The queues of EMAIL_QUEUE_SHARDS seen as one by the ops CLI: counts summed, jobs listed shard after
// shard, a job found in whichever shard holds it, pause and resume applied to all.
import type { Job, JobType, Queue } from 'bullmq';

/** What the CLI's commands use of a queue. */
export type CliQueue = Pick<Queue, 'name' | 'getJob' | 'getJobs' | 'getJobCounts' | 'pause' | 'resume' | 'isPaused'>;

/**
 * One queue stays itself. Several shards answer as one queue named `name`; getJobs keeps BullMQ's
 * meaning of start and end (a range per state), over the shards' jobs of that state one after the other.
 */
export function shardedQueueView(queues: Queue[], name: string): CliQueue {
  if (queues.length === 1) return queues[0]!;
  return {
    name,
    async getJob(jobId) {
      for (const queue of queues) {
        const job = await queue.getJob(jobId);
        if (job) return job;
      }
      return undefined;
    },
    async getJobs(types, start = 0, end = -1, asc = false) {
      const states: JobType[] = types === undefined ? [] : Array.isArray(types) ? types : [types];
      const jobs: Job[] = [];
      for (const state of states) {
        let offset = 0;
        for (const queue of queues) {
          if (end >= 0 && offset > end) break;
          const count = await queue.getJobCountByTypes(state);
          const from = Math.max(0, start - offset);
          if (from < count) jobs.push(...(await queue.getJobs([state], from, end < 0 ? -1 : Math.min(count - 1, end - offset), asc)));
          offset += count;
        }
      }
      return jobs;
    },
    async getJobCounts(...types) {
      const totals: Record<string, number> = {};
      for (const counts of await Promise.all(queues.map((queue) => queue.getJobCounts(...types)))) {
        for (const [state, count] of Object.entries(counts)) totals[state] = (totals[state] ?? 0) + count;
      }
      return totals;
    },
    async pause() {
      await Promise.all(queues.map((queue) => queue.pause()));
    },
    async resume() {
      await Promise.all(queues.map((queue) => queue.resume()));
    },
    async isPaused() {
      return (await Promise.all(queues.map((queue) => queue.isPaused()))).every(Boolean);
    },
  };
}
