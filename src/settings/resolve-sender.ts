// Decides who sends an e-mail and with which app credentials, from the account's and the user's
// settings. Pure: the caller loads the settings.
import { DeliveryError } from '../delivery/failure';
import type { AccountSettings, UserSettings } from './settings-store';

export interface GraphCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

export interface SendRoute {
  sender: string;
  senderSource: 'account' | 'user';
  credentials: GraphCredentials;
  /** Why a user's own sender was not used, when a user was named. */
  fallbackReason?: string;
}

const ACCOUNT_PROFILE_PAGE = 'Settings > Account > Profile';
const ACCOUNT_SETTINGS_PAGE = `${ACCOUNT_PROFILE_PAGE} > Microsoft Graph settings`;
const USER_SETTINGS_PAGE = 'Settings > User > (the user) > E-mail provider';
const EMAIL_ADDRESS = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const REQUIRED_ACCOUNT_FIELDS = [
  ['tenantId', 'Tenant ID'],
  ['clientId', 'Client ID'],
  ['clientSecret', 'Client secret'],
  ['senderEmail', 'Sender e-mail'],
] as const;

function settingsError(reason: string, code: string): DeliveryError {
  return new DeliveryError({ category: 'settings', code, reason });
}

export interface ResolveSenderInput {
  accountId: string;
  userId?: string;
  account: AccountSettings | null;
  user: UserSettings | null;
  graphProviderValue: string;
}

/** The sender and credentials for a job; throws a `settings` DeliveryError an admin can act on. */
export function resolveSender({ accountId, userId, account, user, graphProviderValue }: ResolveSenderInput): SendRoute {
  if (!account) {
    throw settingsError(`Account ${accountId} was not found in the ERP's settings; check the job's accountId.`, 'AccountNotFound');
  }
  if (account.emailProvider !== graphProviderValue) {
    throw settingsError(
      `Account ${accountId} does not use Microsoft Graph for e-mail (E-mail provider is ${account.emailProvider ?? 'not set'}); ` +
        `an admin sets E-mail provider = Microsoft Graph at ${ACCOUNT_PROFILE_PAGE}.`,
      'ProviderNotGraph',
    );
  }
  const { tenantId, clientId, clientSecret, senderEmail: accountSender } = account;
  if (!tenantId || !clientId || !clientSecret || !accountSender) {
    const missing = REQUIRED_ACCOUNT_FIELDS.filter(([field]) => !account[field]).map(([, label]) => label);
    throw settingsError(
      `Account ${accountId} is missing ${missing.join(', ')}; an admin fills ${missing.length > 1 ? 'them' : 'it'} in at ${ACCOUNT_SETTINGS_PAGE}.`,
      'MissingAccountSetting',
    );
  }
  const credentials: GraphCredentials = { tenantId, clientId, clientSecret };
  if (!EMAIL_ADDRESS.test(accountSender)) {
    throw settingsError(
      `Account ${accountId}'s Sender e-mail "${accountSender}" is not an e-mail address; correct it at ${ACCOUNT_SETTINGS_PAGE}.`,
      'InvalidSenderEmail',
    );
  }
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
  if (!EMAIL_ADDRESS.test(user.senderEmail)) {
    throw settingsError(
      `User ${userId}'s Sender e-mail "${user.senderEmail}" is not an e-mail address; correct it at ${USER_SETTINGS_PAGE}.`,
      'InvalidSenderEmail',
    );
  }
  return { sender: user.senderEmail, senderSource: 'user', credentials };
}
