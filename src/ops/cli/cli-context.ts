// What every ops CLI command gets: its parsed arguments, the queue and stores (opened on first use),
// and where to write. Commands return an exit code; they never call process.exit. The types the
// commands share live here, so no command imports another's.
import type { PayloadWriter, RedisClient } from '@omikai/graph-mailer-client';
import type { MailboxLimits } from '../../flow/flow-policy';
import type { AuditLog } from '../audit-log';
import type { CancelDeliveries } from '../cancel-email-jobs';
import type { GraphDraftClient } from '../../graph/draft-client';
import type { SecretRewriter } from '../../secrets/reencrypt-settings';
import type { SecretKeyring } from '../../secrets/secret-keyring';
import type { SendRoute } from '../../settings/resolve-sender';
import type { CliQueue } from './sharded-queue';

export interface CliIo {
  /** Results: text for people, or one JSON document with --json. */
  stdout: NodeJS.WritableStream;
  /** Progress bars, warnings, prompts. */
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

export interface OpsCliDeps {
  /**
   * The e-mail queue (every shard of it, as one); created on first use so commands that need no Redis
   * do not connect (ConfigError when REDIS_URL is bad).
   */
  queue(): CliQueue;
  /** The delivery store, opened on first use; rejects with a StoreNotConfiguredError when none is configured. */
  deliveries(): Promise<CancelDeliveries>;
  /** The payload store (same rejection), for removing a cancelled e-mail's content. */
  payloads?: () => Promise<Pick<PayloadWriter, 'remove'> | undefined>;
  /** The settings store's secrets and the configured keys, for `settings reencrypt` (same rejection). */
  settingsSecrets(): Promise<SettingsSecretsAccess>;
  /** Flow control's state (the queue's Redis, connected on first use) and the limits the workers run with. */
  flow(): FlowStatusAccess;
  /** Graph access for `drafts clean`: the settings store, tokens and the draft client (same rejection as deliveries). */
  drafts(): Promise<DraftsAccess>;
  io: CliIo;
  /** Where cancel and retry record who did what (audit lines). */
  audit: AuditLog;
  /** Who runs the CLI, for the audit trail and cancelled records; default user@host. */
  actor?: string;
  now?: () => number;
}

export interface FlowStatusAccess {
  /** FLOW_* of this environment (the workers' own, in their container); undefined when flow control is off. */
  limits: MailboxLimits | undefined;
  redis(): RedisClient;
}

export interface DraftsAccess {
  graph: Pick<GraphDraftClient, 'listTaggedDrafts' | 'deleteMessage'>;
  /** The account's route (its sender, or `mailbox` with the account's app) and an app token for it. */
  routeFor(accountId: string, mailbox?: string): Promise<{ route: Pick<SendRoute, 'sender' | 'credentials'>; accessToken: string }>;
  /** DRAFT_SWEEP_AGE_HOURS in ms. */
  sweepAgeMs: number;
}

export interface SettingsSecretsAccess {
  rewriter: SecretRewriter;
  /** Undefined when SETTINGS_ENCRYPTION_KEYS / SETTINGS_ENCRYPTION_KEY is not set. */
  keyring: SecretKeyring | undefined;
}

export type OptionValue = string | boolean | string[] | undefined;

export interface CommandContext extends Required<Omit<OpsCliDeps, 'payloads'>>, Pick<OpsCliDeps, 'payloads'> {
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
/** What the command needs is not configured (EX_CONFIG, as for the worker). */
export const EXIT_CONFIG = 78;

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
