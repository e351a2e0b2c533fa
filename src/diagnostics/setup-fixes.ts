// For each failure, the setup step an admin revisits to fix it (the steps of docs/setup.md).
import type { Failure } from '@omikai/graph-mailer-client';
import { ERP_GRAPH_SETTINGS_PAGE } from '../settings/erp-pages';

const APP = 'Entra admin center > Identity > Applications > App registrations > (your app)';

export const SETUP_STEPS = {
  register: `Setup step 1, app registration (${APP.replace(' > (your app)', ' > New registration')})`,
  permission: `Setup step 2, API permissions (${APP} > API permissions)`,
  secret: `Setup step 3, Certificates & secrets (${APP} > Certificates & secrets)`,
  ids: `Setup step 4, IDs (${APP} > Overview)`,
  account: `Setup step 5, account settings (ERP: ${ERP_GRAPH_SETTINGS_PAGE})`,
  user: 'Setup step 6, user settings (ERP: Settings > User > (the user) > E-mail provider)',
  policy: 'Setup step 7, mailbox restriction (Exchange Online PowerShell)',
  server: 'Server configuration (environment of the worker and of npm run verify)',
} as const;

const { register, permission, secret, ids, account, user, policy, server } = SETUP_STEPS;

const BY_CODE: Record<string, string> = {
  AADSTS7000215: `${secret}: create a new client secret, copy the Value column, not the Secret ID, and paste it as Client secret in ${account}.`,
  AADSTS7000222: `${secret}: the secret expired; create a new one, paste its Value as Client secret and record its expiry date in ${account}.`,
  AADSTS700016: `${ids}: copy the Application (client) ID into Client ID (${account}); check the app is registered in this tenant (${register}).`,
  AADSTS90002: `${ids}: copy the Directory (tenant) ID into Tenant ID (${account}); a US Government or China tenant needs MS_GRAPH_CLOUD or the account's cloud.`,
  AADSTS900023: `${ids}: copy the Directory (tenant) ID, a GUID, into Tenant ID (${account}).`,
  InvalidTenantId: `${ids}: copy the Directory (tenant) ID, a GUID, into Tenant ID (${account}).`,
  AADSTS7000229: `${permission}: click "Grant admin consent for <organization>"; this creates the app's service principal in the tenant.`,
  AADSTS700027: `${secret} > Certificates: upload the certificate (public part); store its private key and SHA-256 thumbprint in ${account}.`,
  AADSTS700024: `${server}: synchronise this server's clock (NTP); a certificate sign-in is valid for 10 minutes from the server's time.`,
  NoPermissionsInAccessToken: `${permission}: add Microsoft Graph > Application permissions > Mail.Send (not Delegated), then "Grant admin consent".`,
  ErrorAccessDenied: `${permission}: Mail.Send must be an Application permission (not Delegated) with admin consent granted (green check).`,
  ErrorSendAsDenied: `${account} or ${user}: use the mailbox's own primary address as Sender e-mail.`,
  ErrorInvalidUser: `${account} or ${user}: set Sender e-mail to an existing mailbox of this tenant (its primary SMTP address).`,
  ResourceNotFound: `${account} or ${user}: set Sender e-mail to an existing mailbox of this tenant.`,
  MailboxNotEnabledForRESTAPI: `IT: the sender mailbox must be an active Exchange Online mailbox (licensed user or shared mailbox), not on-premises.`,
  ErrorQuotaExceeded: 'IT: free space in the sender mailbox or raise its quota.',
  ErrorInvalidRecipients: 'Use a valid, resolvable address for --send-test.',
  InvalidInternetMessageHeader: 'ERP: custom header names start with x- (at most 5 headers per message).',
  InvalidInternetMessageHeaderCollection: 'ERP: at most 5 custom headers per message, names starting with x-.',
  AccountNotFound: 'Check the account id: it is the _id of the account document in the ERP.',
  ProviderNotGraph: `${account}: set E-mail provider = Microsoft Graph.`,
  MissingAccountSetting: `${account}: fill in Tenant ID, Client ID, Client secret (or a certificate) and Sender e-mail.`,
  InvalidSenderEmail: `${account} or ${user}: Sender e-mail must be an e-mail address.`,
  InvalidCloud: `${account}: the cloud is one of global, usgov, usgov-dod, china (or empty for MS_GRAPH_CLOUD).`,
  UserAccountMismatch: 'Check the user id: the user belongs to another account.',
  SecretKeyMissing: `${server}: set SETTINGS_ENCRYPTION_KEYS to the keys the ERP encrypts with.`,
  SecretKeyUnknown: `${server}: add the missing key id to SETTINGS_ENCRYPTION_KEYS, or re-enter the secret in ${account}.`,
  SecretDecryptionFailed:
    `${server}: SETTINGS_ENCRYPTION_KEYS must hold the ERP's key under the same id; otherwise the value was copied from ` +
    `another account or setting (or altered): re-enter the secret in ${account}.`,
  SecretNotEncrypted: `${server}: run npm run ops -- settings reencrypt --encrypt-plaintext (SETTINGS_REQUIRE_ENCRYPTED refuses plaintext secrets), or re-enter the secret in ${account}.`,
  SecretMalformed: `${account}: re-enter the secret.`,
};

const BY_CATEGORY: Partial<Record<Failure['category'], string>> = {
  'policy-denied': `${policy}: allow the sender mailbox for the app (the commands follow), or choose an allowed Sender e-mail.`,
  credentials: `${secret} and ${ids}: check the Tenant ID, Client ID and secret or certificate in ${account}.`,
  permission: BY_CODE.ErrorAccessDenied,
  'sender-mailbox': BY_CODE.ErrorInvalidUser,
  transient: `${server}: Microsoft did not answer; check this server can reach the login and Graph hosts, and try again.`,
  throttled: 'Microsoft asked to slow down; try again in a few minutes.',
  'too-large': 'ERP: keep each e-mail under 4 MB including attachments (about 3 MB of files); send larger files as links.',
};

/** The setup step that fixes a failure; certificate problems share one. */
export function setupFixFor(failure: Pick<Failure, 'code' | 'category'>): string | undefined {
  if (failure.code?.startsWith('Certificate'))
    return `${secret} > Certificates and ${account}: the certificate's private key, thumbprint and PEM.`;
  if (failure.category === 'policy-denied') return BY_CATEGORY['policy-denied'];
  return (failure.code && BY_CODE[failure.code]) || BY_CATEGORY[failure.category];
}
