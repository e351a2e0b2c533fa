// Job data is redacted on the server: no dashboard response carries a body, an attachment or an address.
import { FlowProducer } from 'bullmq';
import { EMAIL_JOB_SCHEMA_VERSION } from '@omikai/graph-mailer-client';
import { SECRET_ATTACHMENT_TEXT, SECRET_BODY, SECRET_RECIPIENT, secretEmail } from './support/seed-failed-jobs';
import { POLICY, seedScenario, type Scenario } from './support/seed-scenario';
import { OPERATOR, VIEWER, apiRouteCalls, as, pageRoutes, startTestDashboard, type TestDashboard } from './support/test-dashboard';

const SECRETS = [
  SECRET_BODY,
  SECRET_ATTACHMENT_TEXT,
  Buffer.from(SECRET_ATTACHMENT_TEXT).toString('base64'),
  SECRET_RECIPIENT,
  'Anna Private',
];
const JOB_IDS = ['p1', 'x1', 'ok1', 'waiting1', 'delayed1', 'flow-parent', 'flow-child'];
const STATUSES = ['latest', 'failed', 'completed', 'waiting', 'delayed', 'active', 'prioritized'];

let scenario: Scenario;
let dashboard: TestDashboard;
beforeAll(async () => {
  scenario = await seedScenario();
  const data = { ...secretEmail({ idempotencyKey: 'order-77-email' }), schemaVersion: EMAIL_JOB_SCHEMA_VERSION };
  await scenario.queue.add('send-email', data, { jobId: 'waiting1' });
  await scenario.queue.add('send-email', data, { jobId: 'delayed1', delay: 3_600_000 });
  // Routes beyond the job list that return job data: scheduler templates, job logs, a flow's raw progress.
  await scenario.queue.upsertJobScheduler('nightly-statement', { every: 86_400_000 }, { name: 'send-email', data });
  await scenario.queue.addJobLog('p1', `rendering ${SECRET_BODY} for ${SECRET_RECIPIENT}`);
  await scenario.queue.addJobLog('waiting1', SECRET_ATTACHMENT_TEXT);
  const flows = new FlowProducer({ connection: { url: process.env.REDIS_URL! } });
  await flows.add({
    name: 'send-email',
    queueName: scenario.queue.name,
    data,
    opts: { jobId: 'flow-parent' },
    children: [{ name: 'send-email', queueName: scenario.queue.name, data, opts: { jobId: 'flow-child' } }],
  });
  await flows.close();
  const child = await scenario.queue.getJob('flow-child');
  await child!.updateProgress({ preview: SECRET_BODY, to: SECRET_RECIPIENT });
  dashboard = await startTestDashboard({ queue: scenario.queue, deliveries: scenario.deliveries });
});
afterAll(async () => {
  await dashboard.close();
  await scenario.close();
});

async function get(path: string, user = OPERATOR): Promise<string> {
  const response = await fetch(`${dashboard.url}${path}`, { headers: as(user) });
  return `${response.status} ${await response.text()}`;
}

describe('redaction', () => {
  it('no page or read API response, for any job or list, contains the body, the attachment or a recipient', async () => {
    const queueName = scenario.queue.name;
    const paths = [
      ...JOB_IDS.flatMap((jobId) =>
        apiRouteCalls({ queueName, jobId })
          .filter(({ method }) => method === 'GET')
          .map(({ path }) => path),
      ),
      ...STATUSES.map((status) => `/api/queues?activeQueue=${queueName}&status=${status}&page=1&jobsPerPage=50`),
      ...pageRoutes({ queueName, jobId: 'p1' }),
      `/api/job-schedulers?queueName=${queueName}`,
      '/api/queues/' + queueName + '/flow-child/flow?root=node',
    ];
    const responses = await Promise.all([...new Set(paths)].flatMap((path) => [get(path), get(path, VIEWER)]));
    expect(responses.length).toBeGreaterThan(60);
    const everything = responses.join('\n');
    expect(everything).toContain('Invoice 1042'); // the responses do carry the jobs
    expect(everything).toContain('nightly-statement'); // and the scheduler
    expect(everything).toContain('"isFlowNode":true'); // and the flow
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
  });

  it('shows a job scheduler with the summary of its template, not the e-mail', async () => {
    const body = JSON.parse((await get('/api/job-schedulers', VIEWER)).slice(4)) as { schedulers: { template?: unknown }[] };
    expect(body.schedulers).toEqual([
      expect.objectContaining({
        name: 'send-email',
        template: { data: expect.objectContaining({ subject: 'Invoice 1042', recipientCount: 1, attachmentCount: 1 }) },
      }),
    ]);
  });

  it('says that job logs are hidden, and how many lines there are', async () => {
    const body = JSON.parse((await get(`/api/queues/${scenario.queue.name}/p1/logs`, VIEWER)).slice(4)) as unknown;
    expect(body).toEqual([expect.stringMatching(/^1 log line hidden: job logs may quote the e-mail/)]);
  });

  it('shows subject, recipient count, attachment names, types and sizes, account, correlation and idempotency key of a job', async () => {
    const body = JSON.parse((await get(`/api/queues/${scenario.queue.name}/waiting1`)).slice(4)) as {
      job: { data: unknown; name: string };
    };
    expect(body.job.name).toBe('send-email: Invoice 1042');
    expect(body.job.data).toEqual({
      accountId: 'acc-1',
      subject: 'Invoice 1042',
      recipientCount: 1,
      attachmentCount: 1,
      attachments: [{ name: 'statement.txt', contentType: 'text/plain', bytes: 33 }],
      correlation: { documentType: 'invoice', documentId: '1042' },
      idempotencyKey: 'order-77-email',
    });
  });

  it('shows a failed job with its plain-language reason instead of a stack trace, and the sender from the delivery record', async () => {
    const body = JSON.parse((await get(`/api/queues/${scenario.queue.name}/p1`)).slice(4)) as { job: Record<string, unknown> };
    expect(body.job.failedReason).toBe(
      `[policy-denied] ${POLICY.reason} Runbook: docs/runbook.md#policy-denied (Graph request-id req-policy-1)`,
    );
    expect(String(body.job.failedReason).length).toBeLessThanOrEqual(400);
    expect(body.job.stacktrace).toEqual([]);
    expect(body.job.data).toMatchObject({
      delivery: { status: 'failed', attempts: 1, sender: 'blocked@contoso.example', senderSource: 'account' },
      attemptErrors: [expect.stringMatching(/^\[policy-denied\] Sender blocked@contoso.example is blocked/)],
    });
  });

  it('shows what a completed job returned: the sender and the Graph request-id', async () => {
    const body = JSON.parse((await get(`/api/queues/${scenario.queue.name}/ok1`)).slice(4)) as { job: Record<string, unknown> };
    expect(body.job.returnValue).toEqual({
      status: 'sent',
      sender: 'info@contoso.example',
      senderSource: 'account',
      graphRequestId: 'req-sent-1',
      deliveryRecorded: true,
    });
  });
});
