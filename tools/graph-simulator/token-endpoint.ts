// `POST /{tenant}/oauth2/v2.0/token`: Entra's client-credentials grant, with its real error answers.
import { issueAccessToken } from './access-tokens';
import { DEFAULT_CLIENT_ROLES, type SimulatorClient, type SimulatorTenant, findClient } from './directory';
import { type EntraError, defaultEntraError, entraErrors, writeEntraError } from './entra-errors';
import { type SimulatorFault, retryAfterHeader } from './faults';
import { checkClientAssertion } from './client-assertion';
import { type Exchange, clientIsGone, readRequestBody, waitUnlessShutDown, writeJson } from './http-io';
import type { SimulatorState } from './simulator-state';

const MAX_TOKEN_REQUEST_BYTES = 1024 * 1024;
const DEFAULT_SCOPE_SUFFIX = '/.default';

export async function serveTokenRequest(exchange: Exchange, state: SimulatorState, tenantSegment: string): Promise<void> {
  state.stats.tokenRequests += 1;
  const lookup = state.directory.lookUpTenant(tenantSegment);

  const fault = state.faults.take({ on: 'token', tenantId: lookup.kind === 'found' ? lookup.tenant.tenantId : tenantSegment }, 'arrival');
  if (fault?.kind === 'status') {
    writeEntraError(exchange, tokenFaultError(fault), retryAfterHeader(fault));
    return;
  }
  if (fault?.kind === 'stall') {
    const waited = await waitUnlessShutDown(fault.ms, state.shutdown);
    if (!waited) exchange.res.destroy();
    if (!waited || clientIsGone(exchange)) return;
  }

  let form: URLSearchParams;
  try {
    const read = await readRequestBody(exchange.req, MAX_TOKEN_REQUEST_BYTES);
    if (read.kind === 'too-large') {
      writeEntraError(exchange, { status: 413, error: 'invalid_request', description: 'The request body is too large.' });
      return;
    }
    form = new URLSearchParams(read.body.toString('utf8'));
  } catch {
    return; // The client went away mid-body: nobody to answer.
  }

  if (lookup.kind !== 'found') {
    writeEntraError(
      exchange,
      lookup.kind === 'unknown-tenant' ? entraErrors.tenantNotFound(tenantSegment) : entraErrors.invalidTenantIdentifier(tenantSegment),
    );
    return;
  }
  const entraNowSeconds = Math.floor(Date.now() / 1000) + state.clockSkewSeconds;
  const outcome = grantClientCredentials(lookup.tenant, tenantSegment, form, exchange.req.headers.authorization, entraNowSeconds);
  if ('status' in outcome) {
    writeEntraError(exchange, outcome);
    return;
  }

  const lifetimeSeconds = state.tokenLifetimeSeconds;
  const nowSeconds = Math.floor(Date.now() / 1000);
  const accessToken = issueAccessToken({
    aud: outcome.resource,
    iss: `https://sts.windows.net/${lookup.tenant.tenantId}/`,
    tid: lookup.tenant.tenantId,
    appid: outcome.client.clientId,
    roles: [...(outcome.client.roles ?? DEFAULT_CLIENT_ROLES)],
    iat: nowSeconds,
    nbf: nowSeconds,
    exp: nowSeconds + lifetimeSeconds,
  });
  writeJson(
    exchange,
    200,
    { token_type: 'Bearer', expires_in: lifetimeSeconds, ext_expires_in: lifetimeSeconds, access_token: accessToken },
    { 'x-ms-request-id': exchange.requestId, 'cache-control': 'no-store, no-cache' },
  );
}

/** Checks the form the way Entra does, in Entra's order; returns the error to answer or what to issue. */
function grantClientCredentials(
  tenant: SimulatorTenant,
  tenantSegment: string,
  form: URLSearchParams,
  authorization: string | undefined,
  entraNowSeconds: number,
): EntraError | { client: SimulatorClient; resource: string } {
  const basic = parseBasicCredentials(authorization);
  const grantType = form.get('grant_type');
  const clientId = form.get('client_id') ?? basic?.clientId;
  const scope = form.get('scope');
  const clientSecret = form.get('client_secret') ?? basic?.clientSecret;

  if (!grantType) return entraErrors.missingParameter('grant_type');
  if (grantType !== 'client_credentials') return entraErrors.unsupportedGrantType(grantType);
  if (!clientId) return entraErrors.missingParameter('client_id');
  if (!scope) return entraErrors.missingParameter('scope');
  const scopes = scope.split(' ').filter(Boolean);
  const [onlyScope] = scopes;
  if (scopes.length !== 1 || onlyScope === undefined || !onlyScope.endsWith(DEFAULT_SCOPE_SUFFIX)) {
    return entraErrors.invalidScope(scope);
  }

  const client = findClient(tenant, clientId);
  if (!client) return entraErrors.applicationNotFound(clientId, tenantSegment);
  const assertion = form.get('client_assertion');
  if (assertion !== null) {
    const refused = checkClientAssertion({
      assertion,
      assertionType: form.get('client_assertion_type'),
      client,
      clientId,
      tenantNames: [tenantSegment, tenant.tenantId],
      nowSeconds: entraNowSeconds,
    });
    if (refused) return refused;
  } else {
    if (!clientSecret) return entraErrors.missingCredential();
    if (clientSecret !== client.clientSecret) return entraErrors.invalidClientSecret(client.clientId);
    if (client.secretExpired) return entraErrors.expiredClientSecret(client.clientId);
  }
  if (client.noServicePrincipal) return entraErrors.missingServicePrincipal(client.clientId, tenant.tenantId);

  return { client, resource: onlyScope.slice(0, -DEFAULT_SCOPE_SUFFIX.length) };
}

/** client_secret_basic: `Authorization: Basic base64(urlencode(id):urlencode(secret))`. */
function parseBasicCredentials(authorization: string | undefined): { clientId: string; clientSecret: string } | undefined {
  const match = /^Basic\s+(.+)$/i.exec(authorization ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 0) return undefined;
  try {
    return {
      clientId: decodeURIComponent(decoded.slice(0, separator)),
      clientSecret: decodeURIComponent(decoded.slice(separator + 1)),
    };
  } catch {
    return undefined;
  }
}

function tokenFaultError(fault: Extract<SimulatorFault, { kind: 'status' }>): EntraError {
  const fallback = defaultEntraError(fault.status);
  return {
    status: fault.status,
    error: fault.code ?? fallback.error,
    description: fault.message ?? fallback.description,
  };
}
