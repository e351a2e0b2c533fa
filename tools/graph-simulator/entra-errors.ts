// Entra ID's token-endpoint errors, in the exact JSON shape (and AADSTS wording) the real service sends.
import { randomUUID } from 'node:crypto';
import { type Exchange, writeJson } from './http-io';

export interface EntraError {
  status: number;
  /** OAuth error value: invalid_client, invalid_request, … */
  error: string;
  /** `AADSTS<n>: <text>`; the number becomes `error_codes`. */
  description: string;
}

function aadsts(status: number, error: string, code: number, text: string): EntraError {
  return { status, error, description: `AADSTS${code}: ${text}` };
}

export const entraErrors = {
  invalidTenantIdentifier: (tenant: string) =>
    aadsts(
      400,
      'invalid_request',
      900023,
      `Specified tenant identifier '${tenant}' is neither a valid DNS name, nor a valid external domain.`,
    ),
  tenantNotFound: (tenant: string) =>
    aadsts(
      400,
      'invalid_tenant',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    ),
  missingParameter: (name: string) =>
    aadsts(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`),
  unsupportedGrantType: (grantType: string) =>
    aadsts(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`),
  invalidScope: (scope: string) =>
    aadsts(
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    ),
  applicationNotFound: (clientId: string, tenant: string) =>
    aadsts(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    ),
  missingCredential: () =>
    aadsts(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."),
  invalidClientSecret: (clientId: string) =>
    aadsts(
      401,
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
    ),
  expiredClientSecret: (clientId: string) =>
    aadsts(
      401,
      'invalid_client',
      7000222,
      `The provided client secret keys for app '${clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
    ),
  missingServicePrincipal: (clientId: string, tenantId: string) =>
    aadsts(
      401,
      'invalid_client',
      7000229,
      `The client application ${clientId} is missing service principal in the tenant ${tenantId}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119`,
    ),
  clientAssertionSignatureInvalid: () => aadsts(401, 'invalid_client', 700027, 'Client assertion failed signature validation.'),
  certificateNotRegistered: (thumbprint: string, clientId: string) =>
    aadsts(
      401,
      'invalid_client',
      700027,
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments if you are not using the correct national cloud.]`,
    ),
  assertionOutsideValidity: (now: number, notBefore: number, expires: number) =>
    aadsts(
      401,
      'invalid_client',
      700024,
      `Client assertion is not within its valid time range. Current time: ${isoSeconds(now)}, assertion valid from ${isoSeconds(notBefore)}, expiry time of assertion ${isoSeconds(expires)}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`,
    ),
  assertionClientMismatch: () =>
    aadsts(401, 'invalid_client', 700021, "Client assertion application identifier doesn't match 'client_id' parameter."),
  assertionAudienceInvalid: (audience: string) =>
    aadsts(401, 'invalid_client', 700022, `The client assertion audience '${audience}' is not this tenant's token endpoint.`),
  throttled: () => aadsts(429, 'temporarily_unavailable', 90055, 'There are too many incoming requests. Please try again later.'),
  temporarilyUnavailable: (status: number) =>
    aadsts(status, 'temporarily_unavailable', 90033, 'A transient error has occurred. Please try again.'),
} satisfies Record<string, (...args: never[]) => EntraError>;

function isoSeconds(epochSeconds: number): string {
  return `${new Date(epochSeconds * 1000).toISOString().slice(0, 19)}Z`;
}

/** The Entra answer for a bare status when a fault names no error or description. */
export function defaultEntraError(status: number): EntraError {
  if (status === 429) return entraErrors.throttled();
  if (status >= 500) return entraErrors.temporarilyUnavailable(status);
  const error = status === 401 ? 'invalid_client' : status === 403 ? 'unauthorized_client' : 'invalid_request';
  return { status, error, description: `The service answered HTTP ${status}.` };
}

export function writeEntraError(exchange: Exchange, entraError: EntraError, headers: Record<string, string> = {}): void {
  const now = new Date();
  const timestamp = `${now.toISOString().slice(0, 19).replace('T', ' ')}Z`;
  const traceId = exchange.requestId;
  // Entra adopts the caller's client-request-id as the correlation ID (MSAL always sends one).
  const correlationId = exchange.clientRequestId ?? randomUUID();
  const errorCode = /^AADSTS(\d+):/.exec(entraError.description)?.[1];
  const errorCodes = errorCode === undefined ? [] : [Number(errorCode)];
  const origin = exchange.url.origin;
  writeJson(
    exchange,
    entraError.status,
    {
      error: entraError.error,
      error_description: `${entraError.description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: errorCodes,
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      ...(errorCode === undefined ? {} : { error_uri: `${origin}/error?code=${errorCode}` }),
    },
    { 'x-ms-request-id': traceId, 'cache-control': 'no-store, no-cache', ...headers },
  );
}
