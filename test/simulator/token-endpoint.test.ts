// The simulated Entra login endpoints: discovery documents, tokens, and Entra's exact error answers.
import { CLIENTS, type EntraErrorBody, TENANT_ID, requestToken, useGraphSimulator } from './simulator-test-kit';

describe('Entra discovery endpoints', () => {
  const simulator = useGraphSimulator();

  it('serves the OpenID configuration MSAL needs, with the tenant ID even when asked by domain', async () => {
    const response = await fetch(`${simulator().url}/contoso.example/v2.0/.well-known/openid-configuration`);

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      token_endpoint: `${simulator().url}/${TENANT_ID}/oauth2/v2.0/token`,
      authorization_endpoint: `${simulator().url}/${TENANT_ID}/oauth2/v2.0/authorize`,
      end_session_endpoint: `${simulator().url}/${TENANT_ID}/oauth2/v2.0/logout`,
      jwks_uri: `${simulator().url}/${TENANT_ID}/discovery/v2.0/keys`,
      issuer: `${simulator().url}/${TENANT_ID}/v2.0`,
    });
  });

  it('answers the OpenID configuration of an unknown tenant with 400 AADSTS90002', async () => {
    const response = await fetch(`${simulator().url}/dddddddd-0000-4000-8000-00000000dead/v2.0/.well-known/openid-configuration`);

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_tenant', error_codes: [90002] });
  });

  it('answers instance discovery with metadata naming the simulator host', async () => {
    const authorize = encodeURIComponent(`${simulator().url}/${TENANT_ID}/oauth2/v2.0/authorize`);
    const response = await fetch(`${simulator().url}/common/discovery/instance?api-version=1.1&authorization_endpoint=${authorize}`);

    expect(await response.json()).toEqual({
      tenant_discovery_endpoint: `${simulator().url}/${TENANT_ID}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [expect.objectContaining({ preferred_network: `localhost:${simulator().port}` })],
    });
  });
});

describe('Entra token endpoint', () => {
  const simulator = useGraphSimulator({ tokenLifetimeSeconds: 3599 });

  it('issues a Bearer JWT carrying audience, tenant, app ID, roles and lifetime', async () => {
    const response = await requestToken(simulator(), { scope: 'https://graph.microsoft.com/.default' });
    const body = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(200);
    expect(body).toEqual({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: expect.any(String) });
    const [, payload] = String(body.access_token).split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(claims).toMatchObject({
      aud: 'https://graph.microsoft.com',
      tid: TENANT_ID,
      appid: CLIENTS.good.clientId,
      roles: ['Mail.Send'],
    });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(3599);
  });

  it('counts every POST to the token endpoint, failed or not', async () => {
    await requestToken(simulator());
    await requestToken(simulator(), { clientSecret: 'wrong' });
    await requestToken(simulator(), { tenant: 'not-a-tenant' });

    expect(simulator().stats.tokenRequests).toBe(3);
  });

  const entraErrorCases: Array<{
    name: string;
    request: () => Parameters<typeof requestToken>[1];
    status: number;
    error: string;
    aadsts: number;
    says: string;
  }> = [
    {
      name: 'a tenant that is neither a GUID nor a known domain',
      request: () => ({ tenant: 'not a tenant' }),
      status: 400,
      error: 'invalid_request',
      aadsts: 900023,
      says: "Specified tenant identifier 'not a tenant' is neither a valid DNS name, nor a valid external domain.",
    },
    {
      name: 'a GUID tenant that does not exist',
      request: () => ({ tenant: 'dddddddd-0000-4000-8000-00000000dead' }),
      status: 400,
      error: 'invalid_tenant',
      aadsts: 90002,
      says: "Tenant 'dddddddd-0000-4000-8000-00000000dead' not found.",
    },
    {
      name: 'an application that is not in the tenant',
      request: () => ({ clientId: CLIENTS.otherTenant.clientId }),
      status: 400,
      error: 'unauthorized_client',
      aadsts: 700016,
      says: `Application with identifier '${CLIENTS.otherTenant.clientId}' was not found in the directory '${TENANT_ID}'.`,
    },
    {
      name: 'a wrong client secret',
      request: () => ({ clientSecret: 'secret-id-instead-of-value' }),
      status: 401,
      error: 'invalid_client',
      aadsts: 7000215,
      says: 'Invalid client secret provided.',
    },
    {
      name: 'an expired client secret',
      request: () => ({ clientId: CLIENTS.expiredSecret.clientId, clientSecret: CLIENTS.expiredSecret.clientSecret }),
      status: 401,
      error: 'invalid_client',
      aadsts: 7000222,
      says: `The provided client secret keys for app '${CLIENTS.expiredSecret.clientId}' are expired.`,
    },
    {
      name: 'an application without a service principal',
      request: () => ({ clientId: CLIENTS.noServicePrincipal.clientId, clientSecret: CLIENTS.noServicePrincipal.clientSecret }),
      status: 401,
      error: 'invalid_client',
      aadsts: 7000229,
      says: 'is missing service principal in the tenant',
    },
    {
      name: 'an unreadable client assertion',
      request: () => ({
        clientSecret: '',
        extra: {
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: 'a.b.c',
        },
      }),
      status: 401,
      error: 'invalid_client',
      aadsts: 700027,
      says: 'Client assertion failed signature validation.',
    },
    {
      name: 'a scope without /.default',
      request: () => ({ scope: 'https://graph.microsoft.com/Mail.Send' }),
      status: 400,
      error: 'invalid_scope',
      aadsts: 1002012,
      says: 'Client credential flows must have a scope value with /.default suffixed',
    },
  ];

  it.each(entraErrorCases)('answers $name with $status $error AADSTS$aadsts', async (testCase) => {
    const response = await requestToken(simulator(), testCase.request());
    const body = (await response.json()) as EntraErrorBody;

    expect(response.status).toBe(testCase.status);
    expect(body).toEqual({
      error: testCase.error,
      error_description: expect.stringMatching(
        new RegExp(
          `^AADSTS${testCase.aadsts}: .*\\r\\nTrace ID: [0-9a-f-]{36}\\r\\nCorrelation ID: [0-9a-f-]{36}\\r\\nTimestamp: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`,
          's',
        ),
      ),
      error_codes: [testCase.aadsts],
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/),
      trace_id: response.headers.get('request-id'),
      correlation_id: expect.any(String),
      error_uri: `${simulator().url}/error?code=${testCase.aadsts}`,
    });
    expect(body.error_description).toContain(testCase.says);
  });

  it("uses the caller's client-request-id as the correlation ID", async () => {
    const response = await fetch(`${simulator().url}/${TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'client-request-id': '0f0f0f0f-0000-4000-8000-000000000abc' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: CLIENTS.good.clientId,
        client_secret: 'x',
        scope: 'api://x/.default',
      }),
    });

    expect(await response.json()).toMatchObject({ correlation_id: '0f0f0f0f-0000-4000-8000-000000000abc' });
  });

  it("answers a token fault in Entra's shape with its Retry-After, then recovers", async () => {
    simulator().inject({ on: 'token', kind: 'status', status: 503, retryAfter: '7' });

    const faulted = await requestToken(simulator());
    const recovered = await requestToken(simulator());

    expect(faulted.status).toBe(503);
    expect(faulted.headers.get('retry-after')).toBe('7');
    expect(await faulted.json()).toMatchObject({ error: 'temporarily_unavailable', error_codes: [90033] });
    expect(recovered.status).toBe(200);
  });
});
