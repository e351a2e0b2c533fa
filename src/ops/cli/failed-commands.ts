// `ops failed list` (failed e-mails grouped by category) and `ops failed show <jobId>` (one job in full).
import { StoreNotConfiguredError } from '../../../config/load-config';
import { type DeliveryRecord, RUNBOOK_SECTIONS, isFailureCategory, parseFailedReason, toError } from '@omikai/graph-mailer-client';
import { formatAgo, parseDurationMs } from '../duration';
import { summarizeEmailJob, type EmailJobSummary } from '../job-summary';
import { adviseRetry, isPermanent } from '../retry-advice';
import { EXIT_INCOMPLETE, EXIT_OK, UsageError, isoTime, listOption, stringOption, type CommandContext } from './cli-context';
import { attemptMessages, groupFailedJobs, scanFailedJobs, type FailedJobFilter } from './failed-jobs';
import { escapeControlCharacters as oneLine } from './terminal-text';

const MAX_LISTED_IDS = 10;

/** --since and --category, shared by `failed list` and `retry --category`. */
export function readFailedJobFilter(ctx: CommandContext): FailedJobFilter & { since?: string } {
  const since = stringOption(ctx, 'since');
  const categories = listOption(ctx, 'category');
  const unknown = categories.filter((category) => !isFailureCategory(category));
  if (unknown.length > 0)
    throw new UsageError(`Unknown category ${unknown.join(', ')}; see \`ops failed list\` for the categories in the queue.`);
  return {
    ...(since !== undefined ? { since, failedSinceMs: ctx.now() - parseDurationMs(since) } : {}),
    ...(categories.length > 0 ? { categories: new Set(categories.filter(isFailureCategory)) } : {}),
  };
}

export async function failedList(ctx: CommandContext): Promise<number> {
  const filter = readFailedJobFilter(ctx);
  const queue = ctx.queue();
  const jobs = await scanFailedJobs(queue, filter);
  const groups = groupFailedJobs(jobs);
  const window = filter.since ? ` in the last ${filter.since}` : '';
  ctx.emitJson({
    queue: queue.name,
    ...(filter.since ? { since: filter.since } : {}),
    total: jobs.length,
    groups: groups.map(({ newestFailedAtMs, ...group }) => ({ ...group, newestFailedAt: isoTime(newestFailedAtMs) })),
  });
  ctx.say(`${jobs.length} failed e-mail${jobs.length === 1 ? '' : 's'} in queue ${queue.name}${window}.`);
  for (const group of groups) {
    const newest = group.newestFailedAtMs === undefined ? '' : `, newest ${formatAgo(group.newestFailedAtMs, ctx.now())}`;
    const retry = group.retry === 'yes' ? 'retry: yes' : 'retry needs --force';
    ctx.say(`\n${group.category}  ${group.count}  (${retry}${newest})`);
    const runbook = RUNBOOK_SECTIONS[group.category];
    if (runbook) ctx.say(`  Steps: ${runbook}`);
    for (const { reason, count, jobIds } of group.reasons) {
      const more = jobIds.length > MAX_LISTED_IDS ? ` … and ${jobIds.length - MAX_LISTED_IDS} more` : '';
      // Long reasons (IT instructions) continue on further lines; the first line names the problem.
      ctx.say(`  ${count}× ${reason.split('\n')[0]}\n     jobs ${jobIds.slice(0, MAX_LISTED_IDS).join(' ')}${more}`);
    }
  }
  if (groups.length > 0) ctx.say('\nNext: ops failed show <jobId> · ops retry --category <category> --dry-run');
  return EXIT_OK;
}

function formatBytes(bytes: number): string {
  return bytes >= 1_000_000 ? `${(bytes / 1_000_000).toFixed(1)} MB` : bytes >= 1000 ? `${Math.round(bytes / 1000)} kB` : `${bytes} B`;
}

/** Values from the job data each stay on one line: a newline in a subject must not forge a line of ours. */
function describeEmail(email: EmailJobSummary): string {
  const parts = [
    email.subject !== undefined ? `subject "${oneLine(email.subject)}"` : 'no subject',
    `${email.recipientCount} recipient${email.recipientCount === 1 ? '' : 's'}`,
    `${email.attachmentCount} attachment${email.attachmentCount === 1 ? '' : 's'}${
      email.attachments
        ? ` (${email.attachments.map((a) => `${oneLine(a.name)} ${a.contentType} ${formatBytes(a.bytes)}`).join(', ')})`
        : ''
    }`,
    `account ${oneLine(email.accountId ?? '-')}`,
    ...(email.userId ? [`user ${oneLine(email.userId)}`] : []),
    ...(email.correlation ? [`correlation ${describeCorrelation(email.correlation)}`] : []),
    ...(email.idempotencyKey ? [`idempotency key ${oneLine(email.idempotencyKey)}`] : []),
  ];
  return parts.join(', ');
}

export function describeCorrelation(correlation: Record<string, string>): string {
  return Object.entries(correlation)
    .map(([k, v]) => `${oneLine(k)}=${oneLine(v)}`)
    .join(' ');
}

