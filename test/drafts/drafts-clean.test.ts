// `ops drafts clean`: deletes the worker's tagged drafts older than the sweep age, and nothing else.
import pino from 'pino';
import { resolveCloudEndpoints } from '../../src/graph/clouds';
import { GraphDraftClient } from '../../src/graph/draft-client';
import { MsalTokenProvider } from '../../src/graph/token-provider';
import type { DraftsAccess } from '../../src/ops/cli/drafts-command';
import { startGraphSimulator, type GraphSimulator } from '../../tools/graph-simulator/graph-simulator';
import { runCli } from '../ops/support/run-cli';
import { CLIENT, PIPELINE_TENANTS, TENANT_ID } from '../support/test-pipeline';

let simulator: GraphSimulator;
beforeAll(async () => {
  simulator = await startGraphSimulator({ tenants: PIPELINE_TENANTS });
});
afterAll(() => simulator.close());

const DAY_MS = 24 * 3600_000;

it('deletes only tagged drafts older than the sweep age, in each mailbox named', async () => {
  const cloud = resolveCloudEndpoints('global', { loginBaseUrl: simulator.url, graphBaseUrl: simulator.url });
  const tokens = new MsalTokenProvider({ cloud, logger: pino({ level: 'silent' }), timeoutMs: 5000 });
  const graph = new GraphDraftClient({ graphBaseUrl: simulator.url, timeoutMs: 5000 });
  const credentials = { tenantId: TENANT_ID, ...CLIENT };
  const routeOf = (sender: string) => ({ sender, credentials });
  const { accessToken } = await tokens.getAccessToken(credentials);

  const old = await graph.createDraft(routeOf('info@contoso.example'), { subject: 'old' }, 'job-old', accessToken, 'r1');
  const recent = await graph.createDraft(routeOf('info@contoso.example'), { subject: 'recent' }, 'job-new', accessToken, 'r2');
  const otherBox = await graph.createDraft(routeOf('anna@contoso.example'), { subject: 'old too' }, 'job-anna', accessToken, 'r3');
  if (!old.ok || !recent.ok || !otherBox.ok) throw new Error('drafts not created');
  const twoDaysAgo = new Date(Date.now() - 2 * DAY_MS).toISOString();
  for (const id of [old.value.id, otherBox.value.id]) simulator.items.messages.get(id)!.createdDateTime = twoDaysAgo;
  // A person's own old draft has no tag: it stays.
  simulator.items.create(
    { mailbox: 'info@contoso.example', tenantId: TENANT_ID, message: { subject: 'mine' }, immutableId: true },
    new Date(Date.now() - 3 * DAY_MS),
  );

  const drafts: DraftsAccess = {
    graph,
    sweepAgeMs: DAY_MS,
    routeFor: async (_accountId, mailbox) => ({ route: routeOf(mailbox ?? 'info@contoso.example'), accessToken }),
  };
  const dry = await runCli(['drafts', 'clean', '--account', 'acc-1', '--dry-run'], { drafts });
  expect(dry).toMatchObject({ code: 0, stdout: expect.stringContaining('info@contoso.example: 1 draft(s) left by the worker') });
  expect(simulator.stats.draftsDeleted).toBe(0);

  const run = await runCli(['drafts', 'clean', '--account', 'acc-1', '--mailbox', 'info@contoso.example,anna@contoso.example', '--json'], {
    drafts,
  });
  expect(run.code).toBe(0);
  expect(run.json()).toMatchObject({
    mailboxes: [
      { mailbox: 'info@contoso.example', found: 1, deleted: 1, failed: [] },
      { mailbox: 'anna@contoso.example', found: 1, deleted: 1, failed: [] },
    ],
  });
  const subjects = [...simulator.items.messages.values()].map((item) => item.message.subject).sort();
  expect(subjects).toEqual(['mine', 'recent']);
});
