// Turns a failed token request (Entra / MSAL error) into a Failure an admin can act on. Before Entra
// has issued a token, Tenant ID and Client ID are only what someone typed (perhaps a secret pasted
// into the wrong field): reasons and procedures describe them, and never quote them or Entra's echo of them.
import { clipText, type Failure } from '@omikai/graph-mailer-client';
import { maskSettingValue, withoutSettingValues } from '../settings/setting-value';
import { ERP_GRAPH_SETTINGS_PAGE } from '../settings/erp-pages';
import { APP_REGISTRATION, mailSendPermissionProcedure } from './admin-procedures';

const SECRET_PAGE = 'Entra admin center > App registrations > (your app) > Certificates & secrets';
const OVERVIEW_PAGE = 'Entra admin center > App registrations > (your app) > Overview';

/** What the message needs to know about the credentials that were refused. */
export interface TokenErrorContext {
  clientId: string;
  tenantId: string;
  /** The cloud whose login host was asked. */
  cloud?: string;
  certificate?: { thumbprintSha256: string };
}

const CLOUD_LABELS: Record<string, string> = {
  global: 'global Microsoft cloud (login.microsoftonline.com)',
  usgov: 'US Government GCC High cloud (login.microsoftonline.us)',
  'usgov-dod': 'US Government DoD cloud (login.microsoftonline.us)',
  china: 'China cloud operated by 21Vianet (login.chinacloudapi.cn)',
};

interface SignInAdvice {
  /** What happened and the fix in one line (it becomes the job's failedReason). */
  reason: string;
  /** The whole fix, one step per line (delivery record, verify, `ops failed show`). */
  procedure: string;
}

const NEW_SECRET_STEPS = [
  `1. ${APP_REGISTRATION} > Certificates & secrets > Client secrets > New client secret, with an expiry (e.g. 12 months).`,
  '2. Copy the Value column at once (it is hidden later; the Secret ID column is not the secret).',
  `3. Paste it as Client secret in ERP: ${ERP_GRAPH_SETTINGS_PAGE}, and record its expiry date there (warnings come 30 days before).`,
  '4. Check: npm run verify -- --account <id>, then ops retry --category credentials --force.',
];
const IDS_STEPS = (tenantOrClient: string) => [
  `1. ${APP_REGISTRATION} > Overview shows the Directory (tenant) ID and the Application (client) ID.`,
  `2. Copy ${tenantOrClient} into ERP: ${ERP_GRAPH_SETTINGS_PAGE}.`,
  '3. Check: npm run verify -- --account <id>, then ops retry --category credentials --force.',
];

/** What each sign-in error code means for the admin who set the connection up. */
const AADSTS_ADVICE: Record<string, (context: TokenErrorContext) => SignInAdvice> = {
  '7000215': () => ({
    reason:
      'Microsoft Entra rejected the client secret (AADSTS7000215), usually because the Secret ID was pasted instead of the secret. ' +
      `Fix: create a new client secret and copy the Value column (not the Secret ID) into Client secret in ${ERP_GRAPH_SETTINGS_PAGE}.`,
    procedure: NEW_SECRET_STEPS.join('\n'),
  }),
  '7000222': () => ({
    reason:
      "The app's client secret has expired (AADSTS7000222). " +
      `Fix: create a new client secret in ${SECRET_PAGE} and paste its Value as Client secret in ${ERP_GRAPH_SETTINGS_PAGE}.`,
    procedure: NEW_SECRET_STEPS.join('\n'),
  }),
  '700016': ({ clientId, tenantId }) => ({
    reason:
      `No app with the Client ID (${maskSettingValue(clientId)}) exists in the tenant of the Tenant ID (${maskSettingValue(tenantId)}) (AADSTS700016). ` +
      `Fix: copy the Application (client) ID from the app's Overview page into ${ERP_GRAPH_SETTINGS_PAGE}.`,
    procedure: [
      ...IDS_STEPS('the Application (client) ID into Client ID'),
      'If no app is listed there, it is registered in another tenant.',
    ].join('\n'),
  }),
  '90002': ({ tenantId, cloud }) => ({
    reason:
      `The tenant of the Tenant ID (${maskSettingValue(tenantId)}) was not found${cloud ? ` in the ${CLOUD_LABELS[cloud] ?? cloud}` : ''} (AADSTS90002). ` +
      `Fix: copy the Directory (tenant) ID into Tenant ID in ${ERP_GRAPH_SETTINGS_PAGE}, or set the tenant's national cloud.`,
    procedure: [
      ...IDS_STEPS('the Directory (tenant) ID into Tenant ID'),
      "A tenant in a national cloud (US Government, China) needs MS_GRAPH_CLOUD on the worker or the account's cloud setting.",
    ].join('\n'),
  }),
  '900023': ({ tenantId }) => ({
    reason:
      `The Tenant ID (${maskSettingValue(tenantId)}) is not a valid tenant ID (AADSTS900023). ` +
      `Fix: copy the Directory (tenant) ID (a GUID) into Tenant ID in ${ERP_GRAPH_SETTINGS_PAGE}.`,
    procedure: IDS_STEPS('the Directory (tenant) ID (a GUID) into Tenant ID').join('\n'),
  }),
  '7000229': ({ clientId }) => ({
    reason:
      `The app of the Client ID (${maskSettingValue(clientId)}) has no service principal in this tenant (AADSTS7000229). ` +
      'Fix: an admin clicks "Grant admin consent" in the app\'s API permissions, which creates it.',
    procedure: mailSendPermissionProcedure(undefined),
  }),
  '700027': ({ certificate }) => ({
    reason:
      `Entra could not verify the certificate${certificate ? ` (SHA-256 ${certificate.thumbprintSha256})` : ''} that signed the sign-in (AADSTS700027): ` +
      'it is not uploaded to the app registration, or the stored private key is not its own. Fix: upload the certificate.',
    procedure: [
      `1. ${APP_REGISTRATION} > Certificates & secrets > Certificates > Upload certificate: the public part (.cer/.pem), never the key.`,
      `2. In ERP: ${ERP_GRAPH_SETTINGS_PAGE}, store the private key that belongs to it and its SHA-256 thumbprint`,
      '   (openssl x509 -in cert.pem -noout -fingerprint -sha256), or the certificate itself (public PEM).',
      '3. Check: npm run verify -- --account <id>, then ops retry --category credentials --force.',
    ].join('\n'),
  }),
  '700024': () => ({
    reason:
      'Entra rejected the certificate sign-in as expired or not yet valid (AADSTS700024): the assertion is valid for 10 minutes from this ' +
      "server's clock, so the clock is wrong. Fix: synchronise this server's clock (NTP).",
    procedure: [
      "1. Compare this server's clock with an NTP source (timedatectl, or w32tm /query /status on Windows).",
      '2. Enable time synchronisation (systemd-timesyncd, chrony or ntpd) and restart the worker.',
      '3. Check: npm run verify -- --account <id>, then ops retry --category credentials --force.',
    ].join('\n'),
  }),
};