/** The job's delivery record; the job is worth showing without it (no store configured, or the store is down). */
async function readRecord(ctx: CommandContext, jobId: string): Promise<{ record?: DeliveryRecord; notRead?: string }> {
  try {
    const [record] = await (await ctx.deliveries()).find({ jobId, limit: 1 });
    return record ? { record } : {};
  } catch (err: unknown) {
    if (err instanceof StoreNotConfiguredError) return { notRead: 'no delivery store is configured; set MONGODB_URI to read it' };
    return { notRead: toError(err).message };
  }
}

function describeRecord(record: DeliveryRecord | undefined, notRead: string | undefined): string {
  if (notRead !== undefined) return `not read (${notRead})`;
  if (!record) return 'none found (STORE=memory keeps records inside the worker process only)';
  return [
    `status ${record.status}`,
    `${record.attempts} attempt${record.attempts === 1 ? '' : 's'}`,
    `sender ${oneLine(record.sender ?? '-')}${record.senderSource ? ` (${record.senderSource})` : ''}`,
    ...(record.senderFallbackReason ? [`fallback because ${oneLine(record.senderFallbackReason)}`] : []),
    ...(record.graphRequestId ? [`Graph request-id ${oneLine(record.graphRequestId)}`] : []),
    ...(record.clientRequestId ? [`client-request-id ${oneLine(record.clientRequestId)}`] : []),
    ...(record.error
      ? [`last error [${record.error.category}] ${oneLine(record.error.code ?? '')} HTTP ${record.error.httpStatus ?? '-'}`]
      : []),
    ...(record.possibleDuplicate ? ['POSSIBLE DUPLICATE: an attempt may have been delivered'] : []),
    ...(record.cancelledBy ? [`cancelled by ${oneLine(record.cancelledBy)} at ${record.cancelledAt?.toISOString() ?? '?'}`] : []),
  ].join(', ');
}

export async function failedShow(ctx: CommandContext): Promise<number> {
  const [jobId, ...extra] = ctx.positionals;
  if (!jobId || extra.length > 0) throw new UsageError('Give exactly one job id: ops failed show <jobId>');
  const job = await ctx.queue().getJob(jobId);
  if (!job) {
    ctx.emitJson({ error: { name: 'JobNotFound', message: `No job ${jobId} in queue ${ctx.queue().name}` } });
    ctx.say(`No job ${jobId} in queue ${ctx.queue().name} (removed, or never queued there).`);
    return EXIT_INCOMPLETE;
  }
  const state = await job.getState();
  const failure = parseFailedReason(job.failedReason);
  const attempts = attemptMessages(job.stacktrace);
  const { record, notRead } = await readRecord(ctx, jobId);
  const advice = adviseRetry(failure.category, false);
  const email = summarizeEmailJob(job.data);
  ctx.emitJson({
    job: {
      id: jobId,
      name: job.name,
      state,
      email,
      attemptsMade: job.attemptsMade,
      maxAttempts: job.opts.attempts ?? 1,
      queuedAt: isoTime(job.timestamp),
      lastAttemptAt: isoTime(job.processedOn),
      failedAt: state === 'failed' ? isoTime(job.finishedOn) : undefined,
      failure: job.failedReason ? { ...failure, permanent: isPermanent(failure.category) } : undefined,
      attempts,
    },
    delivery: record ?? null,
    ...(notRead !== undefined ? { deliveryNotRead: notRead } : {}),
    retry:
      state !== 'failed'
        ? { possible: false, why: `the job is ${state}` }
        : advice.retry
          ? { possible: true }
          : { possible: true, needsForce: true, why: advice.why },
  });
  const failedAt = job.finishedOn && state === 'failed' ? `, failed ${formatAgo(job.finishedOn, ctx.now())}` : '';
  ctx.say(
    `Job ${oneLine(jobId)} (${oneLine(job.name)}): ${state}${failedAt}, ${job.attemptsMade} of ${job.opts.attempts ?? 1} attempts made`,
  );
  ctx.say(`  E-mail:    ${describeEmail(email)}`);
  if (job.failedReason) {
    ctx.say(`  Category:  ${failure.category}${isPermanent(failure.category) ? ' (permanent: not retried automatically)' : ''}`);
    ctx.say(`  Reason:    ${failure.reason.split('\n').join('\n             ')}`);
    if (failure.graphRequestId) ctx.say(`  Graph request-id: ${oneLine(failure.graphRequestId)}`);
  }
  // The whole fix is in the record, filled in for this job; without the record, the runbook has it with placeholders.
  const procedure = job.failedReason ? record?.error?.procedure : undefined;
  if (procedure)
    ctx.say(
      `  Steps${failure.runbook ? ` (${failure.runbook})` : ''}:\n${procedure
        .split('\n')
        .map((line) => `    ${line}`)
        .join('\n')}`,
    );
  else if (failure.runbook) ctx.say(`  Steps:     ${failure.runbook}`);
  if (attempts.length > 0) ctx.say(`  Attempt errors (newest first):\n${attempts.map((line, i) => `    ${i + 1}. ${line}`).join('\n')}`);
  ctx.say(`  Delivery record: ${describeRecord(record, notRead)}`);
  if (state === 'failed') ctx.say(advice.retry ? `  Retry:     ops retry ${jobId}` : `  Retry:     needs --force. ${advice.why}`);
  return EXIT_OK;
}
