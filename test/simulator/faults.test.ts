// Injected faults: throttling, server errors, accepted-then-failed sends, stalls and latency.
import { MAILBOXES, TENANT_ID, accessToken, graphError, messageTo, sendMail, useGraphSimulator } from './simulator-test-kit';

describe('sendMail faults', () => {
  const simulator = useGraphSimulator();
  let token: string;
  beforeEach(async () => {
    token = await accessToken(simulator());
  });

  it('answers a 429 fault with its Retry-After and ApplicationThrottled, records nothing, then recovers', async () => {
    simulator().inject({ on: 'sendMail', kind: 'status', status: 429, retryAfter: '2' });

    const throttled = await sendMail(simulator(), token, MAILBOXES.info);
    const next = await sendMail(simulator(), token, MAILBOXES.info);

    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('2');
    expect(await graphError(throttled)).toMatchObject({
      code: 'ApplicationThrottled',
      message: 'Application is over its MailboxConcurrency limit.',
    });
    expect(next.status).toBe(202);
    expect(simulator().sent).toHaveLength(1);
    expect(simulator().stats).toMatchObject({ sendMailRequests: 2, accepted: 1, rejected: 1 });
  });

  it('passes an HTTP-date Retry-After through unchanged, and sends none when the fault has none', async () => {
    simulator().inject({ on: 'sendMail', kind: 'status', status: 503, retryAfter: 'Wed, 21 Oct 2026 07:28:00 GMT' });
    simulator().inject({ on: 'sendMail', kind: 'status', status: 429 });

    const withDate = await sendMail(simulator(), token, MAILBOXES.info);
    const without = await sendMail(simulator(), token, MAILBOXES.info);

    expect(withDate.headers.get('retry-after')).toBe('Wed, 21 Oct 2026 07:28:00 GMT');
    expect(without.headers.has('retry-after')).toBe(false);
  });

  it.each([
    [500, 'InternalServerError'],
    [502, 'BadGateway'],
    [503, 'ServiceUnavailable'],
    [504, 'GatewayTimeout'],
  ])('answers a bare %i fault with code %s', async (status, code) => {
    simulator().inject({ on: 'sendMail', kind: 'status', status });

    const response = await sendMail(simulator(), token, MAILBOXES.info);

    expect(response.status).toBe(status);
    expect((await graphError(response)).code).toBe(code);
  });

  it('uses the code and message the fault names', async () => {
    simulator().inject({ on: 'sendMail', kind: 'status', status: 403, code: 'ErrorQuotaExceeded', message: 'Mailbox full.' });

    const response = await sendMail(simulator(), token, MAILBOXES.info);

    expect(await graphError(response)).toMatchObject({ code: 'ErrorQuotaExceeded', message: 'Mailbox full.' });
  });

  it('hands out faults first in, first out, each for its number of times', async () => {
    simulator().inject({ on: 'sendMail', kind: 'status', status: 429, times: 2 });
    simulator().inject({ on: 'sendMail', kind: 'status', status: 503 });

    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await sendMail(simulator(), token, MAILBOXES.info)).status);

    expect(statuses).toEqual([429, 429, 503, 202]);
  });

  it('applies a fault only to the mailbox and tenant it names', async () => {
    simulator().inject({ on: 'sendMail', kind: 'status', status: 429, mailbox: 'SALES@contoso.example' });
    simulator().inject({ on: 'sendMail', kind: 'status', status: 503, tenantId: 'bbbbbbbb-0000-4000-8000-000000000002' });

    const otherMailbox = await sendMail(simulator(), token, MAILBOXES.info);
    const namedMailbox = await sendMail(simulator(), token, MAILBOXES.sales);

    expect(otherMailbox.status).toBe(202);
    expect(namedMailbox.status).toBe(429);
    expect(simulator().sent.map((message) => message.tenantId)).toEqual([TENANT_ID]);
  });

  it('records an accept-then-504 message as sent yet answers 504 GatewayTimeout without Retry-After', async () => {
    simulator().inject({ on: 'sendMail', kind: 'accept-then-504' });

    const response = await sendMail(simulator(), token, MAILBOXES.info);

    expect(response.status).toBe(504);
    expect(response.headers.has('retry-after')).toBe(false);
    expect((await graphError(response)).code).toBe('GatewayTimeout');
    expect(simulator().sent).toEqual([expect.objectContaining({ requestId: response.headers.get('request-id') })]);
    expect(simulator().stats).toMatchObject({ accepted: 1, rejected: 0 });
  });

  it('keeps an accept-then-504 fault for the next message that passes validation', async () => {
    simulator().inject({ on: 'sendMail', kind: 'accept-then-504' });

    const invalid = await sendMail(simulator(), token, MAILBOXES.info, messageTo('not-an-address'));
    const valid = await sendMail(simulator(), token, MAILBOXES.info);

    expect(invalid.status).toBe(400);
    expect(valid.status).toBe(504);
  });

  it('records an accept-then-reset message and drops the connection without an answer', async () => {
    simulator().inject({ on: 'sendMail', kind: 'accept-then-reset' });

    await expect(sendMail(simulator(), token, MAILBOXES.info)).rejects.toThrow('fetch failed');

    expect(simulator().sent).toHaveLength(1);
    expect(simulator().stats).toMatchObject({ accepted: 1, rejected: 0 });
  });

  it('answers normally after a stall of the given length', async () => {
    simulator().inject({ on: 'sendMail', kind: 'stall', ms: 300 });

    const startedAt = Date.now();
    const response = await sendMail(simulator(), token, MAILBOXES.info);

    expect(response.status).toBe(202);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(290);
  });

  it('adds the configured latency to every sendMail answer', async () => {
    simulator().setLatencyMs(250);

    const startedAt = Date.now();
    const response = await sendMail(simulator(), undefined, MAILBOXES.info);

    expect(response.status).toBe(401);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(240);
  });

  it('closes at once even while a request is stalled', async () => {
    simulator().inject({ on: 'sendMail', kind: 'stall', ms: 60_000 });
    const stalled = sendMail(simulator(), token, MAILBOXES.info);
    await waitFor(() => simulator().stats.sendMailRequests === 1);

    const startedAt = Date.now();
    await simulator().close();

    expect(Date.now() - startedAt).toBeLessThan(1000);
    await expect(stalled).rejects.toThrow('fetch failed');
    expect(simulator().sent).toEqual([]);
  });

  it('refuses an invalid fault', () => {
    expect(() => simulator().inject({ on: 'token', kind: 'status', status: 200 })).toThrow(/HTTP error status/);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
