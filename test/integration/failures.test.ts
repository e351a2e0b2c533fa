// What happens when sending fails: permanent errors stop at once with a reason, the rest are retried.
import { Registry } from 'prom-client';
import { registerSendMetrics } from '../../src/ops/send-metrics';
import {
  CLIENT,
  CLIENT_WITH_EXPIRED_SECRET,
  CLIENT_WITHOUT_MAIL_SEND,
  TENANT_ID,
  accountDocument,
  sampleEmail,
  type TestPipeline,
  usePipelineFixture,
} from '../support/test-pipeline';

const fx = usePipelineFixture();
let pipeline: TestPipeline;

const withAccount = (overrides: Record<string, unknown>) => ({ accounts: [accountDocument('acc-1', overrides)], users: [] });

describe('permanent failures end after exactly one attempt, with a reason a person can act on', () => {
  it.each([
    [
      'a wrong client secret (the Secret ID pasted)',
      withAccount({ clientSecret: 'the-secret-id-not-the-value' }),
      'credentials',
      'copy the Value column (not the Secret ID)',
    ],
    ['an expired client secret', withAccount(CLIENT_WITH_EXPIRED_SECRET), 'credentials', 'client secret has expired (AADSTS7000222)'],
    ['an unknown client id', withAccount({ clientId: 'c0000000-0000-4000-8000-00000000dead' }), 'credentials', 'AADSTS700016'],
    ['an unknown tenant', withAccount({ tenantId: 'dddddddd-0000-4000-8000-000000000009' }), 'credentials', 'AADSTS90002'],
    ['a tenant that is not a GUID or known domain', withAccount({ tenantId: 'not-a-tenant' }), 'credentials', 'AADSTS900023'],
    [
      'Mail.Send missing as an application permission',
      withAccount(CLIENT_WITHOUT_MAIL_SEND),
      'permission',
      'Delegated instead of an Application permission',
    ],
    [
      'a sender outside the application access policy',
      withAccount({ senderEmail: 'blocked@contoso.example' }),
      'policy-denied',
      'Sender blocked@contoso.example is blocked by an Exchange application access policy',
    ],
    [
      'a sender that is not a user of the tenant',
      withAccount({ senderEmail: 'ghost@contoso.example' }),
      'sender-mailbox',
      'is not a user in this Microsoft 365 tenant',
    ],
    [
      'a mailbox not enabled for REST',
      withAccount({ senderEmail: 'inactive@contoso.example' }),
      'sender-mailbox',
      'inactive, soft-deleted, unlicensed or on-premises',
    ],
    ['a missing client secret in the settings', withAccount({ clientSecret: '' }), 'settings', 'missing Client secret'],
    ['an account that does not exist', { accounts: [], users: [] }, 'settings', 'Account acc-1 was not found'],
  ])('%s', async (_case, documents, category, reasonPart) => {
    pipeline = await fx.start({ documents });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    const end = await pipeline.waitForEnd(jobId);

    expect(end.state).toBe('failed');
    expect(end.job.attemptsMade).toBe(1);
    expect(end.state === 'failed' && end.reason).toMatch(new RegExp(`^\\[${category}\\] .*${reasonPart.replace(/[().]/g, '\\$&')}`));
    const [record] = await pipeline.deliveries.find({ jobId });
    expect(record).toMatchObject({ status: 'failed', attempts: 1, error: { category } });
    expect(fx.simulator.sent).toHaveLength(0);
  });

  it('an invalid recipient reported by Graph keeps the Graph request-id on the record', async () => {
    pipeline = await fx.start();
    fx.simulator.inject({
      on: 'sendMail',
      kind: 'status',
      status: 400,
      code: 'ErrorInvalidRecipients',
      message: 'At least one recipient is not valid.',
    });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    const end = await pipeline.waitForEnd(jobId);
    expect(end).toMatchObject({ state: 'failed', job: { attemptsMade: 1 } });
    const [record] = await pipeline.deliveries.find({ jobId });
    expect(record?.error).toMatchObject({
      category: 'invalid-recipient',
      code: 'ErrorInvalidRecipients',
      httpStatus: 400,
      graphRequestId: expect.any(String),
    });
  });
});

