// Nothing of the dashboard answers without a user: pages, static files and every API route.
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { basicAuthHeader } from './support/http';
import { VIEWER, apiRouteCalls, as, pageRoutes, startTestDashboard, staticAssetPaths, type TestDashboard } from './support/test-dashboard';

let queue: Queue;
let dashboard: TestDashboard;
beforeAll(async () => {
  queue = new Queue(`test-${randomUUID()}`, { connection: { url: process.env.REDIS_URL! } });
  await queue.add('send-email', { subject: 'Invoice 1042' }, { jobId: 'j1' });
  dashboard = await startTestDashboard({ queue });
});
afterAll(async () => {
  await dashboard.close();
  await queue.obliterate({ force: true });
  await queue.close();
});

const params = () => ({ queueName: queue.name, jobId: 'j1' });

async function statusOf(
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; challenge: string | null }> {
  const response = await fetch(`${dashboard.url}${path}`, {
    method,
    headers: { ...headers, ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) },
    ...(method === 'GET' ? {} : { body: '{}' }),
  });
  await response.arrayBuffer();
  return { status: response.status, challenge: response.headers.get('www-authenticate') };
}

describe('without credentials', () => {
  it('every page answers 401 with a Basic challenge', async () => {
    for (const path of [...pageRoutes(params()), '/no-such-page']) {
      expect([path, await statusOf('GET', path)]).toEqual([
        path,
        { status: 401, challenge: 'Basic realm="Omikai e-mail dashboard", charset="UTF-8"' },
      ]);
    }
  });

  it('every static asset answers 401', async () => {
    const assets = staticAssetPaths();
    expect(assets.length).toBeGreaterThan(10);
    for (const path of assets) expect([path, (await statusOf('GET', path)).status]).toEqual([path, 401]);
  });

  it('every API route, reading or writing, answers 401', async () => {
    const calls = apiRouteCalls(params());
    expect(calls.length).toBeGreaterThan(30);
    for (const { method, path } of calls) expect([method, path, (await statusOf(method, path)).status]).toEqual([method, path, 401]);
    expect(await queue.getJobState('j1')).toBe('waiting');
  });
});

describe('with wrong credentials', () => {
  it.each([
    ['a wrong password', basicAuthHeader(VIEWER.name, 'not-the-password')],
    ['an unknown user', basicAuthHeader('mallory', VIEWER.password)],
    ['a header without a colon', { authorization: `Basic ${Buffer.from('victor').toString('base64')}` }],
    ['a Bearer token', { authorization: 'Bearer abc' }],
  ])('%s gets 401', async (_case, headers) => {
    expect((await statusOf('GET', '/api/queues', headers)).status).toBe(401);
    expect((await statusOf('GET', '/', headers)).status).toBe(401);
  });
});

describe('with credentials', () => {
  it('the board, its assets and its API answer', async () => {
    const page = await fetch(`${dashboard.url}/`, { headers: as(VIEWER) });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    const [asset] = staticAssetPaths().filter((path) => path.endsWith('.css'));
    expect((await statusOf('GET', asset!, as(VIEWER))).status).toBe(200);
    expect((await statusOf('GET', '/api/queues', as(VIEWER))).status).toBe(200);
  });
});

describe('under a base path', () => {
  it('asks for credentials inside and outside the base path, and serves the board under it', async () => {
    const mounted = await startTestDashboard({ queue, basePath: '/email-dashboard' });
    try {
      const origin = mounted.url.replace('/email-dashboard', '');
      expect((await fetch(`${origin}/`)).status).toBe(401);
      expect((await fetch(`${mounted.url}/api/queues`)).status).toBe(401);
      const page = await fetch(`${mounted.url}/`, { headers: as(VIEWER) });
      expect(await page.text()).toContain('<base href="/email-dashboard/"');
      expect((await fetch(`${mounted.url}/api/queues`, { headers: as(VIEWER) })).status).toBe(200);
    } finally {
      await mounted.close();
    }
  });
});
