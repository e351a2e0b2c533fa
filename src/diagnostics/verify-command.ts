// `npm run verify`: its arguments and the checklist as people read it (--json prints the report as is).
import { parseArgs } from 'node:util';
import { toError } from '@omikai/graph-mailer-client';
import type { ConnectionReport, ConnectionTestInput } from './connection-test';
import type { StepStatus } from './connection-steps';

export const VERIFY_USAGE = 'Usage: npm run verify -- --account <id> [--user <id>] [--send-test <address>] [--json]';

export const VERIFY_HELP = [
  VERIFY_USAGE,
  '',
  'Checks one account (and optionally one user) the way the worker would send for it: settings, secret stored',
  'encrypted, expiry, token, Mail.Send role and, with --send-test, a real test message. Each failed step names its fix.',
  '  --account <id>        the _id of the account document in the ERP (required)',
  "  --user <id>           also check this user's own Sender e-mail",
  '  --send-test <address> send a test message from the resolved sender to this address',
  '  --json                print the report as JSON',
  "It reads the worker's configuration (MONGODB_URI, SETTINGS_ENCRYPTION_KEYS, MS_GRAPH_CLOUD, …). Exit code 0 = every step passed.",
].join('\n');

/** No arguments, --help or -h: print VERIFY_HELP, without reading any configuration. */
export function wantsVerifyHelp(argv: readonly string[]): boolean {
  return argv.length === 0 || argv.includes('--help') || argv.includes('-h');
}

export interface VerifyArgs extends ConnectionTestInput {
  json: boolean;
}

export class VerifyUsageError extends Error {
  override name = 'VerifyUsageError';
}

export function parseVerifyArgs(argv: string[]): VerifyArgs {
  let values: { account?: string; user?: string; 'send-test'?: string; json?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        account: { type: 'string' },
        user: { type: 'string' },
        'send-test': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err: unknown) {
    throw new VerifyUsageError(`${toError(err).message}\n${VERIFY_USAGE}`, { cause: err });
  }
  if (!values.account) throw new VerifyUsageError(`--account <id> is required.\n${VERIFY_USAGE}`);
  return {
    accountId: values.account,
    ...(values.user ? { userId: values.user } : {}),
    ...(values['send-test'] ? { sendTestTo: values['send-test'] } : {}),
    json: values.json ?? false,
  };
}

const MARKS: Record<StepStatus, string> = { ok: '[ ok ]', warning: '[warn]', failed: '[FAIL]', skipped: '[skip]' };
const INDENT = '       ';

const LONG_LINE = 140;

/** Long reasons and fixes go one sentence per line. */
function indented(text: string): string {
  const lines = text.length <= LONG_LINE ? [text] : text.split(/(?<=\.) (?=[A-Z])|(?<=;) /);
  return lines.join(`\n${INDENT}  `);
}

/** The checklist as text: one block per step, the fix under each problem, a summary line last. */
export function formatConnectionReport(report: ConnectionReport): string {
  const who = report.userId === undefined ? `account ${report.accountId}` : `account ${report.accountId}, user ${report.userId}`;
  const lines = [`Microsoft Graph connection test for ${who}${report.sender ? ` (sender ${report.sender})` : ''}`, ''];
  for (const step of report.steps) {
    lines.push(`${MARKS[step.status]} ${step.title}`);
    lines.push(`${INDENT}${indented(step.reason)}`);
    if (step.fix && step.status !== 'ok') lines.push(`${INDENT}Fix: ${indented(step.fix)}`);
    // One command per line as it came, so each can be copied whole.
    if (step.procedure && step.status !== 'ok')
      lines.push(`${INDENT}Steps:`, ...step.procedure.split('\n').map((line) => `${INDENT}  ${line}`));
    if (step.graphRequestId) lines.push(`${INDENT}Graph request-id: ${step.graphRequestId}`);
  }
  const count = (status: StepStatus) => report.steps.filter((s) => s.status === status).length;
  const failed = count('failed');
  const warnings = count('warning');
  const tally = [failed ? `${failed} failed` : '', warnings ? `${warnings} warning${warnings > 1 ? 's' : ''}` : '']
    .filter(Boolean)
    .join(', ');
  lines.push('', `Result: ${report.ok ? 'OK' : 'FAILED'}${tally ? ` (${tally})` : ''}`, '');
  return lines.join('\n');
}
