// The connection test's send-mode step: which way the account's e-mails go, whether its cloud
// offers upload sessions, and, for draft and auto, a real draft created and deleted again to prove
// the app holds Mail.ReadWrite for the sender (RBAC for Applications grants it without a role claim).
import { randomUUID } from 'node:crypto';
import { DeliveryError } from '@omikai/graph-mailer-client';
import { classifyDraftFailure, mailReadWriteProcedure } from '../graph/classify-draft-result';
import type { GraphDraftClient } from '../graph/draft-client';
import { cloudHasUploadSessions } from '../graph/upload-url';
import type { SendRoute } from '../settings/resolve-sender';
import { readSendModeSettings } from '../settings/send-mode';
import type { AccountSettings } from '../settings/settings-store';
import { step, type ConnectionStep } from './connection-steps';
import type { AppTokenClaims } from '../graph/token-claims';

export type DraftProbe = Pick<GraphDraftClient, 'cloudOf' | 'createDraft' | 'deleteMessage'>;

export async function sendModeStep(
  account: AccountSettings,
  route: SendRoute,
  accessToken: string,
  claims: AppTokenClaims | undefined,
  drafts: DraftProbe | undefined,
  now: number,
): Promise<ConnectionStep> {
  let mode;
  let maxMb;
  try {
    const settings = readSendModeSettings(account);
    mode = settings.mode;
    maxMb = Math.round(settings.maxSendSizeBytes / 1048576);
  } catch (err: unknown) {
    if (!(err instanceof DeliveryError)) throw err;
    return step('send-mode', 'failed', err.failure.reason, { ...(err.failure.code ? { code: err.failure.code } : {}) });
  }
  if (mode === 'direct') {
    return step(
      'send-mode',
      'ok',
      'Send mode direct (sendMail): e-mails up to 4 MB including attachments. For larger ones set microsoftGraph.sendMode = auto (needs Mail.ReadWrite).',
    );
  }
  if (!drafts) return step('send-mode', 'skipped', `Send mode ${mode}: draft sending is not checked by this tool.`);
  const cloud = drafts.cloudOf(route);
  if (!cloudHasUploadSessions(cloud)) {
    const reason = `The ${cloud} cloud offers no attachment upload sessions`;
    return mode === 'draft'
      ? step('send-mode', 'failed', `Send mode draft: ${reason}, so the worker refuses it.`, {
          code: 'DraftModeUnavailable',
          fix: 'Set microsoftGraph.sendMode to direct or auto.',
        })
      : step('send-mode', 'warning', `Send mode auto: ${reason}; every e-mail goes by sendMail (up to 4 MB).`, {
          code: 'DraftModeUnavailable',
        });
  }
  const requestId = randomUUID();
  const created = await drafts.createDraft(
    route,
    {
      subject: 'Connection test draft (deleted at once)',
      body: { contentType: 'Text', content: 'Created and deleted by the connection test to check the Mail.ReadWrite permission.' },
    },
    `verify-${requestId}`,
    accessToken,
    requestId,
  );
  if (!created.ok) {
    const failure = classifyDraftFailure('create', created.result, route, now);
    return step('send-mode', 'failed', `Send mode ${mode} (max ${maxMb} MB): ${failure.reason}`, {
      ...(failure.code ? { code: failure.code } : {}),
      procedure: failure.procedure ?? mailReadWriteProcedure(route.credentials.clientId, route.sender),
      ...(failure.graphRequestId ? { graphRequestId: failure.graphRequestId } : {}),
    });
  }
  const deleted = await drafts.deleteMessage(route, created.value.id, accessToken, requestId);
  const roleHint =
    claims && !claims.roles.includes('Mail.ReadWrite')
      ? ' The token has no Mail.ReadWrite role: it is granted through RBAC for Applications.'
      : '';
  if (!deleted.ok) {
    return step(
      'send-mode',
      'warning',
      `Send mode ${mode} (max ${maxMb} MB): the app created a draft in ${route.sender} but could not delete it; delete "Connection test draft" from its Drafts folder.${roleHint}`,
      { code: 'TestDraftNotDeleted' },
    );
  }
  return step(
    'send-mode',
    'ok',
    `Send mode ${mode} (max ${maxMb} MB per message, encoded): the app created and deleted a draft in ${route.sender}, so it holds Mail.ReadWrite there.${roleHint}`,
  );
}
