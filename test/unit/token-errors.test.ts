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
    [700016, 'No app with the Client ID'],
    [90002, 'The tenant of the Tenant ID'],
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
    expect(failure.reason).toContain('was not found in the US Government GCC High cloud (login.microsoftonline.us)');
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

describe('token errors never quote the Tenant ID or Client ID settings', () => {
  // A client secret pasted into Tenant ID, and into Client ID: Entra quotes what it was given.
  const PASTED_SECRET = 'Xy78Q~aVeryS3cretClientSecretValue.abcd';
  const pasted = { tenantId: PASTED_SECRET, clientId: PASTED_SECRET };
  const quoting = (code: number) => ({
    errorCode: 'invalid_request',
    errorMessage: `AADSTS${code}: Tenant '${PASTED_SECRET}' or application '${PASTED_SECRET.toLowerCase()}' not found.\r\nTrace ID: x`,
    status: 400,
  });

  it.each([700016, 90002, 900023, 7000229, 50059])('AADSTS%i: names the setting, its length and a masked prefix only', (code) => {
    const failure = classifyTokenError(quoting(code), pasted);
    expect(failure.reason).not.toMatch(new RegExp(PASTED_SECRET.slice(0, 8).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i'));
    if (code !== 50059) expect(failure.reason).toContain(`${PASTED_SECRET.length} characters, begins "Xy7…"`);
  });

  it('an unexpected token error quoting the values does not repeat them', () => {
    const failure = classifyTokenError({ errorMessage: `tenant ${PASTED_SECRET} is odd` }, pasted);
    expect(failure.reason).not.toContain(PASTED_SECRET);
    expect(failure.reason).toContain('<Tenant ID>');
  });

  it('a Tenant ID that cannot form a sign-in URL is described, not quoted', () => {
    const failure = checkTenantId(`${PASTED_SECRET}/x`);
    expect(failure).toMatchObject({ category: 'settings', code: 'InvalidTenantId' });
    expect(failure?.reason).not.toContain(PASTED_SECRET);
    expect(failure?.reason).toContain(`${PASTED_SECRET.length + 2} characters, begins "Xy7…"`);
  });
});
