import { checkTenantId, classifyTokenError } from '../../src/graph/token-errors';

const credentials = { clientId: 'c1', tenantId: 't1' };
const entraError = (code: number, status: number) => ({
  errorCode: 'invalid_client',
  errorMessage: `AADSTS${code}: something.\r\nTrace ID: x`,
  status,
});

describe('classifyTokenError', () => {
  it.each([
    [7000215, 'copy the Value column (not the Secret ID)'],
    [7000222, 'has expired'],
    [700016, 'No app with Client ID c1 exists in tenant t1'],
    [90002, 'Tenant t1 was not found'],
    [900023, 'is not a valid tenant ID'],
    [7000229, 'Grant admin consent'],
    [700027, 'certificate'],
    [700024, 'clock'],
  ])('explains AADSTS%i to the admin as a credentials failure', (code, hint) => {
    const failure = classifyTokenError(entraError(code, 401), credentials);
    expect(failure).toMatchObject({ category: 'credentials', code: `AADSTS${code}` });
    expect(failure.reason).toContain(hint);
  });

  it('names the certificate that Entra could not verify (AADSTS700027)', () => {
    const failure = classifyTokenError(entraError(700027, 401), { ...credentials, certificate: { thumbprintSha256: 'AB'.repeat(32) } });
    expect(failure.reason).toContain(`the certificate (SHA-256 ${'AB'.repeat(32)})`);
    expect(failure.procedure).toContain('Certificates & secrets > Certificates > Upload certificate');
  });

  it('points at the national cloud when a tenant is not found (AADSTS90002)', () => {
    const failure = classifyTokenError(entraError(90002, 400), { ...credentials, cloud: 'usgov' });
    expect(failure.reason).toContain('Tenant t1 was not found in the US Government GCC High cloud (login.microsoftonline.us)');
    expect(failure.reason).toContain("or set the tenant's national cloud");
    expect(failure.procedure).toContain("MS_GRAPH_CLOUD on the worker or the account's cloud setting");
  });

  it('retries network errors, timeouts and 5xx from the token endpoint', () => {
    expect(classifyTokenError({ errorCode: 'network_error', errorMessage: 'fetch failed' }, credentials).category).toBe('transient');
    expect(classifyTokenError({ errorCode: 'TokenTimeout', message: 'Token request timed out' }, credentials).category).toBe('transient');
    expect(classifyTokenError({ errorCode: 'temporarily_unavailable', errorMessage: 'x', status: 503 }, credentials).category).toBe(
      'transient',
    );
    expect(classifyTokenError({ errorCode: 'x', errorMessage: 'x', status: 429 }, credentials).category).toBe('throttled');
  });

  it('treats an unlisted AADSTS refusal as a credentials failure that quotes Entra', () => {
    const failure = classifyTokenError(entraError(50059, 400), credentials);
    expect(failure).toMatchObject({ category: 'credentials', code: 'AADSTS50059' });
    expect(failure.reason).toContain('AADSTS50059: something.');
  });
});

describe('checkTenantId', () => {
  it('accepts GUIDs and domains and refuses what cannot form a sign-in URL', () => {
    expect(checkTenantId('11111111-1111-4111-8111-111111111111')).toBeUndefined();
    expect(checkTenantId('contoso.onmicrosoft.com')).toBeUndefined();
    expect(checkTenantId('contoso/../x')).toMatchObject({ category: 'settings', code: 'InvalidTenantId' });
  });
});

describe('classifyTokenError on errors MSAL replays while it throttles', () => {
  it('keeps a transient AADSTS90033 transient even without an HTTP status', () => {
    const replayed = {
      errorCode: 'temporarily_unavailable',
      errorMessage: 'AADSTS90033: A transient error has occurred. Please try again.',
    };
    expect(classifyTokenError(replayed, credentials).category).toBe('transient');
    expect(classifyTokenError({ errorCode: 'x', errorMessage: 'AADSTS90033: transient' }, credentials).category).toBe('transient');
  });
});
