// The logger's safety net: credentials and message content never reach a log line, at the top level
// or one level down, while the fields on-call needs stay readable.
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
      logger.info({ account: { accountId: 'acc-1', clientSecret: SECRET }, token: { accessToken: SECRET, expiresOn: 5 } }, 'm'),
    );
    expect(line).toMatchObject({
      account: { accountId: 'acc-1', clientSecret: '[redacted]' },
      token: { accessToken: '[redacted]', expiresOn: 5 },
    });
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
    const fields = { jobId: 'j-1', correlation: { documentId: '1042' }, attempt: 1 };
    expect(censorNestedCredentials(fields)).toBe(fields);
    const original = { route: { sender: 'info@contoso.example', clientSecret: SECRET } };
    censorNestedCredentials(original);
    expect(original.route.clientSecret).toBe(SECRET);
  });
});
