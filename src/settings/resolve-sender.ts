// Decides who sends an e-mail and with which app credentials, from the account's and the user's
// settings. Pure: the caller loads the settings (secrets already decrypted by the store).
import type { CloudName } from '../../config/env-schema';
import { DeliveryError } from '@omikai/graph-mailer-client';
import { ERP_ACCOUNT_PROFILE_PAGE, ERP_GRAPH_SETTINGS_PAGE, ERP_USER_EMAIL_PAGE } from './erp-pages';
import { isCloudName } from '../graph/clouds';
import { checkCertificateCredential } from '../secrets/certificates';
import { isEmailAddress, MAX_EMAIL_ADDRESS_LENGTH } from './email-address';
import { maskSettingValue } from './setting-value';
import type { AccountSettings, UserSettings } from './settings-store';

/** A certificate credential, as MSAL's `clientCertificate` takes it. */
export interface CertificateCredential {
  privateKeyPem: string;
  thumbprintSha256: string;
  /** The public certificate (PEM), sent in the assertion's x5c header. */
  x5c?: string;
}

/** Who the app is and how it proves it: a client secret or (Microsoft's recommendation) a certificate. */
export type GraphCredentials = {
  tenantId: string;
  clientId: string;
  /** The account's national cloud, when it overrides MS_GRAPH_CLOUD. */
  cloud?: CloudName;
} & ({ clientSecret: string; certificate?: never } | { certificate: CertificateCredential; clientSecret?: never });

export interface SendRoute {
  sender: string;
  senderSource: 'account' | 'user';
  credentials: GraphCredentials;
  /** Why a user's own sender was not used, when a user was named. */
  fallbackReason?: string;
}

function settingsError(reason: string, code: string): DeliveryError {
  return new DeliveryError({ category: 'settings', code, reason });
}

/** The fallback reason recorded when a user's sender is outside the account's allowed sender domains. */
export const SENDER_NOT_ALLOWED = 'sender-not-allowed';

/** Exact domain match (case-insensitive): a subdomain must be listed itself. No list: any domain. */
export function isAllowedSender(address: string, allowedDomains: readonly string[] | undefined): boolean {
  if (allowedDomains === undefined || allowedDomains.length === 0) return true;
  const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  return allowedDomains.includes(domain);
}

/** A provider is a word from the ERP's list ("smtp"); anything else is described like any other value. */
function describeProvider(value: string | undefined): string {
  if (value === undefined) return 'not set';
  return /^[A-Za-z0-9 _.-]{1,32}$/.test(value) ? value : `a value of ${maskSettingValue(value)}`;
}

/** Names the setting and describes its value without quoting it (it may be a secret pasted into the wrong field). */
function invalidSender(setting: string, value: string, page: string): DeliveryError {
  const problem =
    value.length > MAX_EMAIL_ADDRESS_LENGTH ? `is longer than ${MAX_EMAIL_ADDRESS_LENGTH} characters` : 'is not an e-mail address';
  return settingsError(`${setting} (${maskSettingValue(value)}) ${problem}; correct it at ${page}.`, 'InvalidSenderEmail');
}

export interface ResolveSenderInput {
  accountId: string;
  userId?: string;
  account: AccountSettings | null;
  user: UserSettings | null;
  graphProviderValue: string;
}

function usesCertificate(account: AccountSettings): boolean {
  return account.certificatePrivateKey !== undefined || account.certificateThumbprint !== undefined || account.certificatePem !== undefined;
}

function missingSettings(account: AccountSettings): string[] {
  const certificate = usesCertificate(account);
  return [
    ['Tenant ID', account.tenantId],
    ['Client ID', account.clientId],
    [certificate ? 'Certificate private key' : 'Client secret', certificate ? account.certificatePrivateKey : account.clientSecret],
    ['Sender e-mail', account.senderEmail],
  ].flatMap(([label, value]) => (value ? [] : [label as string]));
}

/**
 * Credentials per settings object: the settings cache hands every job of an account the same object,
 * so its jobs share one credentials object (a certificate is checked once, the token cache key is
 * computed once).
 */
const credentialsByAccount = new WeakMap<AccountSettings, GraphCredentials>();

