// What a failed call of the draft flow means, for people: the draft-specific cases (Mail.ReadWrite
// missing, the draft deleted in the mailbox, an expired upload session, a message over the mailbox's
// size limit) first, everything else as sendMail's classifier reads it.
import type { Failure } from '@omikai/graph-mailer-client';
import type { SendRoute } from '../settings/resolve-sender';
import { APP_REGISTRATION } from './admin-procedures';
import { classifySendResult } from './classify-send-result';
import type { GraphSendResult } from './graph-mail-client';

/** Where in the draft flow a call failed. */
export type DraftStep = 'create' | 'lookup' | 'attach' | 'upload-session' | 'upload' | 'send' | 'delete';

const ITEM_GONE = new Set(['ErrorItemNotFound', 'ResourceNotFound', 'ErrorInvalidIdMalformed']);
const SIZE_CODES = new Set(['ErrorMessageSizeExceeded', 'MessageSizeExceeded', 'ErrorAttachmentSizeLimitExceeded']);

/** Granting Mail.ReadWrite (application) and keeping it to the sending mailboxes. */
export function mailReadWriteProcedure(clientId: string, sender: string): string {
  return [
    `1. ${APP_REGISTRATION} (Application (client) ID ${clientId}) > API permissions > Add a permission > Microsoft Graph >`,
    '   Application permissions > Mail.ReadWrite > Add permissions; then "Grant admin consent for <organization>".',
    '2. Keep it to the sending mailboxes: the application access policy that scopes Mail.Send scopes Mail.ReadWrite too',
    `   (Test-ApplicationAccessPolicy -Identity ${sender} -AppId ${clientId}); with RBAC for Applications, also assign`,
    `   New-ManagementRoleAssignment -App ${clientId} -Role "Application Mail.ReadWrite" -CustomResourceScope "<the senders' scope>"`,
    '   and remove the tenant-wide Mail.ReadWrite consent so the scope is what grants it.',
    '3. Or set the account back to direct sending (microsoftGraph.sendMode = direct): e-mails then stay under 4 MB.',
    '4. Check: npm run verify -- --account <id>, then ops retry --category permission --force.',
  ].join('\n');
}

export function tooLargeForMailboxReason(sender: string, limitBytes?: number, messageBytes?: number): string {
  const sizes =
    limitBytes !== undefined && messageBytes !== undefined
      ? ` (${(messageBytes / 1048576).toFixed(1)} MB encoded; the account's limit is ${(limitBytes / 1048576).toFixed(0)} MB)`
      : '';
  return (
    `The e-mail is larger than ${sender}'s mailbox may send${sizes}; base64 adds a third to attachments. ` +
    "Fix: IT raises it (Set-Mailbox -MaxSendSize, or the mailbox plan, up to 150 MB) and the account's microsoftGraph.maxSendSizeMb, or send links."
  );
}

export function classifyDraftFailure(
  step: DraftStep,
  result: GraphSendResult,
  route: Pick<SendRoute, 'sender' | 'credentials'>,
  now: number,
): Failure {
  const base = classifySendResult(result, route, now);
  const failure = base.kind === 'failed' ? base.failure : { category: 'unknown' as const, reason: 'Graph answered without an error.' };
  if (result.kind !== 'response') return failure;
  const { status, errorCode = '', errorMessage = '' } = result;
  const { sender } = route;
  if (step === 'create' && status === 403 && errorCode === 'ErrorAccessDenied' && !/OData is disabled/i.test(errorMessage)) {
    return {
      ...failure,
      category: 'permission',
      code: 'MailReadWriteMissing',
      reason:
        `The app may not create drafts in ${sender}: draft sending needs the Mail.ReadWrite application permission with admin consent. ` +
        'Fix: add it (scoped to the senders) or set microsoftGraph.sendMode = direct.',
      procedure: mailReadWriteProcedure(route.credentials.clientId, sender),
    };
  }
  if (step !== 'create' && step !== 'upload' && status === 404 && ITEM_GONE.has(errorCode)) {
    return {
      ...failure,
      category: 'transient',
      code: 'DraftDeleted',
      reason: `The draft of this e-mail was deleted in ${sender}'s mailbox before it was sent (by a person or a rule); the next attempt creates a new draft.`,
    };
  }
  if (step === 'upload' && (status === 401 || status === 403 || status === 404 || status === 410)) {
    return {
      ...failure,
      category: 'transient',
      code: 'UploadSessionExpired',
      reason: `The attachment upload session for ${sender} expired or was refused (HTTP ${status}); the next attempt starts a new one.`,
    };
  }
  if (status === 413 || SIZE_CODES.has(errorCode) || /exceeds the maximum|size limit/i.test(errorMessage)) {
    if (errorCode !== 'ErrorQuotaExceeded') return { ...failure, category: 'too-large', reason: tooLargeForMailboxReason(sender) };
  }
  return failure;
}
