// `ops drafts clean --account A [--mailbox M]… [--older-than 24h] [--dry-run]`: deletes the drafts the
// worker left behind (tagged, older than DRAFT_SWEEP_AGE_HOURS by default) in the account's mailboxes.
import { toError } from '@omikai/graph-mailer-client';
import { sweepTaggedDrafts, type DraftSweep } from '../../sending/draft-sweeper';
import { parseDurationMs } from '../duration';
import { EXIT_INCOMPLETE, EXIT_OK, UsageError, flagOption, listOption, stringOption, type CommandContext } from './cli-context';

export async function draftsClean(ctx: CommandContext): Promise<number> {
  const accountId = stringOption(ctx, 'account');
  if (!accountId) throw new UsageError('drafts clean needs --account <accountId>.');
  const olderThan = stringOption(ctx, 'older-than');
  const access = await ctx.drafts();
  const ageMs = olderThan === undefined ? access.sweepAgeMs : parseDurationMs(olderThan);
  const before = new Date(ctx.now() - ageMs);
  const dryRun = flagOption(ctx, 'dry-run');
  const mailboxes = listOption(ctx, 'mailbox');
  const sweeps: DraftSweep[] = [];
  for (const mailbox of mailboxes.length > 0 ? mailboxes : [undefined]) {
    try {
      const { route, accessToken } = await access.routeFor(accountId, mailbox);
      sweeps.push(await sweepTaggedDrafts(access.graph, route, accessToken, before, dryRun));
    } catch (err: unknown) {
      sweeps.push({ mailbox: mailbox ?? `(account ${accountId})`, found: 0, deleted: 0, failed: [], error: toError(err).message });
    }
  }
  ctx.emitJson({ accountId, before: before.toISOString(), dryRun, mailboxes: sweeps });
  for (const sweep of sweeps) {
    if (sweep.error) ctx.say(`${sweep.mailbox}: could not clean (${sweep.error})`);
    else if (dryRun)
      ctx.say(`${sweep.mailbox}: ${sweep.found} draft(s) left by the worker before ${before.toISOString()} (dry run: none deleted)`);
    else ctx.say(`${sweep.mailbox}: deleted ${sweep.deleted} of ${sweep.found} draft(s) left by the worker before ${before.toISOString()}`);
    if (sweep.failed.length > 0) ctx.say(`  not deleted: ${sweep.failed.join(', ')}`);
  }
  return sweeps.some((sweep) => sweep.error || sweep.failed.length > 0) ? EXIT_INCOMPLETE : EXIT_OK;
}
