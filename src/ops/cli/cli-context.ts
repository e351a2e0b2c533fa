// What every ops CLI command gets: its parsed arguments, the queue and stores (opened on first use),
// and where to write. Commands return an exit code; they never call process.exit.
import type { Queue } from 'bullmq';
import type { AuditLog } from '../audit-log';
import type { CancelDeliveries } from '../cancel-email-jobs';
import type { SettingsSecretsAccess } from './settings-command';

export interface CliIo {
  /** Results: text for people, or one JSON document with --json. */
  stdout: NodeJS.WritableStream;
  /** Progress bars, warnings, prompts. */
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

export interface OpsCliDeps {
  /** The e-mail queue; created on first use so commands that need no Redis do not connect. */
  queue(): Queue;
  /** The delivery store, opened on first use. */
  deliveries(): Promise<CancelDeliveries>;
  /** The settings store's secrets and the configured keys, for `settings reencrypt`. */
  settingsSecrets(): Promise<SettingsSecretsAccess>;
  io: CliIo;
  /** Where cancel and retry record who did what (audit lines). */
  audit: AuditLog;
  /** Who runs the CLI, for the audit trail and cancelled records; default user@host. */
  actor?: string;
  now?: () => number;
}

export type OptionValue = string | boolean | string[] | undefined;

export interface CommandContext extends Required<OpsCliDeps> {
  values: Record<string, OptionValue>;
  positionals: string[];
  json: boolean;
  /** Writes a line (or lines) for people; nothing in --json mode. */
  say(text: string): void;
  /** Writes the one JSON document of --json mode; nothing otherwise. */
  emitJson(value: unknown): void;
}

/** A mistake in how the command was typed; printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT_OK = 0;
/** The command ran but could not do all it was asked (refused, not found, failed). */
export const EXIT_INCOMPLETE = 1;
export const EXIT_USAGE = 2;

export function stringOption(ctx: Pick<CommandContext, 'values'>, name: string): string | undefined {
  const value = ctx.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function listOption(ctx: Pick<CommandContext, 'values'>, name: string): string[] {
  const value = ctx.values[name];
  if (Array.isArray(value))
    return value
      .flatMap((entry) => entry.split(','))
      .map((entry) => entry.trim())
      .filter(Boolean);
  return typeof value === 'string' ? [value] : [];
}

export function flagOption(ctx: Pick<CommandContext, 'values'>, name: string): boolean {
  return ctx.values[name] === true;
}

export function isoTime(ms: number | undefined): string | undefined {
  return ms === undefined || !Number.isFinite(ms) ? undefined : new Date(ms).toISOString();
}
