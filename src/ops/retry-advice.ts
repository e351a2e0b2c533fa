// Whether retrying a failed e-mail can help, by failure category: the rule behind the CLI's --force.
import { RETRYABLE_CATEGORIES, type FailureCategory } from '@omikai/graph-mailer-client';

/** Why a retry of this category will probably fail again (or may duplicate), and what to fix first. */
const NEEDS_FORCE_BECAUSE: Partial<Record<FailureCategory, string>> = {
  'unknown-outcome':
    'Graph may already have delivered this e-mail (no answer came back); a retry can send a second copy. ' +
    "Check the sender's Sent Items or ask the recipient first.",
  settings:
    "The ERP's e-mail settings were missing or wrong; fix them (Settings > Account > Microsoft Graph) first, or it fails the same way.",
  credentials: "Entra refused the app's credentials; put a valid client secret into the ERP's settings first, or it fails the same way.",
  permission: 'The app lacks the Mail.Send application permission or admin consent; grant it in Entra first, or it fails the same way.',
  'policy-denied':
    'An Exchange application access policy blocks this sender; until IT allows the mailbox for the app, it fails the same way.',
  'sender-mailbox': 'The sender address is not a usable mailbox; fix the Sender e-mail setting (or the mailbox) first.',
  'invalid-recipient':
    'Graph rejected a recipient address; the retry sends to the same addresses. Correct them in the ERP and send a new e-mail instead.',
  'invalid-message': 'Graph rejected the message itself; the same message is rejected again.',
  'too-large': "The message is over Graph's 4 MB request limit; the same job is still too large.",
  'invalid-payload': 'The job does not match the job contract; the same data fails the same way. Fix the producer.',
  'content-missing':
    "The e-mail's content is no longer in the payload store; a retry finds it missing again. Enqueue the e-mail again from the ERP.",
  'content-corrupt': 'The stored content does not match its checksum; a retry reads the same bytes. Enqueue the e-mail again from the ERP.',
  store:
    'MongoDB refused the operation (a privilege, a validator, a quota, an unsupported server); fix that on the MongoDB side first ' +
    '(the reason names the fix), or it fails the same way.',
  unknown: 'The failure was not classified; read the reason (ops failed show <jobId>) before retrying.',
};

export type RetryAdvice = { retry: true } | { retry: false; needsForce: true; why: string };

/** Pure: a retryable category may be retried; the others, and unknown-outcome, only with --force. */
export function adviseRetry(category: FailureCategory, force: boolean): RetryAdvice {
  const why = NEEDS_FORCE_BECAUSE[category];
  if (force || why === undefined) return { retry: true };
  return { retry: false, needsForce: true, why };
}

/** For listings: "yes" when a retry may simply work, "--force" when it needs a person's decision first. */
export function retryHint(category: FailureCategory): 'yes' | '--force' {
  return NEEDS_FORCE_BECAUSE[category] === undefined ? 'yes' : '--force';
}

/** Permanent = not retried automatically by the worker. */
export function isPermanent(category: FailureCategory): boolean {
  return !RETRYABLE_CATEGORIES.has(category);
}
