// What a soak run ends with: the reconciliation figures plus memory over time, and how growth is judged.
import type { PacedEnqueueResult } from './enqueue-paced';
import type { Reconciliation } from './reconcile';

export interface SoakSample {
  atSeconds: number;
  /** Jobs whose record was finished sent or failed so far. */
  ended: number;
  workerRssMb: number[];
  redisUsedMemoryMb: number;
  /** Completed jobs Redis still holds (bounded by removeOnComplete). */
  completedInRedis: number;
  backlog: number;
}

export interface SoakSummary {
  mode: 'soak';
  jobs: number;
  sent: number;
  failedWithReason: number;
  lost: number;
  duplicates: number;
  flaggedPossibleDuplicate: number;
  unflaggedDuplicates: number;
  workerKills: 0;
  redisRestarts: 0;
  durationSeconds: number;
  /** Mean worker RSS at the first sample, halfway through the load, and at its end. */
  rssMb: { first: number; half: number; last: number; max: number };
  redisUsedMemoryMb: { first: number; half: number; last: number; max: number; afterDrain: number };
  /** Growth over the second half of the load, where a leak shows and warm-up does not. */
  rssGrowthSecondHalfMb: number;
  redisGrowthSecondHalfMb: number;
  completedInRedisLast: number;
  maxBacklog: number;
  timedOut: boolean;
  leftRunning: number;
  passed: boolean;
  samples: SoakSample[];
}

const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);
const round = (value: number) => Math.round(value * 10) / 10;

export interface SoakSummaryInput {
  reconciliation: Reconciliation;
  samples: SoakSample[];
  accepted: number;
  enqueueResult: PacedEnqueueResult;
  drained: boolean;
  durationSeconds: number;
  leftRunning: number;
}

export function summarizeSoak({
  reconciliation: r,
  samples,
  accepted,
  drained,
  durationSeconds,
  leftRunning,
}: SoakSummaryInput): SoakSummary {
  // The last sample is taken after the drain; the others under load.
  const loaded = samples.length > 1 ? samples.slice(0, -1) : samples;
  const first = loaded[0];
  const half = loaded[Math.floor(loaded.length / 2)];
  const last = loaded[loaded.length - 1];
  const rss = (sample: SoakSample | undefined) => round(mean(sample?.workerRssMb ?? []));
  const redis = (sample: SoakSample | undefined) => sample?.redisUsedMemoryMb ?? 0;
  const summary: Omit<SoakSummary, 'passed'> = {
    mode: 'soak',
    jobs: accepted,
    sent: r.sent,
    failedWithReason: r.failedWithReason,
    lost: r.lost,
    duplicates: r.duplicates,
    flaggedPossibleDuplicate: r.flaggedPossibleDuplicate,
    unflaggedDuplicates: r.unflaggedDuplicates,
    workerKills: 0,
    redisRestarts: 0,
    durationSeconds,
    rssMb: { first: rss(first), half: rss(half), last: rss(last), max: Math.max(0, ...loaded.map(rss)) },
    redisUsedMemoryMb: {
      first: redis(first),
      half: redis(half),
      last: redis(last),
      max: Math.max(0, ...loaded.map(redis)),
      afterDrain: redis(samples[samples.length - 1]),
    },
    rssGrowthSecondHalfMb: round(rss(last) - rss(half)),
    redisGrowthSecondHalfMb: round(redis(last) - redis(half)),
    completedInRedisLast: samples[samples.length - 1]?.completedInRedis ?? 0,
    maxBacklog: Math.max(0, ...samples.map((sample) => sample.backlog)),
    timedOut: !drained,
    leftRunning,
    samples,
  };
  return { ...summary, passed: summary.lost === 0 && summary.unflaggedDuplicates === 0 && drained && leftRunning === 0 };
}

export function soakJson(summary: SoakSummary): string {
  const { samples, ...figures } = summary;
  return JSON.stringify({ ...figures, samples: samples.length });
}

export function formatSoak(s: SoakSummary): string[] {
  const rows: [string, string | number][] = [
    ['e-mails accepted / sent / failed with a reason', `${s.jobs} / ${s.sent} / ${s.failedWithReason}`],
    ['LOST / duplicates / not flagged', `${s.lost} / ${s.duplicates} / ${s.unflaggedDuplicates}`],
    ['worker RSS (mean) first → half → last, max', `${s.rssMb.first} → ${s.rssMb.half} → ${s.rssMb.last} MB, ${s.rssMb.max} MB`],
    [
      'Redis used_memory first → half → last, after drain',
      `${s.redisUsedMemoryMb.first} → ${s.redisUsedMemoryMb.half} → ${s.redisUsedMemoryMb.last} MB, ${s.redisUsedMemoryMb.afterDrain} MB`,
    ],
    ['growth over the second half: RSS / Redis', `${s.rssGrowthSecondHalfMb} MB / ${s.redisGrowthSecondHalfMb} MB`],
    ['completed jobs kept in Redis at the end', s.completedInRedisLast],
    ['largest backlog', s.maxBacklog],
    ['duration', `${s.durationSeconds} s`],
    ['result', s.passed ? 'PASSED' : 'FAILED'],
  ];
  return rows.map(([name, value]) => `${name.padEnd(52)} ${value}`);
}
