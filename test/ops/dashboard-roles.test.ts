// What viewers and operators may change through the dashboard's API, checked on the server.
import { seedScenario, type Scenario } from './support/seed-scenario';
import { OPERATOR, VIEWER, apiRouteCalls, as, startTestDashboard, type TestDashboard } from './support/test-dashboard';

let scenario: Scenario;
let dashboard: TestDashboard;
beforeEach(async () => {
  scenario = await seedScenario();
  dashboard = await startTestDashboard({ queue: scenario.queue, deliveries: scenario.deliveries });
});
afterEach(async () => {
  await dashboard.close();
  await scenario.close();
});

async function call(user: typeof VIEWER, method: string, path: string, body: unknown = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${dashboard.url}${path}`, {
    method,
    headers: { ...as(user), ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) },
    ...(method === 'GET' ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

const snapshot = async () => ({
  counts: await scenario.queue.getJobCounts(),
  paused: await scenario.queue.isPaused(),
  p1: await scenario.queue.getJobState('p1'),
});

describe('a viewer', () => {
  it('gets our own 403 with the reason from every write endpoint, and nothing changes', async () => {
    const before = await snapshot();
    const writes = apiRouteCalls({ queueName: scenario.queue.name, jobId: 'p1' }).filter(({ method }) => method !== 'GET');
    expect(writes.map(({ path }) => path.split('/').pop())).toEqual(
      expect.arrayContaining(['retry', 'failed', 'promote', 'clean', 'pause', 'resume', 'add', 'empty', 'obliterate', 'update-data']),
    );
    for (const { method, path } of writes) {
      const { status, body } = await call(VIEWER, method, path, { name: 'send-email', data: {}, force: true });
      // 403 from our route policy, with its message; Bull Board's read-only 405 would mean the policy let it through.
      expect([method, path, status, typeof (body as { message?: unknown } | undefined)?.message]).toEqual([method, path, 403, 'string']);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('is shown the board in read-only mode, without retry buttons', async () => {
    const { body } = await call(VIEWER, 'GET', '/api/queues');
    expect(body).toMatchObject({ queues: [{ name: scenario.queue.name, readOnlyMode: true, allowRetries: false }] });
  });
});

describe('an operator', () => {
  it('can retry a failed job', async () => {
    expect((await call(OPERATOR, 'PUT', `/api/queues/${scenario.queue.name}/t1/retry`)).status).toBe(204);
    expect(await scenario.queue.getJobState('t1')).toBe('waiting');
  });

  it('can pause and resume the queue', async () => {
    expect((await call(OPERATOR, 'PUT', `/api/queues/${scenario.queue.name}/pause`)).status).toBe(200);
    expect(await scenario.queue.isPaused()).toBe(true);
    expect((await call(OPERATOR, 'PUT', `/api/queues/${scenario.queue.name}/resume`)).status).toBe(200);
    expect(await scenario.queue.isPaused()).toBe(false);
  });

  it('cannot retry a completed job: that e-mail was sent', async () => {
    const one = await call(OPERATOR, 'PUT', `/api/queues/${scenario.queue.name}/ok1/retry`);
    expect(one).toMatchObject({ status: 403, body: { message: expect.stringContaining('nobody gets an e-mail twice') } });
    expect((await call(OPERATOR, 'PUT', `/api/queues/${scenario.queue.name}/retry/completed`)).status).toBe(403);
    expect(await scenario.queue.getJobState('ok1')).toBe('completed');
  });

  it.each([
    ['add a job', 'POST', 'add', 'without its body'],
    ['edit job data', 'PATCH', 'p1/update-data', 'without its body'],
    ['empty the queue', 'PUT', 'empty', 'drop e-mails nobody has sent'],
    ['obliterate the queue', 'PUT', 'obliterate', 'drop e-mails nobody has sent'],
    ['change the rate limit', 'PUT', 'rate-limit', 'ops CLI'],
  ])('cannot %s, and is told why', async (_case, method, suffix, why) => {
    const before = await snapshot();
    const result = await call(OPERATOR, method, `/api/queues/${scenario.queue.name}/${suffix}`, {
      name: 'send-email',
      data: {},
      force: true,
    });
    expect(result).toMatchObject({ status: 403, body: { message: expect.stringContaining(why) } });
    expect(await snapshot()).toEqual(before);
  });
});
