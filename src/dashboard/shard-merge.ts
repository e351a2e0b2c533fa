// How the jobs of several queue shards make one list on the dashboard: each shard's jobs of a state in
// BullMQ's own order (newest first), merged by the time that state is about, ties to the lower shard.

/** One job id of one shard, with the time it is ranked by. */
export interface RankedJobId {
  shard: number;
  id: string;
  /** Milliseconds; larger is newer. */
  rankMs: number;
}

/** The job hash fields a rank is read from. */
export const RANK_FIELDS = ['timestamp', 'processedOn', 'finishedOn', 'delay'] as const;
export type RankFields = Partial<Record<(typeof RANK_FIELDS)[number], number>>;

/**
 * Pure: the time a job of `state` is ranked by, the one BullMQ orders that state by (or, for lists
 * and priorities, the closest time the job carries): finished jobs by when they finished, active by
 * when they started, delayed by when they are due, the rest by when they were added.
 */
export function rankMsOf(state: string, fields: RankFields): number {
  const added = fields.timestamp ?? 0;
  switch (state) {
    case 'completed':
    case 'failed':
      return fields.finishedOn ?? added;
    case 'active':
      return fields.processedOn ?? added;
    case 'delayed':
      return added + (fields.delay ?? 0);
    default:
      return added;
  }
}

/**
 * Pure: the first `count` entries of the shards' lists merged, newest first. Each list stays in its
 * own order (the merge only ever compares the lists' heads), equal ranks go to the lower shard, so the
 * result is deterministic, and the first n of a merge of the lists' first n entries are the first n
 * of the whole merge: a page needs only the first `end + 1` ids of each shard.
 */
export function mergeNewestFirst(lists: readonly (readonly RankedJobId[])[], count: number): RankedJobId[] {
  const heads = lists.map(() => 0);
  const merged: RankedJobId[] = [];
  while (merged.length < count) {
    let best: RankedJobId | undefined;
    let bestShard = -1;
    lists.forEach((list, shard) => {
      const head = list[heads[shard]!];
      if (head && (best === undefined || head.rankMs > best.rankMs)) {
        best = head;
        bestShard = shard;
      }
    });
    if (best === undefined) break;
    merged.push(best);
    heads[bestShard]! += 1;
  }
  return merged;
}
