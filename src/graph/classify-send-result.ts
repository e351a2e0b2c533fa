// Decides what a sendMail answer means: sent, or which kind of failure, with a reason for people.
// Branches on Graph's error.code, not on its message (except where Graph gives no distinct code).
import { clipText, type Failure, type FailureCategory } from '@omikai/graph-mailer-client';
import type { SendRoute } from '../settings/resolve-sender';
import { mailSendPermissionProcedure, policyDeniedProcedure } from './admin-procedures';
import { TLS_ERROR_CODE, type GraphSendResult } from './graph-mail-client';

export type SendClassification = { kind: 'sent'; graphRequestId?: string } | { kind: 'failed'; failure: Failure };

const MAX_RETRY_AFTER_MS = 24 * 3600_000;
const GRAPH_MESSAGE_CHARS = 120;

/** Retry-After as seconds or an HTTP date, in whole ms from `now`; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(0, Math.ceil(ms)), MAX_RETRY_AFTER_MS);
}

/** The short reason of an access-policy denial; the PowerShell is in policyDeniedProcedure. */
export function policyDeniedReason(sender: string, clientId: string): string {
  return (
    `Sender ${sender} is blocked by an Exchange application access policy for app ${clientId} ("Access to OData is disabled"). ` +
    'Fix: IT allows the mailbox for the app (takes up to 30 min); then retry.'
  );
}

/** Graph's own words, shortened: the reason must fit the job's failedReason. */
function graphSays(graphMessage: string): string {
  return clipText(graphMessage, GRAPH_MESSAGE_CHARS);
}

function reasonFor(category: FailureCategory, code: string | undefined, sender: string, graphMessage: string): string {
  switch (code) {
    case 'ErrorInvalidRecipients':
      return `Graph refused a recipient address as malformed or unresolvable (Graph: ${graphSays(graphMessage)}). Fix: correct the address in the ERP and send a new e-mail.`;
    case 'InvalidInternetMessageHeader':
    case 'InvalidInternetMessageHeaderCollection':
      return `Graph refused the custom headers: names must start with x- and at most 5 are allowed (Graph: ${graphSays(graphMessage)}).`;
    case 'NoPermissionsInAccessToken':
      return (
        'The app has no Mail.Send application permission: in Entra admin center > App registrations > (your app) > API permissions, ' +
        'add Microsoft Graph > Application permissions > Mail.Send, then click "Grant admin consent".'
      );
    case 'ErrorAccessDenied':
      return (
        'Graph denied access: Mail.Send is probably added as a Delegated instead of an Application permission, or admin consent is missing. ' +
        'In API permissions, add Mail.Send under Application permissions and click "Grant admin consent".'
      );
    case 'ErrorSendAsDenied':
      return `The app may not send as ${sender} (no SendAs right); use the mailbox's own address as Sender e-mail.`;
    case 'ErrorInvalidUser':
      return (
        `Sender ${sender} is not a user in this Microsoft 365 tenant (or its primary SMTP address differs from its user name). ` +
        'Set Sender e-mail to an existing mailbox of the tenant.'
      );
    case 'MailboxNotEnabledForRESTAPI':
      return `Sender ${sender}'s mailbox cannot be used through Graph: it is inactive, soft-deleted, unlicensed or on-premises. Ask IT to license it in Exchange Online.`;
    case 'ResourceNotFound':
      return `Sender ${sender} has no mailbox in this tenant; set Sender e-mail to an existing mailbox.`;
    case 'ErrorQuotaExceeded':
      return `Sender ${sender}'s mailbox is full; ask IT to free space or raise its quota.`;
  }
  const shownCode = code === undefined ? undefined : clipText(code, 60);
  switch (category) {
    case 'throttled':
      return `Graph is throttling sends from ${sender} (${shownCode ?? '429'}); waiting as Graph asked.`;
    case 'transient':
      return `Graph had a temporary problem (${shownCode ?? 'server error'}); retrying later.`;
    case 'unknown-outcome':
      return `Graph did not answer after receiving the request (${shownCode ?? 'no response'}); the e-mail may have been sent.`;
    case 'too-large':
      return 'The e-mail is larger than Graph accepts in one request (4 MB including attachments as base64); send large files as links.';
    default:
      return `Graph refused the e-mail (${shownCode ?? 'no error code'}): ${graphSays(graphMessage)}`;
  }
}

function categoryFor(status: number, code: string | undefined, message: string): FailureCategory {
  if (status === 429) return 'throttled';
  switch (code) {
    case 'ErrorInvalidRecipients':
      return 'invalid-recipient';
    case 'InvalidInternetMessageHeader':
    case 'InvalidInternetMessageHeaderCollection':
      return 'invalid-message';
    case 'NoPermissionsInAccessToken':
    case 'ErrorSendAsDenied':
      return 'permission';
    case 'ErrorAccessDenied':
      return /OData is disabled/i.test(message) ? 'policy-denied' : 'permission';
    case 'ErrorInvalidUser':
    case 'MailboxNotEnabledForRESTAPI':
    case 'ResourceNotFound':
    case 'ErrorQuotaExceeded':
      return 'sender-mailbox';
  }
  if (status === 504) return 'unknown-outcome';
  if (status >= 500) return 'transient';
  if (status === 413 || /maximum request length/i.test(message)) return 'too-large';
  if (status === 401) return 'credentials';
  if (status === 400) return 'invalid-message';
  return 'unknown';
}

export function classifySendResult(
  result: GraphSendResult,
  route: Pick<SendRoute, 'sender' | 'credentials'>,
  now: number,
): SendClassification {
  const { sender } = route;
  if (result.kind === 'no-response') {
    if (TLS_ERROR_CODE.test(result.code)) {
      return {
        kind: 'failed',
        failure: {
          category: 'unknown',
          code: result.code,
          reason: `The Graph host's TLS certificate is not trusted (${result.code}); check MS_GRAPH_BASE_URL and NODE_EXTRA_CA_CERTS.`,
        },
      };
    }
    const category: FailureCategory = result.requestSent ? 'unknown-outcome' : 'transient';
    return { kind: 'failed', failure: { category, code: result.code, reason: reasonFor(category, result.code, sender, result.message) } };
  }

  const { status, errorCode, requestId } = result;
  if (status >= 200 && status < 300) return { kind: 'sent', ...(requestId ? { graphRequestId: requestId } : {}) };

  const graphMessage = result.errorMessage ?? `HTTP ${status}`;
  const category = categoryFor(status, errorCode, graphMessage);
  const waitMs = retryAfterMs(result.retryAfter, now);
  const { clientId } = route.credentials;
  const reason = category === 'policy-denied' ? policyDeniedReason(sender, clientId) : reasonFor(category, errorCode, sender, graphMessage);
  const procedure =
    category === 'policy-denied'
      ? policyDeniedProcedure(sender, clientId)
      : errorCode === 'NoPermissionsInAccessToken' || (category === 'permission' && errorCode === 'ErrorAccessDenied')
        ? mailSendPermissionProcedure(clientId)
        : undefined;
  return {
    kind: 'failed',
    failure: {
      category,
      reason,
      ...(procedure ? { procedure } : {}),
      code: errorCode ?? `HTTP${status}`,
      httpStatus: status,
      ...(requestId ? { graphRequestId: requestId } : {}),
      ...(waitMs !== undefined ? { retryAfterMs: waitMs } : {}),
      ...(result.errorMessage ? { detail: result.errorMessage } : {}),
    },
  };
}
