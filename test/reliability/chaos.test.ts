// The chaos harness in miniature (real worker processes, an AOF Redis restarted mid-run, a store outage,
// Graph faults): nothing accepted is lost and every duplicate is flagged. `npm run chaos` runs the full size.
import { runChaos } from '../../bench/chaos/run-chaos';
import { reconcile, type ReconcileInput } from '../../bench/chaos/reconcile';
import type { DeliveryRecord } from '@omikai/graph-mailer-client';

describe('a short chaos run', () => {
  it('loses no accepted e-mail and flags every duplicate possibleDuplicate, across a SIGKILL, a Redis restart, a store outage and Graph faults', async () => {
    const lines: string[] = [];
    const summary = await runChaos({
      jobs: 300,
      enqueuePerSecond: 30,
      workers: 2,
      concurrency: 10,
      kills: 1,
      redisRestarts: 1,
      redisDownMs: 1_000,
      storeOutageMs: 3_000,
      timeoutMs: 50_000,
      log: (line) => lines.push(line),
    });
    if (!summary.passed) console.log([...lines, JSON.stringify(summary)].join('\n'));

    expect(summary).toMatchObject({ jobs: 300, lost: 0, unflaggedDuplicates: 0, workerKills: 1, redisRestarts: 1 });
    expect(summary).toMatchObject({ timedOut: false, skippedDisruptions: 0, leftRunning: 0, receivedUnknown: 0 });
    expect(summary.sent + summary.failedWithReason).toBe(300);
    expect(summary.duplicates).toBeLessThanOrEqual(summary.duplicateBudget);
    expect(summary.duplicatesElsewhere).toBeLessThanOrEqual(summary.outcomeUnknownFaults);
    expect(summary.storeCallsRefused).toBeGreaterThan(0);
  }, 90_000);
});

describe('chaos reconciliation', () => {
  const record = (jobId: string, fields: Partial<DeliveryRecord>): DeliveryRecord => ({
    jobId,
    accountId: 'acc-1',
    status: 'sent',
    attempts: 1,
    recipientCount: 1,
    possibleDuplicate: false,
    createdAt: new Date(0),
    updatedAt: new Date(0),
    ...fields,
  });
  const input = (overrides: Partial<ReconcileInput>): ReconcileInput => ({
    accepted: [
      { key: 'a', jobId: 'job-a' },
      { key: 'b', jobId: 'job-b' },
    ],
    receivedKeys: ['a', 'b'],
    recordsByJobId: new Map([
      ['job-a', record('job-a', {})],
      ['job-b', record('job-b', {})],
    ]),
    jobEnds: new Map(),
    inFlightAtKills: new Set(),
    inFlightAtRedisRestarts: new Set(),
    ...overrides,
  });

  it('counts an e-mail received twice whose record is not flagged as an unflagged duplicate', () => {
    expect(reconcile(input({ receivedKeys: ['a', 'b', 'a'] }))).toMatchObject({ sent: 2, duplicates: 1, unflaggedDuplicates: 1 });
  });

  it('counts a flagged duplicate of a job in flight at a kill as allowed', () => {
    const records = new Map([
      ['job-a', record('job-a', { possibleDuplicate: true })],
      ['job-b', record('job-b', {})],
    ]);
    const result = reconcile(input({ receivedKeys: ['a', 'a', 'b'], recordsByJobId: records, inFlightAtKills: new Set(['job-a']) }));
    expect(result).toMatchObject({ duplicates: 1, unflaggedDuplicates: 0, duplicatesAtKills: 1, flaggedPossibleDuplicate: 1 });
  });

  it('counts as lost an e-mail recorded sent that Graph never received, and one that never ended', () => {
    const records = new Map([
      ['job-a', record('job-a', {})],
      ['job-b', record('job-b', { status: 'retrying' })],
    ]);
    const result = reconcile(input({ receivedKeys: [], recordsByJobId: records, jobEnds: new Map([['job-b', { state: 'delayed' }]]) }));
    expect(result).toMatchObject({ sent: 0, lost: 2, recordedSentNotReceived: 1 });
  });

  it('counts a job that failed with a reason as failed, not lost, even without a failed record', () => {
    const records = new Map([['job-a', record('job-a', {})]]);
    const jobEnds = new Map([['job-b', { state: 'failed', failedReason: 'job stalled more than allowable limit' }]]);
    expect(reconcile(input({ receivedKeys: ['a'], recordsByJobId: records, jobEnds }))).toMatchObject({
      sent: 1,
      failedWithReason: 1,
      lost: 0,
    });
  });
});
