// `npm run chaos [-- --jobs N --workers N --soak 30m]`: the fault-injection run (or a soak, or with
// `--failover sentinel|cluster [--durable]` a Redis failover run, bench/chaos/failover-run.ts), a readable
// summary, and as the last line of stdout one JSON object with the figures. Exit code 1 when a target is missed.
import { parseArgs } from 'node:util';
import { formatSummary, summaryJson } from './chaos-summary';
import { DEFAULT_FAILOVER_OPTIONS, formatFailover, runFailover } from './failover-run';
import { DEFAULT_CHAOS_OPTIONS, runChaos } from './run-chaos';
import { runSoak } from './soak';

/** "30m", "45s", "1h", "90" (seconds) → milliseconds. */
function parseDurationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new Error(`--soak takes a duration such as 45s, 30m or 1h, got '${text}'`);
  const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unitMs;
}

function positiveInteger(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${flag} must be a positive integer, got '${text}'`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      jobs: { type: 'string' },
      workers: { type: 'string' },
      concurrency: { type: 'string' },
      rate: { type: 'string' },
      soak: { type: 'string' },
      retain: { type: 'string' },
      'no-flow': { type: 'boolean', default: false },
      'redis-crash': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      failover: { type: 'string' },
      durable: { type: 'boolean', default: false },
    },
  });
  if (values.failover !== undefined) {
    if (values.failover !== 'sentinel' && values.failover !== 'cluster')
      throw new Error(`--failover takes sentinel or cluster, got '${values.failover}'`);
    const summary = await runFailover({
      topology: values.failover,
      durable: values.durable,
      jobs: positiveInteger(values.jobs, '--jobs', DEFAULT_FAILOVER_OPTIONS.jobs),
      enqueuePerSecond: positiveInteger(values.rate, '--rate', DEFAULT_FAILOVER_OPTIONS.enqueuePerSecond),
      workers: positiveInteger(values.workers, '--workers', DEFAULT_FAILOVER_OPTIONS.workers),
      concurrency: positiveInteger(values.concurrency, '--concurrency', DEFAULT_FAILOVER_OPTIONS.concurrency),
    });
    console.log('');
    for (const line of formatFailover(summary)) console.log(line);
    console.log(JSON.stringify(summary));
    process.exitCode = summary.passed ? 0 : 1;
    return;
  }
  const aborter = new AbortController();
  const abort = (signal: NodeJS.Signals) => {
    console.error(`${signal}: stopping the run and everything it started…`);
    aborter.abort();
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  const common = {
    ...DEFAULT_CHAOS_OPTIONS,
    workers: positiveInteger(values.workers, '--workers', DEFAULT_CHAOS_OPTIONS.workers),
    concurrency: positiveInteger(values.concurrency, '--concurrency', DEFAULT_CHAOS_OPTIONS.concurrency),
    flow: !values['no-flow'],
    keepWorkDir: values.keep,
    signal: aborter.signal,
  };

  const durationMs = values.soak === undefined ? undefined : parseDurationMs(values.soak);
  const summary =
    durationMs !== undefined
      ? await runSoak({
          ...common,
          durationMs,
          enqueuePerSecond: positiveInteger(values.rate, '--rate', 50),
          sampleEveryMs: Math.max(5_000, Math.round(durationMs / 30)),
          ...(values.retain === undefined ? {} : { retainCompleted: positiveInteger(values.retain, '--retain', 10_000) }),
        })
      : await runChaos({
          ...common,
          jobs: positiveInteger(values.jobs, '--jobs', DEFAULT_CHAOS_OPTIONS.jobs),
          enqueuePerSecond: positiveInteger(values.rate, '--rate', DEFAULT_CHAOS_OPTIONS.enqueuePerSecond),
          redisStopSignal: values['redis-crash'] ? 'SIGKILL' : 'SIGTERM',
        });
  console.log('');
  for (const line of formatSummary(summary)) console.log(line);
  console.log(summaryJson(summary));
  process.exitCode = summary.passed ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error('chaos run failed:', err);
  process.exitCode = 1;
});
