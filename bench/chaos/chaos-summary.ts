// The figures a chaos run or a soak ends with (a soak: no disruptions, plus memory over time), whether
// they meet the targets, and how they are printed.
import type { ChaosRecord } from './chaos-runner';
import type { Reconciliation } from './reconcile';

export interface ChaosSummary {
  jobs: number;
  sent: number;
  failedWithReason: number;
  lost: number;
  duplicates: number;
  flaggedPossibleDuplicate: number;
  unflaggedDuplicates: number;
  workerKills: number;
  redisRestarts: number;
  durationSeconds: number;
  workers: number;
  concurrency: number;
  /**
   * Sends that may have been at Graph when a worker was killed: records 'sending' at the kill, at most the
   * killed worker's concurrency (the snapshot also holds other workers' sends and sends waiting for their record).
   */
  maxInFlightAtKills: number;
  inFlightAtKills: number;
  /** The same at Redis restarts, at most every worker's concurrency. */
  inFlightAtRedisRestarts: number;
  /** The raw snapshots: records 'sending' at each kill and restart. */
  sendingRecordsAtKills: number[];
  sendingRecordsAtRedisRestarts: number[];
  /** accept-then-504 and accept-then-reset faults injected: each may duplicate one e-mail, by design. */
  outcomeUnknownFaults: number;
  /** The most duplicates the promises allow: sends in flight at kills and restarts, plus outcome-unknown faults. */
  duplicateBudget: number;
  /** Duplicates of jobs in flight at a kill, at a Redis stop, and of neither (outcome-unknown faults). */
  duplicatesAtKills: number;
  duplicatesAtRedisRestarts: number;
  duplicatesElsewhere: number;
  extraCopies: number;
  storeOutageSeconds: number;
  storeCallsRefused: number;
  enqueueRetries: number;
  notAccepted: number;
  recordedSentNotReceived: number;
  receivedNotRecordedSent: number;
  receivedUnknown: number;
  jobStates: Record<string, number>;
  skippedDisruptions: number;
  timedOut: boolean;
  /** Processes the run started that were still alive after it stopped them. */
  leftRunning: number;
  passed: boolean;
  lostExamples: string[];
  timeline: ChaosRecord['timeline'];
  /** A soak's memory figures. */
  memory?: MemoryFigures;
}

export interface MemorySample {
  atSeconds: number;
  /** Jobs whose record was finished sent or failed so far. */
  ended: number;
  workerRssMb: number[];
  redisUsedMemoryMb: number;
  /** Completed jobs Redis still holds (bounded by removeOnComplete). */
  completedInRedis: number;
  backlog: number;
}

export interface MemoryFigures {
  /** Mean worker RSS at the first sample, halfway through the load, and at its end. */
  rssMb: { first: number; half: number; last: number; max: number };
  redisUsedMemoryMb: { first: number; half: number; last: number; max: number; afterDrain: number };
  /** Growth over the second half of the load, where a leak shows and warm-up does not. */
  rssGrowthSecondHalfMb: number;
  redisGrowthSecondHalfMb: number;
  completedInRedisLast: number;
  maxBacklog: number;
  samples: MemorySample[];
}

export interface SummaryInput {
  reconciliation: Reconciliation;
  chaos: ChaosRecord;
  outcomeUnknownFaults: number;
  jobStates: Record<string, number>;
  durationSeconds: number;
  workers: number;
  concurrency: number;
  storeCallsRefused: number;
  enqueueRetries: number;
  notAccepted: number;
  accepted: number;
  timedOut: boolean;
  leftRunning: number;
  /** A soak's samples; the last one is taken after the drain. */
  samples?: MemorySample[];
}

const sum = (values: number[]) => values.reduce((total, n) => total + n, 0);
const mean = (values: number[]) => (values.length === 0 ? 0 : sum(values) / values.length);
const round = (value: number) => Math.round(value * 10) / 10;

function memoryFigures(samples: MemorySample[]): MemoryFigures {
  const loaded = samples.length > 1 ? samples.slice(0, -1) : samples;
  const [first, half, last] = [loaded[0], loaded[Math.floor(loaded.length / 2)], loaded[loaded.length - 1]];
  const rss = (sample: MemorySample | undefined) => round(mean(sample?.workerRssMb ?? []));
  const redis = (sample: MemorySample | undefined) => sample?.redisUsedMemoryMb ?? 0;
  return {
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
    samples,
  };
}

