// Turns a failed token request (Entra / MSAL error) into a Failure an admin can act on. Before Entra
// has issued a token, Tenant ID and Client ID are only what someone typed (perhaps a secret pasted
// into the wrong field): reasons describe them, and never quote them or Entra's echo of them.
import type { Failure } from '../delivery/failure';
import { maskSettingValue, withoutSettingValues } from '../settings/setting-value';

const SECRET_PAGE = 'Entra admin center > App registrations > (your app) > Certificates & secrets';
const OVERVIEW_PAGE = 'Entra admin center > App registrations > (your app) > Overview';
const ERP_SETTINGS = 'Settings > Account > Profile > Microsoft Graph settings';

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

/** What each sign-in error code means for the admin who set the connection up. */
const AADSTS_REASONS: Record<string, (context: TokenErrorContext) => string> = {
  '7000215': () =>
    `Microsoft Entra rejected the client secret (AADSTS7000215). Usually the secret's ID was pasted instead of its Value: ` +
    `in ${SECRET_PAGE}, create a new client secret, copy the Value column (not the Secret ID) and paste it as Client secret in ${ERP_SETTINGS}.`,
  '7000222': () =>
    `The app's client secret has expired (AADSTS7000222). In ${SECRET_PAGE}, create a new client secret and paste its Value as Client secret in ${ERP_SETTINGS}; ` +
    'record its expiry date there too, so you are warned 30 days before the next one expires.',
  '700016': ({ clientId, tenantId }) =>
    `No app with the Client ID (${maskSettingValue(clientId)}) exists in the tenant of the Tenant ID (${maskSettingValue(tenantId)}) (AADSTS700016). ` +
    `Copy the Application (client) ID from ${OVERVIEW_PAGE} into ${ERP_SETTINGS}, and check the app is registered in this tenant.`,
  '90002': ({ tenantId, cloud }) =>
    `The tenant of the Tenant ID (${maskSettingValue(tenantId)}) was not found${cloud ? ` in the ${CLOUD_LABELS[cloud] ?? cloud}` : ''} (AADSTS90002). ` +
    `Copy the Directory (tenant) ID from ${OVERVIEW_PAGE} into Tenant ID in ${ERP_SETTINGS}. ` +
    "A tenant in a national cloud (US Government, China) needs MS_GRAPH_CLOUD or the account's cloud setting.",
  '900023': ({ tenantId }) =>
    `The Tenant ID (${maskSettingValue(tenantId)}) is not a valid tenant ID (AADSTS900023). Copy the Directory (tenant) ID (a GUID) from ${OVERVIEW_PAGE} ` +
    `into Tenant ID in ${ERP_SETTINGS}.`,
  '7000229': ({ clientId }) =>
    `The app of the Client ID (${maskSettingValue(clientId)}) has no service principal in this tenant (AADSTS7000229). An admin opens API permissions ` +
    `in the app registration and clicks "Grant admin consent", which creates it.`,
  '700027': ({ certificate }) =>
    `Entra could not verify the certificate${certificate ? ` with SHA-256 thumbprint ${certificate.thumbprintSha256}` : ''} that signed the sign-in ` +
    `(AADSTS700027): it is not uploaded to the app registration, or the private key in the settings does not belong to it. In ${SECRET_PAGE} > Certificates, ` +
    `upload the certificate (the public .cer/.pem), and store its private key and SHA-256 thumbprint in ${ERP_SETTINGS}.`,
  '700024': () =>
    'Entra rejected the certificate sign-in as expired or not yet valid (AADSTS700024): the assertion is valid for 10 minutes from this ' +
    "server's clock, so the clock is wrong. Synchronise this server's clock (NTP) and try again.",
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
      `Copy the Directory (tenant) ID from ${OVERVIEW_PAGE} into ${ERP_SETTINGS}.`,
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

  const known = aadsts ? AADSTS_REASONS[aadsts] : undefined;
  if (known && aadsts) {
    return {
      category: 'credentials',
      code: `AADSTS${aadsts}`,
      reason: known(credentials),
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
        `${firstLine(description)}. Check the app registration and ${ERP_SETTINGS}.`,
    };
  }
  return { category: 'unknown', code: errorCode ?? 'TokenError', reason: `Getting a token failed unexpectedly: ${firstLine(description)}` };
}

function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0]?.slice(0, 300) ?? '';
}
