// Every setup mistake, reproduced against the simulator, gets its own message — the same one in
// verify, in the delivery record and in the job's failedReason (what the dashboard shows).
import { startGraphSimulator, type GraphSimulator } from '../../tools/graph-simulator/graph-simulator';
import { openPipelineCount, sampleEmail, startTestPipeline, type TestPipeline } from '../support/test-pipeline';
import { MAILBOXES, SECRET, diagnosticsFixture, stepOf, verifyAgainst, withAccount, type DiagnosticsFixture } from './diagnostics-kit';
import { SETUP_MISTAKES, type SetupMistake } from './setup-mistakes';
import { MAX_FAILED_REASON_CHARS, parseFailedReason } from '@omikai/graph-mailer-client';

let fixture: DiagnosticsFixture;
let simulator: GraphSimulator;
let pipeline: TestPipeline | undefined;

beforeAll(async () => {
  fixture = await diagnosticsFixture();
  simulator = await startGraphSimulator({ tenants: fixture.tenants });
});
afterAll(() => simulator.close());
beforeEach(() => {
  simulator.reset();
  simulator.setClockSkewSeconds(0);
});
afterEach(async () => {
  await pipeline?.close();
  pipeline = undefined;
  expect(openPipelineCount()).toBe(0);
});

function arrange(mistake: SetupMistake): void {
  simulator.setClockSkewSeconds(mistake.clockSkewSeconds ?? 0);
  if (mistake.fault) simulator.inject({ on: 'sendMail', kind: 'status', mailbox: MAILBOXES.info, ...mistake.fault });
}

describe.each(SETUP_MISTAKES)('$name', (mistake) => {
  it(`fails verify at the ${mistake.step} step with ${mistake.code}, its reason and the setup step to fix it`, async () => {
    arrange(mistake);
    const report = await verifyAgainst(simulator, withAccount(mistake.graph(fixture)), { sendTestTo: 'admin@fabrikam.example' });
    const failed = stepOf(report, mistake.step);

    expect(report.ok).toBe(false);
    expect(failed).toMatchObject({ status: 'failed', code: mistake.code });
    expect(failed.reason).toContain(mistake.says);
    expect(failed.fix ?? '').toContain(mistake.fix);
    expect(JSON.stringify(report)).not.toContain(SECRET);
    expect(JSON.stringify(report)).not.toContain(fixture.certificate.privateKeyPem.split('\n')[1]!);
  });

  it('gives the delivery record and the failedReason the very reason verify gives', async () => {
    arrange(mistake);
    const expected = stepOf(
      await verifyAgainst(simulator, withAccount(mistake.graph(fixture)), { sendTestTo: 'admin@fabrikam.example' }),
      mistake.step,
    );
    simulator.reset();
    arrange(mistake);
    pipeline = await startTestPipeline({ simulator, documents: withAccount(mistake.graph(fixture)) });
    const { jobId } = await pipeline.producer.enqueue(sampleEmail({ accountId: 'acc-1' }));
    const end = await pipeline.waitForEnd(jobId);
    const [record] = await pipeline.deliveries.find({ jobId });

    expect(end.state).toBe('failed');
    expect(record?.error).toMatchObject({ category: mistake.category, code: mistake.code, reason: expected.reason });
    const failedReason = end.state === 'failed' ? end.reason : '';
    expect(parseFailedReason(failedReason)).toMatchObject({ category: mistake.category, reason: expected.reason });
    expect(failedReason.length).toBeLessThanOrEqual(MAX_FAILED_REASON_CHARS);
    expect(record?.error?.procedure).toBe(expected.procedure);
    for (const output of [pipeline.logs(), failedReason, JSON.stringify(record)]) {
      expect(output).not.toContain(SECRET);
      expect(output).not.toContain(fixture.strayCertificate.privateKeyPem.split('\n')[1]!);
      expect(output).not.toContain(fixture.certificate.privateKeyPem.split('\n')[1]!);
    }
  });
});