interface MsalLikeError {
  errorCode?: unknown;
  errorMessage?: unknown;
  status?: unknown;
  message?: unknown;
}

/** Sign-in errors Entra itself calls transient (AADSTS90033 "A transient error has occurred", 50196 server loop). */
const TRANSIENT_AADSTS = new Set(['90033', '50196']);
const TRANSIENT_ERROR_CODES = new Set([
  'network_error',
  'TokenTimeout',
  'temporarily_unavailable',
  'service_unavailable',
  'endpoints_resolution_error',
]);

const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;

/** A Tenant ID that cannot even form a sign-in URL fails here, before MSAL sees it. */
export function checkTenantId(tenantId: string): Failure | undefined {
  if (TENANT_ID.test(tenantId)) return undefined;
  return {
    category: 'settings',
    code: 'InvalidTenantId',
    reason:
      `The Tenant ID (${maskSettingValue(tenantId)}) is not a GUID or domain name. ` +
      `Fix: copy the Directory (tenant) ID from ${OVERVIEW_PAGE} into ${ERP_GRAPH_SETTINGS_PAGE}.`,
  };
}

export function classifyTokenError(err: unknown, credentials: TokenErrorContext): Failure {
  const error = (typeof err === 'object' && err !== null ? err : {}) as MsalLikeError;
  const errorCode = typeof error.errorCode === 'string' ? error.errorCode : undefined;
  // Entra's text quotes the tenant and client it was given: they are named, not repeated.
  const description = withoutSettingValues(String(error.errorMessage ?? error.message ?? err), {
    'Tenant ID': credentials.tenantId,
    'Client ID': credentials.clientId,
  });
  const status = typeof error.status === 'number' ? error.status : undefined;
  const aadsts = /AADSTS(\d+)/.exec(description)?.[1];

  const known = aadsts ? AADSTS_ADVICE[aadsts] : undefined;
  if (known && aadsts) {
    return {
      category: 'credentials',
      code: `AADSTS${aadsts}`,
      ...known(credentials),
      ...(status ? { httpStatus: status } : {}),
    };
  }
  if (status === 429) {
    return {
      category: 'throttled',
      code: errorCode ?? 'TokenThrottled',
      httpStatus: status,
      reason: 'Microsoft Entra is throttling token requests; retrying later.',
    };
  }
  // MSAL replays a throttled error without its status until Retry-After has passed: the codes still tell.
  const transient =
    (status !== undefined && status >= 500) ||
    (aadsts !== undefined && TRANSIENT_AADSTS.has(aadsts)) ||
    (errorCode !== undefined && TRANSIENT_ERROR_CODES.has(errorCode)) ||
    /timeout|ECONN|ENOTFOUND|EAI_AGAIN|fetch failed/i.test(description);
  if (transient) {
    return {
      category: 'transient',
      code: errorCode ?? 'TokenEndpointUnavailable',
      ...(status ? { httpStatus: status } : {}),
      reason: `Could not get a token from Microsoft Entra (${status ? `HTTP ${status}` : (errorCode ?? 'network error')}); retrying later.`,
    };
  }
  if (aadsts || (status !== undefined && status >= 400)) {
    return {
      category: 'credentials',
      code: aadsts ? `AADSTS${aadsts}` : (errorCode ?? `HTTP${status}`),
      ...(status ? { httpStatus: status } : {}),
      reason:
        `Microsoft Entra refused to issue a token for the app of the Client ID (${maskSettingValue(credentials.clientId)}): ` +
        `${sentence(clipText(firstLine(description), 120))} Fix: check the app registration and the IDs and secret in ${ERP_GRAPH_SETTINGS_PAGE}.`,
    };
  }
  return {
    category: 'unknown',
    code: errorCode ?? 'TokenError',
    reason: `Getting a token failed unexpectedly: ${clipText(firstLine(description), 200)}`,
  };
}

/** Ends `text` as a sentence, unless it already ends in punctuation (or was cut, "…"). */
function sentence(text: string): string {
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}

function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0]?.slice(0, 300) ?? '';
}
