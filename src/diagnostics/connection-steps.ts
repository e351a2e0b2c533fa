// The checklist vocabulary of the connection test, and the steps decided from data alone
// (how the secret is stored, when it expires, what the token grants).
import type { SecretSetting } from '../settings/document-shape';
import type { SendRoute } from '../settings/resolve-sender';
import { SECRET_LABELS, encryptSecretCall } from '../settings/settings-secrets';
import type { AccountSettings } from '../settings/settings-store';
import { credentialExpiry, describeCredentialExpiry } from './credential-expiry';
import { SETUP_STEPS } from './setup-fixes';
import type { AppTokenClaims } from '../graph/token-claims';

import type { ConnectionStep, StepId, StepStatus } from '@omikai/graph-mailer-client';

// The checklist's types are part of the client package: ERP code reads the same report.
export type { ConnectionStep, StepId, StepStatus };

export const STEP_TITLES: Record<StepId, string> = {
  settings: 'Settings resolve to a sender and credentials',
  'secret-at-rest': 'Secret is stored encrypted',
  expiry: 'Secret or certificate is not about to expire',
  token: 'Microsoft Entra issues a token',
  permissions: 'Token carries the Mail.Send application role',
  'send-mode': 'Send mode (sendMail or draft) works for the sender',
  'test-send': 'Test message is accepted by Graph',
};

export function step(id: StepId, status: StepStatus, reason: string, extra: Partial<ConnectionStep> = {}): ConnectionStep {
  return { step: id, title: STEP_TITLES[id], status, reason, ...extra };
}

export function secretAtRestStep(account: AccountSettings, route: SendRoute, currentKeyId: string | undefined): ConnectionStep {
  const setting: SecretSetting = route.credentials.certificate ? 'account.certificatePrivateKey' : 'account.clientSecret';
  const label = SECRET_LABELS[setting];
  const keyId = account.encryptionKeyIds?.[setting];
  if (keyId === undefined) {
    return step(
      'secret-at-rest',
      'warning',
      `The ${label} is stored in plaintext in the ERP's settings: anyone who can read that database can send as the app.`,
      {
        code: 'SecretNotEncrypted',
        fix:
          `${SETUP_STEPS.account}: have the ERP store ${encryptSecretCall(account.accountId, setting)} ` +
          '(keys: SETTINGS_ENCRYPTION_KEYS), or run npm run ops -- settings reencrypt --encrypt-plaintext.',
      },
    );
  }
  if (currentKeyId !== undefined && keyId !== currentKeyId) {
    return step('secret-at-rest', 'warning', `The ${label} is encrypted under key "${keyId}", not the current key "${currentKeyId}".`, {
      code: 'SecretUnderOldKey',
      fix: `${SETUP_STEPS.server}: run npm run ops -- settings reencrypt, then remove key "${keyId}" from SETTINGS_ENCRYPTION_KEYS.`,
    });
  }
  if (account.encryptionFormats?.[setting] === 'v1') {
    return step(
      'secret-at-rest',
      'warning',
      `The ${label} is encrypted (key "${keyId}") in format v1, which does not bind it to this account: ` +
        "a copy of it in another account's settings would decrypt there too.",
      {
        code: 'SecretNotBound',
        fix: `${SETUP_STEPS.server}: run npm run ops -- settings reencrypt (it rewrites v1 values as v2).`,
      },
    );
  }
  return step('secret-at-rest', 'ok', `The ${label} is stored encrypted (AES-256-GCM, key "${keyId}", bound to this account).`);
}

export function expiryStep(account: AccountSettings, nowMs: number, warningDays: number): ConnectionStep {
  const expiry = credentialExpiry(account, nowMs, warningDays);
  const where = `${SETUP_STEPS.account}: record the expiry date the portal shows (${SETUP_STEPS.secret}, Expires column)`;
  if (!expiry) {
    return step('expiry', 'skipped', 'No expiry date is recorded, so nobody is warned before the credential expires.', {
      fix: `${where}.`,
    });
  }
  const reason = describeCredentialExpiry(expiry);
  switch (expiry.status) {
    case 'ok':
      return step('expiry', 'ok', reason);
    case 'expired':
      return step('expiry', 'failed', reason, { code: 'CredentialExpired', fix: `${SETUP_STEPS.secret}: replace it now.` });
    case 'unreadable':
      return step('expiry', 'warning', reason, { code: 'ExpiryUnreadable', fix: `${where}, as YYYY-MM-DD.` });
    default:
      return step('expiry', 'warning', reason, { code: 'CredentialExpiring', fix: `${SETUP_STEPS.secret}: renew it before it expires.` });
  }
}

export function permissionsStep(claims: AppTokenClaims | undefined): ConnectionStep {
  if (!claims) return step('permissions', 'skipped', 'The token is not a readable JWT, so its roles cannot be listed.');
  if (claims.roles.includes('Mail.Send')) {
    return step('permissions', 'ok', `The token carries the Mail.Send application role (roles: ${claims.roles.join(', ')}).`);
  }
  return step(
    'permissions',
    'warning',
    `The token has no Mail.Send role (roles: ${claims.roles.join(', ') || 'none'}): Mail.Send is not granted as an Application permission ` +
      'with admin consent. That is only fine if IT grants Mail.Send through Exchange RBAC for Applications instead; otherwise every send ' +
      'fails with ErrorAccessDenied. Run with --send-test to find out.',
    {
      code: 'MailSendRoleMissing',
      fix: `${SETUP_STEPS.permission}: add Microsoft Graph > Application permissions > Mail.Send (not Delegated), then "Grant admin consent".`,
    },
  );
}
