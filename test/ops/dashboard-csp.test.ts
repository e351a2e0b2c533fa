// The dashboard's Content-Security-Policy: nothing inline but Bull Board's own fixed styles, nothing
// from other hosts. test/browser/ proves the board works under it in Chromium without a violation.
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { contentSecurityPolicy, readBullBoardInlineStyles } from '../../src/dashboard/content-security-policy';
import { VIEWER, as, startTestDashboard, type TestDashboard } from './support/test-dashboard';

describe('the policy', () => {
  const policy = contentSecurityPolicy(readBullBoardInlineStyles());

  it('allows scripts, styles and API calls from the dashboard only, and no inline script', () => {
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("connect-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain('unsafe-inline');
    expect(policy).not.toContain('unsafe-eval');
    expect(policy).not.toMatch(/https?:/);
  });

  it("allows exactly Bull Board's fixed inline styles, by hash", () => {
    const inline = readBullBoardInlineStyles();
    expect(inline.elements).toEqual(expect.arrayContaining([expect.stringContaining('@keyframes bb-pulse')]));
    expect(inline.elements.some((text) => text.includes('.rds-b1'))).toBe(true);
    expect(inline.attributes.length).toBeGreaterThan(0);
    expect(policy.match(/'sha256-[A-Za-z0-9+/]+={0,2}'/g)).toHaveLength(inline.elements.length + inline.attributes.length);
  });
});

describe('over HTTP', () => {
  let queue: Queue;
  let dashboard: TestDashboard;
  beforeAll(async () => {
    queue = new Queue(`test-${randomUUID()}`, { connection: { url: process.env.REDIS_URL! } });
    dashboard = await startTestDashboard({ queue });
  });
  afterAll(async () => {
    await dashboard.close();
    await queue.close();
  });

  it('sends the policy with every answer, and the page without the Google Fonts link', async () => {
    const page = await fetch(`${dashboard.url}/`, { headers: as(VIEWER) });
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('<div id="root">');
    expect(html).not.toContain('fonts.googleapis.com');
    const api = await fetch(`${dashboard.url}/api/queues`, { headers: as(VIEWER) });
    expect(api.headers.get('content-security-policy')).toContain("default-src 'none'");
  });
});
