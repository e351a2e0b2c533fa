// The vocabulary every part uses to describe why a send did not (yet) succeed.

/** What kind of problem it was; the ops CLI and dashboard group failures by it. */
export type FailureCategory =
  | 'throttled' // Graph said slow down (429); wait Retry-After
  | 'transient' // a server-side or network problem that usually clears
  | 'unknown-outcome' // the request reached Graph but no answer came back: it may have been sent
  | 'settings' // the ERP's e-mail settings are missing or wrong
  | 'credentials' // Entra refused the app's credentials
  | 'permission' // the app lacks Mail.Send (application) or admin consent
  | 'policy-denied' // Exchange restricts which mailboxes the app may send as
  | 'sender-mailbox' // the sender address is not a usable mailbox
  | 'invalid-recipient'
  | 'invalid-message'
  | 'too-large'
  | 'invalid-payload' // the job itself does not match the job contract
  | 'content-missing' // the e-mail's content is not in the payload store (expired, removed, or another account's)
  | 'content-corrupt' // the stored content does not match the sha256 its job names
  | 'store' // MongoDB refused an operation in a way waiting does not fix (a privilege, a validator, an unsupported server)
  | 'unknown';

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
