// Entra's discovery documents: OpenID configuration, signing keys and cloud instance discovery.
import { entraErrors, writeEntraError } from './entra-errors';
import { type Exchange, writeJson } from './http-io';
import type { SimulatorState } from './simulator-state';

/** Tenant segments Entra serves as templates rather than as one directory. */
const MULTI_TENANT_SEGMENTS = new Set(['common', 'organizations']);

/** `GET /{tenant}/v2.0/.well-known/openid-configuration`, which MSAL fetches before its first token. */
export function serveOpenIdConfiguration(exchange: Exchange, state: SimulatorState, tenantSegment: string): void {
  const segment = tenantSegment.toLowerCase();
  if (MULTI_TENANT_SEGMENTS.has(segment)) {
    writeJson(exchange, 200, openIdConfiguration(state.url, segment, '{tenantid}'));
    return;
  }
  const lookup = state.directory.lookUpTenant(segment);
  if (lookup.kind === 'found') {
    // Like Entra, a domain in the URL is answered with the tenant ID in every endpoint.
    const { tenantId } = lookup.tenant;
    writeJson(exchange, 200, openIdConfiguration(state.url, tenantId, tenantId));
    return;
  }
  writeEntraError(
    exchange,
    lookup.kind === 'unknown-tenant' ? entraErrors.tenantNotFound(tenantSegment) : entraErrors.invalidTenantIdentifier(tenantSegment),
  );
}

function openIdConfiguration(baseUrl: string, pathTenant: string, issuerTenant: string): Record<string, unknown> {
  const tenantUrl = `${baseUrl}/${pathTenant}`;
  return {
    token_endpoint: `${tenantUrl}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${tenantUrl}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${baseUrl}/${issuerTenant}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${baseUrl}/oidc/userinfo`,
    authorization_endpoint: `${tenantUrl}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${tenantUrl}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${tenantUrl}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'tid', 'ver', 'oid'],
    tenant_region_scope: 'EU',
    cloud_instance_name: new URL(baseUrl).host,
    msgraph_host: new URL(baseUrl).host,
  };
}

/** `GET /{tenant}/discovery/v2.0/keys`: empty, because our tokens are HMAC-signed for our own eyes only. */
export function serveSigningKeys(exchange: Exchange): void {
  writeJson(exchange, 200, { keys: [] });
}

/**
 * `GET /common/discovery/instance`. MSAL only asks the real login.microsoftonline.com for this
 * (and skips it for hosts in knownAuthorities); answered in case another client asks us.
 */
export function serveInstanceDiscovery(exchange: Exchange, state: SimulatorState): void {
  const authorizationEndpoint = exchange.url.searchParams.get('authorization_endpoint');
  const tenant = authorizationEndpoint ? tenantFromAuthorizationEndpoint(authorizationEndpoint) : undefined;
  if (tenant === undefined) {
    writeEntraError(exchange, {
      status: 400,
      error: 'invalid_instance',
      description: 'AADSTS50049: Unknown or invalid instance.',
    });
    return;
  }
  const host = new URL(state.url).host;
  const port = new URL(state.url).port;
  writeJson(exchange, 200, {
    tenant_discovery_endpoint: `${state.url}/${tenant}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host, `127.0.0.1:${port}`] }],
  });
}

function tenantFromAuthorizationEndpoint(endpoint: string): string | undefined {
  try {
    return new URL(endpoint).pathname.split('/').filter(Boolean)[0];
  } catch {
    return undefined;
  }
}