/** The account's credentials; a certificate wins over a secret when both are set. */
function credentialsOf(account: AccountSettings & { tenantId: string; clientId: string }): GraphCredentials {
  const { accountId, tenantId, clientId } = account;
  let cloud: CloudName | undefined;
  if (account.cloud !== undefined) {
    const name = account.cloud.toLowerCase();
    if (!isCloudName(name)) {
      throw settingsError(
        `Account ${accountId}'s cloud setting (${maskSettingValue(account.cloud)}) is not one of global, usgov, usgov-dod, china; correct it at ${ERP_GRAPH_SETTINGS_PAGE} ` +
          'or remove it to use MS_GRAPH_CLOUD.',
        'InvalidCloud',
      );
    }
    cloud = name;
  }
  const base = { tenantId, clientId, ...(cloud ? { cloud } : {}) };
  if (!usesCertificate(account)) return { ...base, clientSecret: account.clientSecret! };

  const check = checkCertificateCredential({
    privateKeyPem: account.certificatePrivateKey!,
    ...(account.certificateThumbprint ? { thumbprint: account.certificateThumbprint } : {}),
    ...(account.certificatePem ? { certificatePem: account.certificatePem } : {}),
  });
  if (!check.ok) {
    throw settingsError(`Account ${accountId}'s certificate ${check.problem}. Fix it at ${ERP_GRAPH_SETTINGS_PAGE}.`, check.code);
  }
  const certificate: CertificateCredential = {
    privateKeyPem: account.certificatePrivateKey!,
    thumbprintSha256: check.thumbprintSha256,
    ...(check.x5c ? { x5c: check.x5c } : {}),
  };
  return { ...base, certificate };
}

/** The sender and credentials for a job; throws a `settings` DeliveryError an admin can act on. */
export function resolveSender({ accountId, userId, account, user, graphProviderValue }: ResolveSenderInput): SendRoute {
  if (!account) {
    throw settingsError(`Account ${accountId} was not found in the ERP's settings; check the job's accountId.`, 'AccountNotFound');
  }
  if (account.emailProvider !== graphProviderValue) {
    throw settingsError(
      `Account ${accountId} does not use Microsoft Graph for e-mail (E-mail provider is ${describeProvider(account.emailProvider)}); ` +
        `an admin sets E-mail provider = Microsoft Graph at ${ERP_ACCOUNT_PROFILE_PAGE}.`,
      'ProviderNotGraph',
    );
  }
  const missing = missingSettings(account);
  const { tenantId, clientId, senderEmail: accountSender } = account;
  if (missing.length > 0 || !tenantId || !clientId || !accountSender) {
    throw settingsError(
      `Account ${accountId} is missing ${missing.join(', ')}; an admin fills ${missing.length > 1 ? 'them' : 'it'} in at ${ERP_GRAPH_SETTINGS_PAGE}.`,
      'MissingAccountSetting',
    );
  }
  let credentials = credentialsByAccount.get(account);
  if (!credentials) {
    credentials = credentialsOf({ ...account, tenantId, clientId });
    credentialsByAccount.set(account, credentials);
  }
  if (!isEmailAddress(accountSender)) throw invalidSender(`Account ${accountId}'s Sender e-mail`, accountSender, ERP_GRAPH_SETTINGS_PAGE);
  const asAccount = (fallbackReason?: string): SendRoute => ({
    sender: accountSender,
    senderSource: 'account',
    credentials,
    ...(fallbackReason ? { fallbackReason } : {}),
  });

  if (userId === undefined) return asAccount();
  if (!user) return asAccount(`user ${userId} was not found`);
  if (user.accountId !== undefined && user.accountId !== accountId) {
    throw settingsError(
      `User ${userId} belongs to account ${user.accountId}, not ${accountId}; the ERP enqueued the wrong user or account.`,
      'UserAccountMismatch',
    );
  }
  if (user.emailProvider !== graphProviderValue) return asAccount(`user ${userId} does not use Microsoft Graph`);
  if (!user.senderEmail) return asAccount(`user ${userId} has no Sender e-mail`);
  if (!isEmailAddress(user.senderEmail)) throw invalidSender(`User ${userId}'s Sender e-mail`, user.senderEmail, ERP_USER_EMAIL_PAGE);
  // Whoever edits a user's Sender e-mail must not choose any From address the app can send as.
  if (!isAllowedSender(user.senderEmail, account.allowedSenderDomains)) return asAccount(SENDER_NOT_ALLOWED);
  return { sender: user.senderEmail, senderSource: 'user', credentials };
}
