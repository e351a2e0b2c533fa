// The logger's safety net: credentials and message content never reach a log line, at the top level
// or nested (objects and arrays), while the fields on-call needs stay readable.
import { censorNestedCredentials } from '../../src/logging/logger';
import { capturedLogger, type CapturedLogger } from '../support/captured-logger';

const SECRET = 'Secret-Value~8Q.abc';

function logLines(log: (logger: CapturedLogger['logger']) => void): Record<string, unknown>[] {
  const captured = capturedLogger();
  log(captured.logger);
  return captured.entries();
}

describe('createLogger redaction', () => {
  it('censors credentials and message content given at the top level', () => {
    const [line] = logLines((logger) =>
      logger.info(
        { jobId: 'j-1', clientSecret: SECRET, authorization: `Bearer ${SECRET}`, html: '<p>private</p>', data: { to: 'x' } },
        'm',
      ),
    );
    expect(line).toMatchObject({
      jobId: 'j-1',
      clientSecret: '[redacted]',
      authorization: '[redacted]',
      html: '[redacted]',
      data: '[redacted]',
    });
  });

  it('censors credentials one level down and leaves the rest of that object readable', () => {
    const [line] = logLines((logger) =>
      logger.info({ account: { accountId: 'acc-1', clientSecret: SECRET }, msal: { accessToken: SECRET, expiresOn: 5 } }, 'm'),
    );
    expect(line).toMatchObject({
      account: { accountId: 'acc-1', clientSecret: '[redacted]' },
      msal: { accessToken: '[redacted]', expiresOn: 5 },
    });
    expect(JSON.stringify(line)).not.toContain(SECRET);
  });

  // Every name a credential goes by in this code, in MSAL's and Entra's (OAuth form fields) and in HTTP.
  const CREDENTIAL_NAMES = [
    'clientSecret',
    'client_secret',
    'accessToken',
    'access_token',
    'refresh_token',
    'client_assertion',
    'token',
    'authorization',
    'Authorization',
    'privateKey',
    'privateKeyPem',
    'certificatePrivateKey',
    'password',
    'secret',
  ];

  it.each(CREDENTIAL_NAMES)('censors %s at the top level, one level down and two levels down', (name) => {
    const [line] = logLines((logger) =>
      logger.info({ [name]: SECRET, one: { [name]: SECRET, keep: 1 }, two: { inner: { [name]: SECRET, keep: 2 } } }, 'm'),
    );
    expect(line).toMatchObject({
      [name]: '[redacted]',
      one: { [name]: '[redacted]', keep: 1 },
      two: { inner: { [name]: '[redacted]', keep: 2 } },
    });
    expect(JSON.stringify(line)).not.toContain(SECRET);
  });

  it('censors credentials inside arrays and deeper objects (a request logged with its headers)', () => {
    const [line] = logLines((logger) =>
      logger.warn(
        {
          request: { method: 'POST', headers: { Authorization: `Bearer ${SECRET}`, 'client-request-id': 'c-1' } },
          attempts: [{ form: { client_secret: SECRET } }],
          route: { credentials: { certificate: { privateKeyPem: SECRET, thumbprintSha256: 'ab12' } } },
        },
        'm',
      ),
    );
    expect(line).toMatchObject({
      request: { method: 'POST', headers: { Authorization: '[redacted]', 'client-request-id': 'c-1' } },
      attempts: [{ form: { client_secret: '[redacted]' } }],
      route: { credentials: { certificate: { privateKeyPem: '[redacted]', thumbprintSha256: 'ab12' } } },
    });
    expect(JSON.stringify(line)).not.toContain(SECRET);
  });

  it('survives a cycle in the logged object', () => {
    const looped: Record<string, unknown> = { name: 'loop', password: SECRET };
    looped.self = looped;
    const [line] = logLines((logger) => logger.info({ looped }, 'm'));
    expect(JSON.stringify(line)).not.toContain(SECRET);
  });

  it('keeps the message and stack of an error that carries a credential', () => {
    const err = Object.assign(new Error('token request failed'), { privateKey: SECRET, errorCode: 'invalid_client' });
    const [line] = logLines((logger) => logger.error({ err }, 'failed'));
    expect(line?.err).toMatchObject({ message: 'token request failed', errorCode: 'invalid_client', privateKey: '[redacted]' });
    expect(String((line?.err as { stack?: unknown }).stack)).toContain('token request failed');
    expect(JSON.stringify(line)).not.toContain(SECRET);
  });

  it('does not copy or touch fields that hold no credential', () => {
    const fields = { jobId: 'j-1', correlation: { documentId: '1042' }, attempt: 1, route: { sender: 'a@b.example', meta: { x: 1 } } };
    expect(censorNestedCredentials(fields)).toBe(fields);
    const original = { route: { sender: 'info@contoso.example', clientSecret: SECRET } };
    censorNestedCredentials(original);
    expect(original.route.clientSecret).toBe(SECRET);
  });
});