export function buildSummary(input: SummaryInput): ChaosSummary {
  const { reconciliation: r, chaos } = input;
  const killed = chaos.sendingAtKills.map((sending) => Math.min(sending, input.concurrency));
  const inFlightAtKills = sum(killed);
  const inFlightAtRedisRestarts = sum(chaos.sendingAtRedisRestarts.map((sending) => Math.min(sending, input.workers * input.concurrency)));
  const duplicateBudget = inFlightAtKills + inFlightAtRedisRestarts + input.outcomeUnknownFaults;
  const summary: Omit<ChaosSummary, 'passed'> = {
    jobs: input.accepted,
    sent: r.sent,
    failedWithReason: r.failedWithReason,
    lost: r.lost,
    duplicates: r.duplicates,
    flaggedPossibleDuplicate: r.flaggedPossibleDuplicate,
    unflaggedDuplicates: r.unflaggedDuplicates,
    workerKills: chaos.workerKills,
    redisRestarts: chaos.redisRestarts,
    durationSeconds: input.durationSeconds,
    workers: input.workers,
    concurrency: input.concurrency,
    maxInFlightAtKills: Math.max(0, ...killed),
    inFlightAtKills,
    inFlightAtRedisRestarts,
    sendingRecordsAtKills: chaos.sendingAtKills,
    sendingRecordsAtRedisRestarts: chaos.sendingAtRedisRestarts,
    outcomeUnknownFaults: input.outcomeUnknownFaults,
    duplicateBudget,
    duplicatesAtKills: r.duplicatesAtKills,
    duplicatesAtRedisRestarts: r.duplicatesAtRedisRestarts,
    duplicatesElsewhere: r.duplicatesElsewhere,
    extraCopies: r.extraCopies,
    storeOutageSeconds: chaos.storeOutageSeconds,
    storeCallsRefused: input.storeCallsRefused,
    enqueueRetries: input.enqueueRetries,
    notAccepted: input.notAccepted,
    recordedSentNotReceived: r.recordedSentNotReceived,
    receivedNotRecordedSent: r.receivedNotRecordedSent,
    receivedUnknown: r.receivedUnknown,
    jobStates: input.jobStates,
    skippedDisruptions: chaos.skippedSteps,
    timedOut: input.timedOut,
    leftRunning: input.leftRunning,
    lostExamples: r.lostExamples,
    timeline: chaos.timeline,
    ...(input.samples ? { memory: memoryFigures(input.samples) } : {}),
  };
  const passed =
    summary.lost === 0 &&
    summary.unflaggedDuplicates === 0 &&
    summary.duplicates <= duplicateBudget &&
    !summary.timedOut &&
    summary.leftRunning === 0 &&
    summary.skippedDisruptions === 0;
  return { ...summary, passed };
}

/** One JSON line: the fields first, then the extras; long lists left out. */
export function summaryJson(summary: ChaosSummary): string {
  const { lostExamples: _lostExamples, timeline: _timeline, memory, ...figures } = summary;
  return JSON.stringify({ ...figures, ...(memory ? { memory: { ...memory, samples: memory.samples.length } } : {}) });
}

export function formatSummary(s: ChaosSummary): string[] {
  const rows: [string, string | number][] = [
    ['e-mails accepted by enqueue()', s.jobs],
    ['sent (received by Graph, record says sent)', s.sent],
    ['failed with a reason', s.failedWithReason],
    ['LOST', s.lost],
    ['received more than once', `${s.duplicates} (${s.extraCopies} extra copies)`],
    [
      '  in flight at a kill / a Redis stop / neither',
      `${s.duplicatesAtKills} / ${s.duplicatesAtRedisRestarts} / ${s.duplicatesElsewhere}`,
    ],
    [
      '  allowed (in flight + outcome-unknown faults)',
      `${s.duplicateBudget} (${s.inFlightAtKills} + ${s.inFlightAtRedisRestarts} + ${s.outcomeUnknownFaults})`,
    ],
    ['records flagged possibleDuplicate', s.flaggedPossibleDuplicate],
    ['DUPLICATES NOT FLAGGED', s.unflaggedDuplicates],
    ['worker SIGKILLs / Redis restarts', `${s.workerKills} / ${s.redisRestarts}`],
    ["records 'sending' at each kill / restart", `${s.sendingRecordsAtKills.join(', ')} / ${s.sendingRecordsAtRedisRestarts.join(', ')}`],
    ['sends in flight at the worst kill', s.maxInFlightAtKills],
    ['store outage / calls refused', `${s.storeOutageSeconds} s / ${s.storeCallsRefused}`],
    ['enqueue retries (QueueUnavailableError)', s.enqueueRetries],
    ['job states in Redis', JSON.stringify(s.jobStates)],
    ['processes left running', s.leftRunning],
    ['duration', `${s.durationSeconds} s`],
    ['result', s.passed ? 'PASSED' : 'FAILED'],
  ];
  const m = s.memory;
  if (m) {
    rows.splice(
      rows.length - 1,
      0,
      ['worker RSS (mean) first → half → last, max', `${m.rssMb.first} → ${m.rssMb.half} → ${m.rssMb.last} MB, ${m.rssMb.max} MB`],
      [
        'Redis used_memory first → half → last, drained',
        `${m.redisUsedMemoryMb.first} → ${m.redisUsedMemoryMb.half} → ${m.redisUsedMemoryMb.last} MB, ${m.redisUsedMemoryMb.afterDrain} MB`,
      ],
      ['growth over the second half: RSS / Redis', `${m.rssGrowthSecondHalfMb} MB / ${m.redisGrowthSecondHalfMb} MB`],
      ['completed jobs kept in Redis at the end', m.completedInRedisLast],
      ['largest backlog', m.maxBacklog],
    );
  }
  const lines = rows.map(([name, value]) => `${name.padEnd(48)} ${value}`);
  if (s.lostExamples.length > 0) lines.push('lost e-mails (first 10):', ...s.lostExamples.map((line) => `  ${line}`));
  return lines;
}
