// The dashboard's cancel route (operators only) and its audit trail: every request that would change
// something leaves an entry saying who, which route, which jobs and how it ended.
import { EMAIL_JOB_SCHEMA_VERSION } from '@omikai/graph-mailer-client';
import type { AuditEntry } from '../../src/ops/audit-log';
import { sampleEmail } from '../support/test-pipeline';
import { until } from '../../tools/until';
import { seedScenario, type Scenario } from './support/seed-scenario';
import { OPERATOR, VIEWER, as, startTestDashboard, type TestDashboard } from './support/test-dashboard';

let scenario: Scenario;
let dashboard: TestDashboard;
let audits: AuditEntry[];
beforeEach(async () => {
  scenario = await seedScenario();
  await scenario.queue.add(
    'send-email',
    { ...sampleEmail({ accountId: 'acc-9' }), schemaVersion: EMAIL_JOB_SCHEMA_VERSION },
    { jobId: 'w1' },
  );
  audits = [];
  dashboard = await startTestDashboard({
    queue: scenario.queue,
    deliveries: scenario.deliveries,
    basePath: '/email-dashboard',
    audit: { record: (entry) => audits.push(entry) },
  });
});
afterEach(async () => {
  await dashboard.close();
  await scenario.close();
});

async function call(user: typeof VIEWER, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${dashboard.url}${path}`, {
    method,
    headers: { ...as(user), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? (JSON.parse(text) as unknown) : text };
}
const cancelPath = () => `/ops/queues/${scenario.queue.name}/cancel`;
/** The audit entry is written when the answer has gone out: wait for it, not for a timer. */
const auditsSettled = async (count: number) => {
  await until(() => audits.length >= count);
  return audits;
};

describe('the cancel route', () => {
  it('lets an operator cancel jobs by id: the unsent one is cancelled, the sent one is not', async () => {
    const result = await call(OPERATOR, 'PUT', cancelPath(), { jobIds: ['w1', 's1'] });

    expect(result).toMatchObject({
      status: 200,
      body: {
        dryRun: false,
        results: [
          { jobId: 'w1', outcome: 'cancelled', state: 'waiting' },
          { jobId: 's1', outcome: 'already-sent' },
        ],
      },
    });
    expect(await scenario.queue.getJob('w1')).toBeUndefined();
    expect((await scenario.deliveries.find({ jobId: 'w1' }))[0]).toMatchObject({ status: 'cancelled', cancelledBy: OPERATOR.name });
    expect(await auditsSettled(1)).toEqual([
      {
        actor: OPERATOR.name,
        via: 'dashboard',
        role: 'operator',
        action: 'cancel',
        path: `/email-dashboard${cancelPath()}`,
        jobIds: ['w1', 's1'],
        result: 'partial',
        status: 200,
        outcomes: { cancelled: 1, 'already-sent': 1 },
      },
    ]);
  });

  it('looks before it cancels, by account or correlation, with dryRun', async () => {
    const result = await call(OPERATOR, 'PUT', cancelPath(), { accountId: 'acc-9', dryRun: true });
    expect(result).toMatchObject({ status: 200, body: { dryRun: true, results: [{ jobId: 'w1', outcome: 'would-cancel' }] } });
    expect(await scenario.queue.getJobState('w1')).toBe('waiting');
  });

  it('refuses viewers, and says so in the audit trail', async () => {
    const result = await call(VIEWER, 'PUT', cancelPath(), { jobIds: ['w1'] });
    expect(result.status).toBe(403);
    expect(await scenario.queue.getJobState('w1')).toBe('waiting');
    expect(await auditsSettled(1)).toEqual([
      expect.objectContaining({ actor: VIEWER.name, role: 'viewer', action: 'cancel', result: 'refused', status: 403 }),
    ]);
  });

  it.each([
    ['an empty body', {}],
    ['an unknown field', { jobIds: ['w1'], everything: true }],
    ['no job ids', { jobIds: [] }],
    ['text that is not JSON', 'jobIds=w1'],
  ])('answers %s with 400 and the expected shape', async (_case, body) => {
    const result = await call(OPERATOR, 'PUT', cancelPath(), body);
    expect(result).toMatchObject({ status: 400, body: { message: expect.stringContaining('{"jobIds": ["42", "43"]}') } });
    expect(await scenario.queue.getJobState('w1')).toBe('waiting');
  });
});

describe('the audit trail', () => {
  it('records an operator retry with the job id and the answer', async () => {
    expect((await call(OPERATOR, 'PUT', `/api/queues/${scenario.queue.name}/t1/retry`, {})).status).toBe(204);
    expect(await auditsSettled(1)).toEqual([
      {
        actor: OPERATOR.name,
        via: 'dashboard',
        role: 'operator',
        action: 'PUT /api/queues/:queueName/:jobId/retry',
        path: `/email-dashboard/api/queues/${scenario.queue.name}/t1/retry`,
        jobIds: ['t1'],
        result: 'done',
        status: 204,
      },
    ]);
  });

  it('records a bulk clean with the jobs that were in that state', async () => {
    expect((await call(OPERATOR, 'PUT', `/api/queues/${scenario.queue.name}/clean/failed`, {})).status).toBe(200);
    const [entry] = await auditsSettled(1);
    expect(entry).toMatchObject({ action: 'PUT /api/queues/:queueName/clean/:queueStatus', queueStatus: 'failed', result: 'done' });
    expect(entry?.jobIds?.sort()).toEqual(['p1', 'p2', 'r1', 's1', 't1', 't2', 'x1']);
  });

  it('records refusals with their reason: a viewer pausing, an operator cleaning waiting jobs', async () => {
    await call(VIEWER, 'PUT', `/api/queues/${scenario.queue.name}/pause`, {});
    await call(OPERATOR, 'PUT', `/api/queues/${scenario.queue.name}/clean/waiting`, {});
    expect(await auditsSettled(2)).toEqual([
      expect.objectContaining({
        actor: VIEWER.name,
        role: 'viewer',
        result: 'refused',
        status: 403,
        reason: expect.stringContaining('read-only'),
      }),
      expect.objectContaining({
        actor: OPERATOR.name,
        queueStatus: 'waiting',
        jobIds: ['w1'],
        result: 'refused',
        reason: expect.stringContaining('only failed or completed'),
      }),
    ]);
  });

  it('does not record reads', async () => {
    expect((await call(VIEWER, 'GET', '/api/queues')).status).toBe(200);
    expect((await call(OPERATOR, 'GET', `/api/queues/${scenario.queue.name}/p1`)).status).toBe(200);
    // A write after the reads: its entry is the only one.
    await call(OPERATOR, 'PUT', `/api/queues/${scenario.queue.name}/pause`, {});
    expect((await auditsSettled(1)).map((entry) => entry.action)).toEqual(['PUT /api/queues/:queueName/pause']);
  });
});
