// "Test connection": walks an account (and optionally a user) through settings, secret storage,
// expiry, sign-in, permissions and an optional test message, and returns the checklist as data.
import { type ConnectionReport, DeliveryError, toError, type Failure, type SendMailBody } from '@omikai/graph-mailer-client';
import { randomUUID } from 'node:crypto';
import { classifySendResult } from '../graph/classify-send-result';
import { endpointsForAccount, type CloudEndpoints } from '../graph/clouds';
import type { GraphMailClient } from '../graph/graph-mail-client';
import type { TokenProvider } from '../graph/token-provider';
import { isEmailAddress } from '../settings/email-address';
import { maskSettingValue } from '../settings/setting-value';
import { resolveSender, SENDER_NOT_ALLOWED, type SendRoute } from '../settings/resolve-sender';
import type { AccountSettings, SettingsStore } from '../settings/settings-store';
import { DEFAULT_EXPIRY_WARNING_DAYS } from './credential-expiry';
import { expiryStep, permissionsStep, secretAtRestStep, step, type ConnectionStep, type StepId } from './connection-steps';
import { SETUP_STEPS, setupFixFor } from './setup-fixes';
import { readAppTokenClaims } from '../graph/token-claims';
import { sendModeStep, type DraftProbe } from './send-mode-step';

export type { ConnectionStep, StepId, StepStatus } from './connection-steps';

export interface ConnectionTestInput {
  accountId: string;
  userId?: string;
  /** Send a short test message from the resolved sender to this address. */
  sendTestTo?: string;
}

export interface ConnectionTestDeps {
  settings: SettingsStore;
  graphProviderValue: string;
  tokens: TokenProvider;
  graph: Pick<GraphMailClient, 'sendMail'>;
  /** Checks draft sending for accounts in draft or auto mode; without it that step is skipped. */
  drafts?: DraftProbe;
  /** The configured cloud (config.cloud), to name the hosts used. */
  cloud?: CloudEndpoints;
  /** The key new secrets are encrypted under, to spot secrets still under an older key. */
  currentKeyId?: string;
  expiryWarningDays?: number;
  now?: () => number;
}

export type { ConnectionReport } from '@omikai/graph-mailer-client';

function failedStep(id: StepId, failure: Failure): ConnectionStep {
  const fix = setupFixFor(failure);
  // The worker retries these; a one-off test does not.
  const reason = failure.reason.replace(/; retrying later\.$/, '.');
  return step(id, 'failed', reason, {
    ...(failure.code ? { code: failure.code } : {}),
    ...(fix ? { fix } : {}),
    ...(failure.procedure ? { procedure: failure.procedure } : {}),
    ...(failure.graphRequestId ? { graphRequestId: failure.graphRequestId } : {}),
  });
}

function failureOf(err: unknown, what: string): Failure {
  if (err instanceof DeliveryError) return err.failure;
  const error = toError(err);
  return { category: 'unknown', code: error.name, reason: `${what} failed unexpectedly (${error.name}: ${error.message}).` };
}

function describeRoute(route: SendRoute, endpoints: CloudEndpoints | undefined): string {
  const { credentials } = route;
  const source = route.senderSource === 'user' ? "the user's Sender e-mail" : "the account's Sender e-mail";
  const proof = credentials.certificate ? `certificate ${credentials.certificate.thumbprintSha256}` : 'a client secret';
  const cloud = endpoints
    ? ` in the ${endpoints.cloud} cloud (${new URL(endpoints.loginBaseUrl).host}, ${new URL(endpoints.graphBaseUrl).host})`
    : '';
  // Tenant ID and Client ID are what was typed until Entra accepts them: described, not quoted.
  return (
    `Sends as ${route.sender} (${source}), as the app of the Client ID (${maskSettingValue(credentials.clientId)}) ` +
    `in the tenant of the Tenant ID (${maskSettingValue(credentials.tenantId)})${cloud}, signing in with ${proof}.`
  );
}

/** A domain name as DNS spells it; a list entry that is not one is described, not quoted. */
const DOMAIN_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

function describeDomains(domains: readonly string[]): string {
  return domains.map((domain) => (domain.length <= 253 && DOMAIN_NAME.test(domain) ? domain : `(${maskSettingValue(domain)})`)).join(', ');
}

function settingsStep(route: SendRoute, endpoints: CloudEndpoints | undefined, account: AccountSettings): ConnectionStep {
  const described = describeRoute(route, endpoints);
  if (route.fallbackReason === SENDER_NOT_ALLOWED) {
    return step(
      'settings',
      'warning',
      `${described} The user's own Sender e-mail is outside the account's allowed sender domains ` +
        `(${describeDomains(account.allowedSenderDomains ?? [])}), so the account's sender stands in.`,
      {
        code: 'SenderNotAllowed',
        fix:
          `${SETUP_STEPS.account}: add the user's domain to the allowed sender domains (microsoftGraph.allowedSenderDomains), ` +
          `or ${SETUP_STEPS.user}: correct the user's Sender e-mail.`,
      },
    );
  }
  if (route.fallbackReason) {
    return step('settings', 'warning', `${described} The user's own sender is not used: ${route.fallbackReason}.`, {
      code: 'UserSenderNotUsed',
      fix: `${SETUP_STEPS.user}: set E-mail provider = Microsoft Graph and the user's Sender e-mail.`,
    });
  }
  return step('settings', 'ok', described);
}

