// The dashboard's allow-list against Bull Board's own route table: every route is allowed or refused
// on purpose, a route Bull Board adds later is refused until reviewed, and what operators may remove.
import { appRoutes, buildHistoryRoutes } from '@bull-board/api/dist/routes.js';
import type { HTTPMethod, MetricsHistoryProvider } from '@bull-board/api/dist/types';
import { DASHBOARD_ROLES } from '../../src/dashboard/dashboard-users';
import { MAX_JOBS_PER_PAGE, REDACTED_ROUTES, createBoardPolicy, routeVerdict } from '../../src/dashboard/route-policy';
import { seedScenario, type Scenario } from './support/seed-scenario';
import { OPERATOR, VIEWER, as, startTestDashboard, type TestDashboard } from './support/test-dashboard';

/** Responses that carry jobs or job data (Bull Board's own names for them). */
const JOB_DATA_RESPONSES = new Set([
  'GetQueuesResponse',
  'GetJobResponse',
  'GetJobSchedulersResponse',
  'GetJobLogsResponse',
  'GetJobFlowResponse',
]);

/** Every route Bull Board can serve: its table, plus the routes a history provider would add. */
function bullBoardRoutes(): { key: string; method: string; route: string; response: string }[] {
  const provider = { getHistory: async () => [], getUsage: async () => ({}), purge: async () => ({}), getLatency: async () => ({}) };
  const history = buildHistoryRoutes(provider as unknown as MetricsHistoryProvider, { hasUsage: true, canPurge: true, hasLatency: true });
  return [...appRoutes.api, ...history].flatMap((definition) => {
    const methods = Array.isArray(definition.method) ? definition.method : [definition.method];
    const routes = Array.isArray(definition.route) ? definition.route : [definition.route];
    return methods.flatMap((method) =>
      routes.map((route) => ({ key: `${method} ${route}`, method, route, response: definition.spec.response as string })),
    );
  });
}

describe("Bull Board's route table", () => {
  const routes = bullBoardRoutes();

  it('has the routes this review looked at (a sanity check that the table was found)', () => {
    expect(routes.length).toBeGreaterThan(35);
    expect(routes.map((r) => r.key)).toEqual(
      expect.arrayContaining([
        'get /api/job-schedulers',
        'get /api/queues/:queueName/:jobId/logs',
        'get /api/queues/:queueName/:jobId/flow',
      ]),
    );
  });

  it.each(DASHBOARD_ROLES)('every route is either allowed for the role %s or refused on purpose', (role) => {
    const unreviewed = routes.filter(({ method, route }) => {
      const verdict = routeVerdict(role, method, route);
      return !verdict.allowed && !verdict.reviewed;
    });
    expect(unreviewed.map((r) => r.key)).toEqual([]);
  });

  it('a viewer may only read', () => {
    const viewerWrites = routes.filter(({ method, route }) => method !== 'get' && routeVerdict('viewer', method, route).allowed);
    expect(viewerWrites.map((r) => r.key)).toEqual([]);
  });

  it('every allowed route that returns job data is redacted', () => {
    const allowed = routes.filter(({ method, route }) => DASHBOARD_ROLES.some((role) => routeVerdict(role, method, route).allowed));
    const unredacted = allowed.filter(({ key, response }) => JOB_DATA_RESPONSES.has(response) && !REDACTED_ROUTES.has(key));
    expect(unredacted.map((r) => r.key)).toEqual([]);
  });

  it.each(DASHBOARD_ROLES)('a route the table does not know is refused for the role %s, with a message saying why', async (role) => {
    const policy = createBoardPolicy(role);
    for (const method of ['get', 'put'] as HTTPMethod[]) {
      const result = await policy({ method, route: '/api/queues/:queueName/:jobId/new-feature', request: {} as never });
      expect(result).toMatchObject({ allow: false, status: 403, message: expect.stringContaining('not on the dashboard') });
    }
  });
});

describe('over HTTP', () => {
  let scenario: Scenario;
  let dashboard: TestDashboard;
  beforeEach(async () => {
    scenario = await seedScenario();
    await scenario.queue.add('send-email', { subject: 'Waiting' }, { jobId: 'w1' });
    await scenario.queue.add('send-email', { subject: 'Later' }, { jobId: 'd1', delay: 3_600_000 });
    dashboard = await startTestDashboard({ queue: scenario.queue, deliveries: scenario.deliveries });
  });
  afterEach(async () => {
    await dashboard.close();
    await scenario.close();
  });

  const put = (path: string, user = OPERATOR) =>
    fetch(`${dashboard.url}${path}`, { method: 'PUT', headers: { ...as(user), 'content-type': 'application/json' }, body: '{}' });
  const q = () => `/api/queues/${scenario.queue.name}`;

  it.each(['waiting', 'wait', 'delayed', 'paused', 'prioritized', 'active', 'waiting-children'])(
    'an operator cannot clean %s jobs: that would drop e-mails nobody has sent',
    async (status) => {
      const before = await scenario.queue.getJobCounts();
      const response = await put(`${q()}/clean/${status}`);
      expect(response.status).toBe(403);
      expect(((await response.json()) as { message: string }).message).toContain('only failed or completed');
      expect(await scenario.queue.getJobCounts()).toEqual(before);
    },
  );

  it('an operator can clean failed and completed jobs', async () => {
    expect((await put(`${q()}/clean/failed`)).status).toBe(200);
    expect((await put(`${q()}/clean/completed`)).status).toBe(200);
    // Bull Board cleans with a 5 s grace period: jobs that ended within it stay.
    expect((await scenario.queue.getJobCounts('waiting', 'delayed')).waiting).toBe(1);
  });

  it('an operator can remove one failed or completed job, but not one that waits to be sent', async () => {
    expect((await put(`${q()}/w1/clean`)).status).toBe(403);
    expect((await put(`${q()}/d1/clean`)).status).toBe(403);
    expect(await scenario.queue.getJobState('w1')).toBe('waiting');
    expect(await scenario.queue.getJobState('d1')).toBe('delayed');
    expect((await put(`${q()}/p2/clean`)).status).toBe(204);
    expect((await put(`${q()}/ok1/clean`)).status).toBe(204);
    expect(await scenario.queue.getJob('p2')).toBeUndefined();
  });

  it(`loads at most ${MAX_JOBS_PER_PAGE} jobs per page, whatever jobsPerPage asks for`, async () => {
    await scenario.queue.addBulk(Array.from({ length: 120 }, (_, i) => ({ name: 'send-email', data: { subject: `Bulk ${i}` } })));
    const response = await fetch(
      `${dashboard.url}/api/queues?activeQueue=${scenario.queue.name}&status=waiting&page=1&jobsPerPage=100000`,
      {
        headers: as(VIEWER),
      },
    );
    const body = (await response.json()) as { queues: { jobs: unknown[]; pagination: { pageCount: number } }[] };
    expect(body.queues[0]?.jobs).toHaveLength(MAX_JOBS_PER_PAGE);
    expect(body.queues[0]?.pagination.pageCount).toBe(2);
  });
});