describe('recipient addresses Graph names stay out of everything people and tools read', () => {
  it('an unresolved recipient is named by its place in the job in failedReason, attempts, the record, logs and metrics', async () => {
    const registry = new Registry();
    pipeline = await fx.start({ observer: registerSendMetrics(registry).observer });
    const victim = 'ceo.private@fabrikam.example';
    fx.simulator.inject({
      on: 'sendMail',
      kind: 'status',
      status: 400,
      code: 'ErrorInvalidRecipients',
      message: `At least one recipient isn't valid., Recipient '${victim}' isn't resolved. All recipients must be resolved before a message can be submitted.`,
    });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail({ cc: [{ address: victim }] }));
    const end = await pipeline.waitForEnd(jobId);

    expect(end.state === 'failed' && end.reason).toContain("Recipient '<cc[0]>' isn't resolved");
    const [record] = await pipeline.deliveries.find({ jobId });
    expect(record?.error).toMatchObject({ category: 'invalid-recipient', detail: expect.stringContaining("Recipient '<cc[0]>'") });
    const job = await pipeline.queue.getJob(jobId);
    for (const [where, text] of [
      ['failedReason', job?.failedReason],
      ['stack traces', JSON.stringify(job?.stacktrace)],
      ['delivery record', JSON.stringify(record)],
      ['logs', pipeline.logs()],
      ['metrics', await registry.metrics()],
    ] as const) {
      expect({ where, leaks: String(text).toLowerCase().includes(victim) }).toEqual({ where, leaks: false });
    }
  });

  it('the sender mailbox stays named in the reason', async () => {
    pipeline = await fx.start({ documents: withAccount({ senderEmail: 'blocked@contoso.example' }) });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    const end = await pipeline.waitForEnd(jobId);
    expect(end.state === 'failed' && end.reason).toContain('Sender blocked@contoso.example is blocked');
    // The PowerShell is in the delivery record's procedure, with the mailbox named there too.
    const [record] = await pipeline.deliveries.find({ jobId });
    expect(record?.error?.procedure).toContain('Test-ApplicationAccessPolicy -Identity blocked@contoso.example');
  });
});

describe('retries', () => {
  it('a 429 with Retry-After: 2 is retried no sooner than 2 s later and then sent once', async () => {
    pipeline = await fx.start();
    fx.simulator.inject({ on: 'sendMail', kind: 'status', status: 429, retryAfter: '2' });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    const end = await pipeline.waitForEnd(jobId);

    // Flow control paused the mailbox and deferred the job: no attempt was used up.
    expect(end).toMatchObject({ state: 'completed', result: { status: 'sent' }, job: { attemptsMade: 1 } });
    expect(fx.simulator.stats.sendMailRequests).toBe(2);
    expect(fx.simulator.sent).toHaveLength(1);
    const [record] = await pipeline.deliveries.find({ jobId });
    expect(record).toMatchObject({ status: 'sent', attempts: 2 });
    // The first attempt starts before its request; the accepted retry came at least 2 s after it.
    expect(fx.simulator.sent[0]!.receivedAt - record!.createdAt.getTime()).toBeGreaterThanOrEqual(2000);
  });

  it('without flow control a 429 is an ordinary retry that uses an attempt, still after Retry-After', async () => {
    pipeline = await fx.start({ env: { FLOW_ENABLED: 'false' } });
    fx.simulator.inject({ on: 'sendMail', kind: 'status', status: 429, retryAfter: '1' });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed', job: { attemptsMade: 2 } });
    const [record] = await pipeline.deliveries.find({ jobId });
    expect(fx.simulator.sent[0]!.receivedAt - record!.createdAt.getTime()).toBeGreaterThanOrEqual(1000);
  });

  it('a 503 is retried with backoff and then sent', async () => {
    pipeline = await fx.start();
    fx.simulator.inject({ on: 'sendMail', kind: 'status', status: 503 });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed' });
    expect(fx.simulator.sent).toHaveLength(1);
    expect((await pipeline.deliveries.find({ jobId }))[0]).toMatchObject({ status: 'sent', attempts: 2, possibleDuplicate: false });
  });

  it('a token endpoint outage is retried and then sent', async () => {
    pipeline = await fx.start();
    // Retry-After: 1 keeps MSAL's own throttle (60 s by default after a 5xx) short.
    fx.simulator.inject({ on: 'token', kind: 'status', status: 503, retryAfter: '1' });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    const end = await pipeline.waitForEnd(jobId);
    expect(end).toMatchObject({ state: 'completed' });
    expect(fx.simulator.sent).toHaveLength(1);
  });

  it('gives up after the configured attempts and says so', async () => {
    pipeline = await fx.start();
    fx.simulator.inject({ on: 'sendMail', kind: 'status', status: 500, times: 10 });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    const end = await pipeline.waitForEnd(jobId, 30_000);
    expect(end).toMatchObject({ state: 'failed', job: { attemptsMade: 5 } });
    expect(end.state === 'failed' && end.reason).toMatch(/^\[transient\] Gave up after 5 attempts: Graph had a temporary problem/);
  }, 40_000);
});

