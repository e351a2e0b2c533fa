// `ops flow status [--mailbox M]`: what flow control holds back when mail is "slow" — paused apps (per
// tenant) and mailboxes and until when, each mailbox's reserved backlog and its sends in flight.
import type { MailboxLimits } from '../../flow/flow-policy';
import { readFlowState, type MailboxFlowState } from '../../flow/flow-status';
import { flowKeyPrefix } from '../../flow/flow-keys';
import { EXIT_OK, UsageError, isoTime, stringOption, type CommandContext } from './cli-context';
import { escapeControlCharacters as oneLine } from './terminal-text';

/** "in 45 s", "in 2 min", "in 3 h". */
function formatIn(thenMs: number, nowMs: number): string {
  const seconds = Math.max(0, Math.round((thenMs - nowMs) / 1000));
  if (seconds < 120) return `in ${seconds} s`;
  if (seconds < 7200) return `in ${Math.round(seconds / 60)} min`;
  return `in ${Math.round(seconds / 3600)} h`;
}

function describeLimits(limits: MailboxLimits): string {
  const recipients = limits.recipientsPerDay > 0 ? `, ${limits.recipientsPerDay} recipients a day` : '';
  return `${limits.messagesPerWindow} sends per ${limits.windowMs / 1000} s and ${limits.concurrentSends} at once per mailbox${recipients}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => `  ${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')}`.trimEnd()).join('\n');
}

function mailboxRow(state: MailboxFlowState, limits: MailboxLimits, now: number): string[] {
  const { pausedUntilMs: paused, lastReservedSlotAtMs: last } = state;
  return [
    oneLine(state.mailbox),
    oneLine(state.tenantId),
    paused === undefined ? '-' : `until ${isoTime(paused)} (${formatIn(paused, now)})`,
    last === undefined ? String(state.reservedBacklog) : `${state.reservedBacklog} (to ${isoTime(last)}, ${formatIn(last, now)})`,
    `${state.inFlight}/${limits.concurrentSends}`,
    `${state.sentInWindow}/${limits.messagesPerWindow}`,
  ];
}

export async function flowStatus(ctx: CommandContext): Promise<number> {
  if (ctx.positionals.length > 0) throw new UsageError(`Unexpected argument ${ctx.positionals[0]}`);
  const mailbox = stringOption(ctx, 'mailbox');
  const queue = ctx.queue();
  const { limits, redis } = ctx.flow();
  if (!limits) {
    ctx.emitJson({ queue: queue.name, limits: null, tenants: [], mailboxes: [] });
    ctx.say('Flow control is off (FLOW_ENABLED=false): no mailbox is held back; a 429 is an ordinary retry after Retry-After.');
    return EXIT_OK;
  }
  const now = ctx.now();
  const state = await readFlowState(redis(), flowKeyPrefix(queue.name), limits, now, mailbox !== undefined ? { mailbox } : {});

  ctx.emitJson({
    queue: queue.name,
    at: isoTime(now),
    limits,
    tenants: state.apps.map(({ pausedUntilMs, ...app }) => ({ ...app, pausedUntil: isoTime(pausedUntilMs) ?? null })),
    mailboxes: state.mailboxes.map((m) => ({
      tenantId: m.tenantId,
      mailbox: m.mailbox,
      pausedUntil: isoTime(m.pausedUntilMs) ?? null,
      reservedBacklog: m.reservedBacklog,
      lastReservedSlotAt: isoTime(m.lastReservedSlotAtMs) ?? null,
      inFlight: m.inFlight,
      sentInWindow: m.sentInWindow,
    })),
  });

  ctx.say(`Flow control of queue ${queue.name}: ${describeLimits(limits)}. At ${isoTime(now)}:`);
  for (const app of state.apps) {
    const who = `Tenant ${oneLine(app.tenantId)}, app ${oneLine(app.clientId)}`;
    const throttled =
      app.throttledMailboxes.length > 0
        ? ` Throttled in the last minute: ${app.throttledMailboxes.map((m) => oneLine(m)).join(', ')}.`
        : '';
    const paused = app.pausedUntilMs;
    ctx.say(
      paused === undefined
        ? `${who}: not paused.${throttled}`
        : `${who}: paused until ${isoTime(paused)} (${formatIn(paused, now)}); every mailbox it sends for in this tenant waits.${throttled}`,
    );
  }
  if (state.mailboxes.length === 0) {
    ctx.say(
      mailbox === undefined
        ? 'No mailbox has sent in the last minutes: nothing is held back.'
        : `Nothing is known about ${oneLine(mailbox)}.`,
    );
    return EXIT_OK;
  }
  ctx.say(
    `\n${table([
      ['mailbox', 'tenant', 'paused', 'reserved backlog (last slot)', 'in flight', `sent in ${limits.windowMs / 1000} s`],
      ...state.mailboxes.map((m) => mailboxRow(m, limits, now)),
    ])}`,
  );
  ctx.say('\nA backlog waits in the delayed set for its slots; a pause moves every later slot. Runbook: docs/runbook.md#mail-is-slow');
  return EXIT_OK;
}
