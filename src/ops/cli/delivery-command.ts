// `ops delivery find --idempotency-key K | --correlation documentId=… | --job <id>`: the lasting record of an e-mail.
import type { DeliveryQuery, DeliveryRecord } from '@omikai/graph-mailer-client';
import { EXIT_OK, UsageError, listOption, stringOption, type CommandContext } from './cli-context';
import { describeCorrelation } from './failed-commands';
import { escapeControlCharacters as oneLine } from './terminal-text';

/** `--correlation field=value` options as one object; undefined when none is given. */
export function parseCorrelation(pairs: string[]): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  const entries = pairs.map((pair) => {
    const equals = pair.indexOf('=');
    if (equals < 1) throw new UsageError(`--correlation takes field=value, e.g. --correlation documentId=1042 (got "${pair}")`);
    return [pair.slice(0, equals), pair.slice(equals + 1)] as const;
  });
  return Object.fromEntries(entries);
}

function describe(record: DeliveryRecord): string {
  const when = record.sentAt ?? record.failedAt ?? record.cancelledAt ?? record.updatedAt;
  const correlation = record.correlation ? ` ${describeCorrelation(record.correlation)}` : '';
  const error = record.error ? `\n    [${record.error.category}] ${record.error.reason}` : '';
  return (
    `job ${oneLine(record.jobId)}  ${record.status}  ${when.toISOString()}  account ${oneLine(record.accountId)}  sender ${oneLine(record.sender ?? '-')}` +
    `  "${oneLine(record.subject ?? '')}" to ${record.recipientCount}${correlation}` +
    `${record.graphRequestId ? `  Graph request-id ${oneLine(record.graphRequestId)}` : ''}${record.possibleDuplicate ? '  POSSIBLE DUPLICATE' : ''}` +
    `${record.cancelledBy ? `  cancelled by ${oneLine(record.cancelledBy)}` : ''}${error}`
  );
}

export async function deliveryFind(ctx: CommandContext): Promise<number> {
  if (ctx.positionals.length > 0) throw new UsageError(`Unexpected argument ${ctx.positionals[0]}`);
  const limitText = stringOption(ctx, 'limit');
  const limit = limitText === undefined ? 20 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit takes a whole number from 1 to 1000');
  const correlation = parseCorrelation(listOption(ctx, 'correlation'));
  const idempotencyKey = stringOption(ctx, 'idempotency-key');
  const jobId = stringOption(ctx, 'job');
  const accountId = stringOption(ctx, 'account');
  if (!correlation && idempotencyKey === undefined && jobId === undefined) {
    throw new UsageError('Say what to look for: --idempotency-key K, --correlation field=value (repeatable) or --job <jobId>');
  }
  const query: DeliveryQuery = {
    limit,
    ...(correlation ? { correlation } : {}),
    ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    ...(jobId !== undefined ? { jobId } : {}),
    ...(accountId !== undefined ? { accountId } : {}),
  };
  const records = await (await ctx.deliveries()).find(query);
  ctx.emitJson({ query, records });
  if (records.length === 0) ctx.say('No delivery records match (STORE=memory keeps them inside the worker process only).');
  for (const record of records) ctx.say(describe(record));
  return EXIT_OK;
}