describe('a 504 after Graph accepted the message (outcome unknown)', () => {
  it('is retried by default and the delivery record is flagged possibleDuplicate', async () => {
    pipeline = await fx.start();
    fx.simulator.inject({ on: 'sendMail', kind: 'accept-then-504' });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed' });
    expect(fx.simulator.sent).toHaveLength(2);
    expect((await pipeline.deliveries.find({ jobId }))[0]).toMatchObject({ status: 'sent', attempts: 2, possibleDuplicate: true });
  });

  it('fails for a person to decide with OUTCOME_UNKNOWN_POLICY=fail, sending only once', async () => {
    pipeline = await fx.start({ env: { OUTCOME_UNKNOWN_POLICY: 'fail' } });
    fx.simulator.inject({ on: 'sendMail', kind: 'accept-then-504' });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    const end = await pipeline.waitForEnd(jobId);
    expect(end).toMatchObject({ state: 'failed', job: { attemptsMade: 1 } });
    expect(end.state === 'failed' && end.reason).toMatch(/^\[unknown-outcome\] .*may have been sent.*Not retried, to avoid a duplicate/);
    expect(fx.simulator.sent).toHaveLength(1);
    expect((await pipeline.deliveries.find({ jobId }))[0]).toMatchObject({
      status: 'failed',
      possibleDuplicate: true,
      error: { category: 'unknown-outcome' },
    });
  });

  it('treats a connection reset after the request as an unknown outcome too', async () => {
    pipeline = await fx.start();
    fx.simulator.inject({ on: 'sendMail', kind: 'accept-then-reset' });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail());
    expect(await pipeline.waitForEnd(jobId)).toMatchObject({ state: 'completed' });
    expect((await pipeline.deliveries.find({ jobId }))[0]).toMatchObject({ possibleDuplicate: true, attempts: 2 });
  });
});

describe('secrets and content stay out of logs', () => {
  it('never logs the client secret, the access token or the message body, in success or failure', async () => {
    pipeline = await fx.start({
      documents: {
        accounts: [accountDocument('acc-1'), accountDocument('acc-bad', { clientSecret: 'wrong-secret-Value~XYZ' })],
        users: [],
      },
    });
    const body = '<p>Confidential salary statement 4711</p>';
    const ok = await pipeline.producer.enqueue(sampleEmail({ html: body }));
    const bad = await pipeline.producer.enqueue(sampleEmail({ accountId: 'acc-bad', html: body }));
    fx.simulator.inject({ on: 'sendMail', kind: 'status', status: 429, retryAfter: '0' });
    const retried = await pipeline.producer.enqueue(sampleEmail({ html: body }));
    await Promise.all([ok, bad, retried].map(({ jobId }) => pipeline.waitForEnd(jobId)));

    const logs = pipeline.logs();
    expect(logs).toContain('e-mail sent');
    expect(logs).toContain('AADSTS7000215');
    for (const secret of [CLIENT.clientSecret, 'wrong-secret-Value~XYZ', 'Confidential salary statement', 'Bearer ']) {
      expect(logs).not.toContain(secret);
    }
    const storedJobs = JSON.stringify(await pipeline.queue.getJobs(['completed', 'failed']));
    expect(storedJobs).not.toContain(CLIENT.clientSecret);
    expect(storedJobs).not.toContain(TENANT_ID);
  });
});
