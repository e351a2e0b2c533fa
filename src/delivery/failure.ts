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
  | 'store' // MongoDB refused an operation in a way waiting does not fix (a privilege, a validator, an unsupported server)
  | 'unknown';

export const RETRYABLE_CATEGORIES: ReadonlySet<FailureCategory> = new Set(['throttled', 'transient', 'unknown-outcome']);

export interface Failure {
  category: FailureCategory;
  /** For people: what happened, why, and what to do. */
  reason: string;
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

/** Normalises anything thrown into an Error, once. */
export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
