// The vocabulary every part uses to describe why a send did not (yet) succeed: the categories, the
// Failure record, the failedReason text BullMQ keeps for a failed job (written and read back here),
// and toError, which normalises anything thrown.

/** What kind of problem it was; the ops CLI, the dashboard and /metrics group failures by it. */
export const FAILURE_CATEGORIES = [
  'throttled', // Graph said slow down (429); wait Retry-After
  'transient', // a server-side or network problem that usually clears
  'unknown-outcome', // the request reached Graph but no answer came back: it may have been sent
  'settings', // the ERP's e-mail settings are missing or wrong
  'credentials', // Entra refused the app's credentials
  'permission', // the app lacks Mail.Send (application) or admin consent
  'policy-denied', // Exchange restricts which mailboxes the app may send as
  'sender-mailbox', // the sender address is not a usable mailbox
  'invalid-recipient',
  'invalid-message',
  'too-large',
  'invalid-payload', // the job itself does not match the job contract
  'content-missing', // the e-mail's content is not in the payload store (expired, removed, or another account's)
  'content-corrupt', // the stored content does not match the sha256 its job names
  'store', // MongoDB refused an operation in a way waiting does not fix (a privilege, a validator, an unsupported server)
  'unknown',
] as const;

export type FailureCategory = (typeof FAILURE_CATEGORIES)[number];

export function isFailureCategory(value: string): value is FailureCategory {
  return (FAILURE_CATEGORIES as readonly string[]).includes(value);
}

export const RETRYABLE_CATEGORIES: ReadonlySet<FailureCategory> = new Set(['throttled', 'transient', 'unknown-outcome']);

export interface Failure {
  category: FailureCategory;
  /**
   * For people, in a few sentences: what happened and the fix in one line. It becomes the job's
   * failedReason (at most 400 characters with the category, runbook link and request-id), so it
   * quotes outside text (Graph's message, a setting's value) shortened.
   */
  reason: string;
  /**
   * The whole fix, one step or command per line, with the mailbox, app and account filled in (IT's
   * PowerShell, the portal path). Kept in the delivery record and shown by verify and `ops failed
   * show`, never in the job: the reason points to the runbook section instead.
   */
  procedure?: string;
  /** Graph's error.code, the AADSTS code, or a network error code. */
  code?: string;
  httpStatus?: number;
  graphRequestId?: string;
  /** How long the server asked us to wait (Retry-After), when it did. */
  retryAfterMs?: number;
  /** Graph's own error message, as it came (e.g. "Application is over its MailboxConcurrency limit."). */
  detail?: string;
}

/** The one error type the send path throws; `failure` says what went wrong in data. */
export class DeliveryError extends Error {
  override name = 'DeliveryError';

  constructor(
    readonly failure: Failure,
    options?: { cause?: unknown },
  ) {
    super(failure.reason, options);
  }
}

/**
 * `text` on one line and at most `maxChars` characters long, cut after a whole word (unless that
 * loses more than a fifth) and ending in "…" when cut: for outside text quoted in a reason.
 */
export function clipText(text: string, maxChars: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= maxChars) return flat;
  const cut = flat.slice(0, Math.max(0, maxChars - 1));
  const space = cut.lastIndexOf(' ');
  return `${(space >= cut.length * 0.8 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** Normalises anything thrown into an Error, once. */
export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Bull Board shows the failedReason as one block, and every attempt's message repeats it. */
export const MAX_FAILED_REASON_CHARS = 400;

/**
 * The runbook section of each category whose fix takes more than one line; its procedure, filled
 * in for the job, is in the delivery record. test/ops/failed-reason-budget.test.ts checks each exists.
 */
export const RUNBOOK_SECTIONS: Partial<Record<FailureCategory, string>> = {
  'policy-denied': 'docs/runbook.md#policy-denied',
  permission: 'docs/runbook.md#permission',
  credentials: 'docs/runbook.md#credentials',
  settings: 'docs/runbook.md#settings',
  'content-missing': 'docs/runbook.md#content',
  'content-corrupt': 'docs/runbook.md#content',
};

export interface ParsedFailedReason {
  category: FailureCategory;
  /** The sentences for people, without the category, the runbook link and the request-id. */
  reason: string;
  /** Where the whole fix is written down, e.g. docs/runbook.md#policy-denied. */
  runbook?: string;
  graphRequestId?: string;
}

/*
 * The failedReason text, as docs/runbook.md documents it and on-call reads it:
 *   "[category] reason Runbook: docs/runbook.md#section (Graph request-id …)", at most 400 characters;
 * the runbook link and the request-id are there only when known.
 */
const RUNBOOK_LABEL = ' Runbook: ';
const DESCRIBED = /^\[([a-z-]+)\] ([\s\S]*?)(?: Runbook: (docs\/runbook\.md#[a-z0-9-]+))?(?: \(Graph request-id ([^)\s]+)\))?$/;

/**
 * The job's failedReason: category, reason, runbook link and request-id. A reason too long for
 * MAX_FAILED_REASON_CHARS is cut (ending in "…"); the category, link and request-id always stay.
 */
export function describeFailure(failure: Pick<Failure, 'category' | 'reason' | 'graphRequestId'>): string {
  const head = `[${failure.category}] `;
  const runbook = RUNBOOK_SECTIONS[failure.category];
  const tail = `${runbook ? `${RUNBOOK_LABEL}${runbook}` : ''}${failure.graphRequestId ? ` (Graph request-id ${failure.graphRequestId})` : ''}`;
  const room = MAX_FAILED_REASON_CHARS - head.length - tail.length;
  const reason = failure.reason.length <= room ? failure.reason : clipText(failure.reason, room);
  return `${head}${reason}${tail}`;
}

/**
 * Reads back what describeFailure wrote (also the longer reasons of earlier versions, which had no
 * runbook link). Anything else (a stalled job, a crash outside the send path) is category
 * 'unknown' with the text kept as it is.
 */
export function parseFailedReason(failedReason: string | undefined): ParsedFailedReason {
  const text = (failedReason ?? '').trim();
  const match = DESCRIBED.exec(text);
  if (!match || !isFailureCategory(match[1] ?? '')) return { category: 'unknown', reason: text || '(no reason recorded)' };
  return {
    category: match[1] as FailureCategory,
    reason: match[2] ?? '',
    ...(match[3] ? { runbook: match[3] } : {}),
    ...(match[4] ? { graphRequestId: match[4] } : {}),
  };
}
