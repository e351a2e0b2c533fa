// `ops cancel <jobId…>` and `ops cancel --correlation k=v… | --account A [--dry-run]`: stops e-mails that are not sent yet.
import { auditedJobIds } from '../audit-log';
import { cancelEmailJobs, findJobsToCancel, INCOMPLETE_CANCEL_OUTCOMES, type CancelFilter, type CancelOutcome } from '../cancel-email-jobs';
import { EXIT_INCOMPLETE, EXIT_OK, UsageError, flagOption, listOption, stringOption, type CommandContext } from './cli-context';
import { parseCorrelation } from './delivery-command';

const SUMMARY_WORDS: Record<CancelOutcome, string> = {
  cancelled: 'cancelled',
  'would-cancel': 'would be cancelled',
  'cancelled-while-active': 'cancelled while being sent (check them)',
  'would-cancel-active': 'being sent right now',
  'already-sent': 'already sent (not cancelled)',
  completed: 'completed (not cancelled)',
  'not-found': 'not found',
  error: 'errors',
};

async function selectJobIds(ctx: CommandContext): Promise<{ jobIds: string[]; filter?: CancelFilter }> {
  const correlation = parseCorrelation(listOption(ctx, 'correlation'));
  const accountId = stringOption(ctx, 'account');
  const filter: CancelFilter = { ...(correlation ? { correlation } : {}), ...(accountId !== undefined ? { accountId } : {}) };
  const byFilter = correlation !== undefined || accountId !== undefined;
  if (byFilter && ctx.positionals.length > 0) throw new UsageError('Give job ids or --correlation / --account, not both.');
  if (!byFilter && ctx.positionals.length === 0) {
    throw new UsageError('Say what to cancel: job ids (ops cancel 12 13), --correlation documentId=1042, or --account <id>.');
  }
  if (!byFilter) return { jobIds: ctx.positionals };
  return { jobIds: await findJobsToCancel(ctx.queue(), filter), filter };
}

export async function cancelCommand(ctx: CommandContext): Promise<number> {
  const dryRun = flagOption(ctx, 'dry-run');
  const { jobIds, filter } = await selectJobIds(ctx);
  const deliveries = await ctx.deliveries();
  const payloads = await ctx.payloads?.();
  const report = await cancelEmailJobs(ctx.queue(), deliveries, jobIds, {
    dryRun,
    by: ctx.actor,
    now: ctx.now,
    ...(payloads ? { payloads } : {}),
  });
  const incomplete = report.results.some((result) => INCOMPLETE_CANCEL_OUTCOMES.has(result.outcome));
  if (!dryRun && jobIds.length > 0) {
    ctx.audit.record({
      actor: ctx.actor,
      via: 'cli',
      action: 'cancel',
      ...auditedJobIds(jobIds),
      result: report.summary.error === jobIds.length ? 'failed' : incomplete ? 'partial' : 'done',
      outcomes: Object.fromEntries(Object.entries(report.summary).filter(([, count]) => count > 0)),
    });
  }

  ctx.emitJson({ ...report, ...(filter ? { filter } : {}) });
  if (filter && jobIds.length === 0) ctx.say('No unsent e-mails match; nothing to cancel.');
  // A long list of successes is noise; anything that needs a person always shows.
  const ordinary: CancelOutcome = dryRun ? 'would-cancel' : 'cancelled';
  for (const result of report.results.filter((r) => jobIds.length <= 20 || r.outcome !== ordinary)) {
    ctx.say(`job ${result.jobId}: ${result.message}`);
  }
  const parts = (Object.keys(report.summary) as CancelOutcome[])
    .filter((outcome) => report.summary[outcome] > 0)
    .map((outcome) => `${report.summary[outcome]} ${SUMMARY_WORDS[outcome]}`);
  if (parts.length > 0) ctx.say(`${dryRun ? 'Dry run, nothing changed: ' : ''}${parts.join(', ')}.`);
  return incomplete ? EXIT_INCOMPLETE : EXIT_OK;
}
