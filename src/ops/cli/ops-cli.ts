// The on-call CLI: finds out why e-mails failed and retries them safely. `runOpsCli` parses the
// arguments, runs one command and returns the exit code; workers/ops-cli.ts is the process around it.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../../service-config';
import { toError } from '@omikai/graph-mailer-client';
import { cliActor } from '../audit-log';
import { DurationFormatError } from '../duration';
import {
  EXIT_CONFIG,
  EXIT_INCOMPLETE,
  EXIT_OK,
  EXIT_USAGE,
  UsageError,
  type CommandContext,
  type OpsCliDeps,
  type OptionValue,
} from './cli-context';
import { cancelCommand } from './cancel-command';
import { deliveryFind } from './delivery-command';
import { draftsClean } from './drafts-command';
import { failedList, failedShow } from './failed-commands';
import { flowStatus } from './flow-command';
import { hashPasswordCommand } from './hash-password-command';
import { queueCommand } from './queue-command';
import { retryCommand } from './retry-command';
import { settingsReencrypt } from './settings-command';
import { escapeControlCharacters, escapeJsonForTerminal } from './terminal-text';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

interface Command {
  words: string[];
  usage: string;
  options: ParseArgsOptionsConfig;
  run(ctx: CommandContext): Promise<number>;
}

const filterOptions: ParseArgsOptionsConfig = { since: { type: 'string' }, category: { type: 'string', multiple: true } };

const COMMANDS: Command[] = [
  { words: ['failed', 'list'], usage: 'failed list [--category C]… [--since 1h]', options: filterOptions, run: failedList },
  { words: ['failed', 'show'], usage: 'failed show <jobId>', options: {}, run: failedShow },
  {
    words: ['retry'],
    usage: 'retry <jobId>… | retry --category C [--category C2] [--since 1h]   [--dry-run] [--force]',
    options: { ...filterOptions, force: { type: 'boolean' }, 'dry-run': { type: 'boolean' } },
    run: retryCommand,
  },
  {
    words: ['cancel'],
    usage: 'cancel <jobId>… | cancel --correlation field=value… [--account A] | cancel --account A   [--dry-run]',
    options: { correlation: { type: 'string', multiple: true }, account: { type: 'string' }, 'dry-run': { type: 'boolean' } },
    run: cancelCommand,
  },
  {
    words: ['delivery', 'find'],
    usage: 'delivery find --idempotency-key K | --correlation field=value… | --job <jobId>   [--account A] [--limit 20]',
    options: {
      'idempotency-key': { type: 'string' },
      correlation: { type: 'string', multiple: true },
      job: { type: 'string' },
      account: { type: 'string' },
      limit: { type: 'string' },
    },
    run: deliveryFind,
  },
  ...['pause', 'resume', 'status'].map((action) => ({
    words: ['queue', action],
    usage: `queue ${action}`,
    options: {},
    run: (ctx: CommandContext) => queueCommand(ctx, action),
  })),
  {
    words: ['flow', 'status'],
    usage: 'flow status [--mailbox M]   (paused mailboxes and tenants, reserved backlog, sends in flight)',
    options: { mailbox: { type: 'string' } },
    run: flowStatus,
  },
  {
    words: ['settings', 'reencrypt'],
    usage: 'settings reencrypt [--dry-run] [--encrypt-plaintext]',
    options: { 'dry-run': { type: 'boolean' }, 'encrypt-plaintext': { type: 'boolean' } },
    run: (ctx: CommandContext) => settingsReencrypt(ctx, ctx.settingsSecrets),
  },
  {
    words: ['drafts', 'clean'],
    usage: 'drafts clean --account A [--mailbox M]… [--older-than 24h] [--dry-run]   (drafts the worker left behind)',
    options: {
      account: { type: 'string' },
      mailbox: { type: 'string', multiple: true },
      'older-than': { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
    run: draftsClean,
  },
  { words: ['hash-password'], usage: 'hash-password   (reads the password from stdin)', options: {}, run: hashPasswordCommand },
];

export const OPS_HELP = [
  'Usage: ops <command> [--json]',
  '',
  ...COMMANDS.map((command) => `  ops ${command.usage}`),
  '',
  'Categories: throttled transient unknown-outcome settings credentials permission policy-denied sender-mailbox',
  '            invalid-recipient invalid-message too-large invalid-payload content-missing content-corrupt unknown',
  'Retrying a permanent failure (or an unknown outcome, which may have been delivered) needs --force.',
  'Cancel stops e-mails that are not sent yet: their delivery records say cancelled and the jobs are removed.',
  'Every command takes --json for scripts. Runbook: docs/runbook.md',
  'Configuration comes from the environment, as for the worker: failed, queue and flow need only REDIS_URL (and EMAIL_QUEUE_NAME, FLOW_*);',
  'retry, cancel, delivery find, settings reencrypt and drafts clean also need MONGODB_URI; help and hash-password need nothing.',
].join('\n');

function findCommand(argv: readonly string[]): Command | undefined {
  return COMMANDS.find((command) => command.words.every((word, index) => argv[index] === word));
}

/** Every line for people passes here: job data may hold terminal escape sequences, which are shown, not run. */
function write(stream: NodeJS.WritableStream, text: string): void {
  const safe = escapeControlCharacters(text, { keepNewlines: true });
  stream.write(safe.endsWith('\n') ? safe : `${safe}\n`);
}

function writeJson(stream: NodeJS.WritableStream, value: unknown): void {
  stream.write(`${escapeJsonForTerminal(JSON.stringify(value, null, 2))}\n`);
}

/** Runs one command. Never throws for a user's mistake: prints it and returns 2 (usage), 78 (configuration) or 1. */
export async function runOpsCli(argv: readonly string[], deps: OpsCliDeps): Promise<number> {
  const json = argv.includes('--json');
  const { io } = deps;
  if (argv.length === 0 || argv[0] === 'help' || argv.includes('--help') || argv.includes('-h')) {
    write(io.stdout, OPS_HELP);
    return EXIT_OK;
  }
  const command = findCommand(argv);
  if (!command) {
    write(io.stderr, `Unknown command: ${argv.join(' ')}\n\n${OPS_HELP}`);
    return EXIT_USAGE;
  }
  try {
    const { values, positionals } = parseArgs({
      args: argv.slice(command.words.length),
      options: { ...command.options, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    const ctx: CommandContext = {
      ...deps,
      now: deps.now ?? Date.now,
      actor: deps.actor ?? cliActor(),
      values: values as Record<string, OptionValue>,
      positionals,
      json,
      say: (text) => (json ? undefined : write(io.stdout, text)),
      emitJson: (value) => (json ? writeJson(io.stdout, value) : undefined),
    };
    return await command.run(ctx);
  } catch (err: unknown) {
    const error = toError(err);
    if (error instanceof ConfigError) {
      if (json) writeJson(io.stdout, { error: { name: error.name, message: error.message, problems: error.problems } });
      write(io.stderr, `ops ${command.words.join(' ')} needs configuration it does not have.\n${error.message}`);
      return EXIT_CONFIG;
    }
    // parseArgs marks its errors with a code (read from `err`: toError may have wrapped it).
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    const usage = error instanceof UsageError || error instanceof DurationFormatError || code.startsWith('ERR_PARSE_ARGS');
    const name = usage ? 'UsageError' : error.name;
    if (json) writeJson(io.stdout, { error: { name, message: error.message } });
    write(io.stderr, usage ? `${error.message}\nUsage: ops ${command.usage}` : `ops ${command.words.join(' ')} failed: ${error.message}`);
    return usage ? EXIT_USAGE : EXIT_INCOMPLETE;
  }
}