function testMessage(route: SendRoute, accountId: string, to: string): SendMailBody {
  return {
    message: {
      subject: `Test message from ${route.sender} (Microsoft Graph connection test)`,
      body: {
        contentType: 'Text',
        content: `This message was sent by the ERP's connection test for account ${accountId} to check that e-mail can be sent from ${route.sender} through Microsoft Graph. No action is needed.`,
      },
      toRecipients: [{ emailAddress: { address: to } }],
      ccRecipients: [],
      bccRecipients: [],
    },
    saveToSentItems: true,
  };
}

/** Runs the checklist; never throws for a setup problem (each one is a failed step with its fix). */
export async function testConnection(input: ConnectionTestInput, deps: ConnectionTestDeps): Promise<ConnectionReport> {
  const now = deps.now ?? Date.now;
  const { accountId, userId, sendTestTo } = input;
  const steps: ConnectionStep[] = [];
  const report = (route?: SendRoute): ConnectionReport => ({
    accountId,
    ...(userId !== undefined ? { userId } : {}),
    ...(route ? { sender: route.sender, senderSource: route.senderSource } : {}),
    ok: !steps.some((s) => s.status === 'failed'),
    steps,
  });
  const skipRest = (after: StepId, why: string) => {
    const order: StepId[] = ['settings', 'secret-at-rest', 'expiry', 'token', 'permissions', 'send-mode', 'test-send'];
    for (const id of order.slice(order.indexOf(after) + 1)) {
      if (!steps.some((s) => s.step === id)) steps.push(step(id, 'skipped', why));
    }
  };

  let account: AccountSettings | null;
  let route: SendRoute;
  try {
    const [foundAccount, user] = await Promise.all([
      deps.settings.findAccount(accountId),
      userId === undefined ? null : deps.settings.findUser(userId),
    ]);
    account = foundAccount;
    route = resolveSender({ accountId, userId, account, user, graphProviderValue: deps.graphProviderValue });
  } catch (err: unknown) {
    steps.push(failedStep('settings', failureOf(err, 'Reading the settings')));
    skipRest('settings', 'Not checked: the settings must resolve first.');
    return report();
  }
  const endpoints = deps.cloud ? endpointsForAccount(deps.cloud, route.credentials.cloud) : undefined;
  steps.push(settingsStep(route, endpoints, account!));
  steps.push(secretAtRestStep(account!, route, deps.currentKeyId));
  steps.push(expiryStep(account!, now(), deps.expiryWarningDays ?? DEFAULT_EXPIRY_WARNING_DAYS));

  let accessToken: string;
  try {
    ({ accessToken } = await deps.tokens.getAccessToken(route.credentials));
  } catch (err: unknown) {
    steps.push(failedStep('token', failureOf(err, 'Getting a token')));
    skipRest('token', 'Not checked: needs a token.');
    return report(route);
  }
  const claims = readAppTokenClaims(accessToken);
  const host = endpoints ? ` from ${new URL(endpoints.loginBaseUrl).host}` : '';
  // Entra's own statement of the tenant and app, now that it issued a token: safe to show.
  const issuedTo = claims?.tenantId ? ` for app ${claims.appId ?? '(no appid claim)'} in tenant ${claims.tenantId}` : '';
  steps.push(step('token', 'ok', `Got an app-only token${host}${claims?.audience ? ` for ${claims.audience}` : ''}${issuedTo}.`));
  steps.push(permissionsStep(claims));
  steps.push(await sendModeStep(account!, route, accessToken, claims, deps.drafts, now()));

  if (sendTestTo === undefined) {
    steps.push(
      step(
        'test-send',
        'skipped',
        `Not run: add --send-test <address> to send a test message from ${route.sender}; only a send shows whether the mailbox exists, is licensed and is allowed by IT's access policy.`,
      ),
    );
  } else if (!isEmailAddress(sendTestTo)) {
    steps.push(
      step('test-send', 'failed', `"${sendTestTo}" is not an e-mail address.`, {
        code: 'InvalidTestRecipient',
        fix: 'Pass --send-test <address>.',
      }),
    );
  } else {
    const result = await deps.graph.sendMail(route, testMessage(route, accountId, sendTestTo), accessToken, randomUUID());
    const outcome = classifySendResult(result, route, now());
    steps.push(
      outcome.kind === 'sent'
        ? step(
            'test-send',
            'ok',
            `Graph accepted the test message from ${route.sender} to ${sendTestTo} (202). Accepted is not delivered: check that it arrives; a bounce would land in ${route.sender}'s inbox.`,
            outcome.graphRequestId ? { graphRequestId: outcome.graphRequestId } : {},
          )
        : failedStep('test-send', outcome.failure),
    );
  }
  return report(route);
}
