// `ops retry <jobId…>` and `ops retry --category … [--since 1h] [--dry-run] [--force]`, with a progress bar and a summary.
import { Presets, SingleBar } from 'cli-progress';
import { auditedJobIds } from '../audit-log';
import { EXIT_INCOMPLETE, EXIT_OK, UsageError, flagOption, type CommandContext } from './cli-context';
import { readFailedJobFilter } from './failed-commands';
import { scanFailedJobs } from './failed-jobs';
import { INCOMPLETE_OUTCOMES, countOutcomes, retryFailedJob, type RetryOutcome, type RetryResult } from './retry-jobs';

const SUMMARY_WORDS: Record<RetryOutcome, string> = {
  retried: 'retried',
  'would-retry': 'would be retried',
  'needs-force': 'need --force',
  'already-sent': 'already sent (skipped)',
  cancelled: 'cancelled (skipped)',
  'not-failed': 'not failed (skipped)',
  'not-found': 'not found',
  error: 'errors',
};

async function selectJobIds(ctx: CommandContext): Promise<{ jobIds: string[]; byCategory: boolean }> {
  const filter = readFailedJobFilter(ctx);
  const byCategory = filter.categories !== undefined;
  if (byCategory && ctx.positionals.length > 0) throw new UsageError('Give job ids or --category, not both.');
  if (!byCategory && filter.since !== undefined)
    throw new UsageError('--since goes with --category: ops retry --category transient --since 1h');
  if (!byCategory && ctx.positionals.length === 0)
    throw new UsageError('Give job ids (ops retry 12 13) or a category (ops retry --category throttled).');
  if (!byCategory) return { jobIds: ctx.positionals, byCategory };
  return { jobIds: (await scanFailedJobs(ctx.queue(), filter)).map((job) => job.jobId), byCategory };
}

export async function retryCommand(ctx: CommandContext): Promise<number> {
  const force = flagOption(ctx, 'force');
  const dryRun = flagOption(ctx, 'dry-run');
  const { jobIds, byCategory } = await selectJobIds(ctx);
  const deliveries = await ctx.deliveries();
  const queue = ctx.queue();

  const bar =
    ctx.json || jobIds.length < 2
      ? undefined
      : new SingleBar(
          {
            stream: ctx.io.stderr,
            noTTYOutput: true,
            format: `${dryRun ? 'checking' : 'retrying'} [{bar}] {value}/{total} jobs`,
            hideCursor: false,
          },
          Presets.shades_classic,
        );
  bar?.start(jobIds.length, 0);
  const results: RetryResult[] = [];
  for (const jobId of jobIds) {
    results.push(await retryFailedJob(queue, deliveries, jobId, { force, dryRun }));
    bar?.increment();
  }
  bar?.stop();

  const summary = countOutcomes(results);
  if (!dryRun && jobIds.length > 0) {
    const incomplete = results.some((result) => INCOMPLETE_OUTCOMES.has(result.outcome));
    ctx.audit.record({
      actor: ctx.actor,
      via: 'cli',
      action: force ? 'retry --force' : 'retry',
      ...auditedJobIds(jobIds),
      result: summary.error === jobIds.length ? 'failed' : incomplete ? 'partial' : 'done',
      outcomes: Object.fromEntries(Object.entries(summary).filter(([, count]) => count > 0)),
    });
  }
  ctx.emitJson({ dryRun, force, results, summary });
  if (byCategory && jobIds.length === 0) ctx.say('No failed jobs match; nothing to retry.');
  // Listing every job is noise for a large batch; the refusals and errors always show, they need a person.
  const detailed = results.filter((result) => jobIds.length <= 20 || result.outcome !== (dryRun ? 'would-retry' : 'retried'));
  for (const result of detailed) ctx.say(`job ${result.jobId}: ${result.message}`);
  const parts = (Object.keys(summary) as RetryOutcome[])
    .filter((outcome) => summary[outcome] > 0)
    .map((o) => `${summary[o]} ${SUMMARY_WORDS[o]}`);
  if (results.length > 0) ctx.say(`${dryRun ? 'Dry run, nothing changed: ' : ''}${parts.join(', ')}.`);
  if (summary['needs-force'] > 0) ctx.say('Fix the cause first, then add --force to retry those anyway.');
  return results.some((result) => INCOMPLETE_OUTCOMES.has(result.outcome)) ? EXIT_INCOMPLETE : EXIT_OK;
}
