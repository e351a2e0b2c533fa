// The rules every DeliveryStore follows, checked against each store target.
import type {
  AttemptOutcome,
  AttemptStart,
  CancelRequest,
  DeliveryCancellation,
  DeliveryStore,
  Failure,
} from '@omikai/graph-mailer-client';
import { describeEachTarget } from './store-targets';

// Whole seconds: MongoDB keeps dates to the millisecond.
const T0 = new Date('2026-03-02T09:00:00Z');
const T1 = new Date('2026-03-02T09:01:00Z');
const T2 = new Date('2026-03-02T09:02:00Z');
const T3 = new Date('2026-03-02T09:03:00Z');

const THROTTLED: Failure = {
  category: 'throttled',
  reason: 'Graph asked us to slow down; retrying after 2 s.',
  code: 'TooManyRequests',
  httpStatus: 429,
  retryAfterMs: 2000,
};
const UNKNOWN_OUTCOME: Failure = {
  category: 'unknown-outcome',
  reason: 'No answer from Graph within 30 s; the e-mail may have been sent.',
  code: 'ETIMEDOUT',
};
const POLICY_DENIED: Failure = {
  category: 'policy-denied',
  reason: 'Sender info@contoso.com is blocked by an application access policy; ask IT to add it to the allowed group.',
  code: 'ErrorAccessDenied',
  httpStatus: 403,
  graphRequestId: 'graph-req-9',
  procedure:
    "A. Legacy application access policy:\n  1. Get-ApplicationAccessPolicy | Where-Object AppId -eq 'app-1'\nB. RBAC for Applications:",
};

function attempt(overrides: Partial<AttemptStart> = {}): AttemptStart {
  return { jobId: 'job-1', accountId: 'acct-1', subject: 'Invoice 2026-0042', recipientCount: 2, status: 'sending', now: T0, ...overrides };
}

function sent(now: Date, overrides: Partial<Extract<AttemptOutcome, { status: 'sent' }>> = {}): AttemptOutcome {
  return {
    status: 'sent',
    sender: 'billing@contoso.com',
    senderSource: 'account',
    graphRequestId: 'graph-req-1',
    clientRequestId: 'client-req-1',
    now,
    ...overrides,
  };
}

function cancelOf(overrides: Partial<CancelRequest> = {}): CancelRequest {
  return { jobId: 'job-1', accountId: 'acct-1', subject: 'Invoice 2026-0042', recipientCount: 2, by: 'olga', now: T2, ...overrides };
}

async function recordOf(store: DeliveryStore, jobId: string) {
  const [record, ...others] = await store.find({ jobId });
  expect(others).toEqual([]);
  if (!record) throw new Error(`no delivery record for ${jobId}`);
  return record;
}

describeEachTarget('delivery store contract', (target) => {
  let store: DeliveryStore & DeliveryCancellation;
  beforeEach(async () => {
    store = await target.deliveryStore();
  });

  test("the first startAttempt creates a 'sending' record with attempts 1", async () => {
    const result = await store.startAttempt(
      attempt({ userId: 'user-7', correlation: { orderId: 'SO-1001', kind: 'invoice' }, idempotencyKey: 'invoice-42' }),
    );

    expect(result).toEqual({ action: 'send', possibleDuplicate: false });
    const record = await recordOf(store, 'job-1');
    // toEqual also fails on extra keys such as _id or __v.
    expect(record).toEqual({
      jobId: 'job-1',
      accountId: 'acct-1',
      userId: 'user-7',
      status: 'sending',
      attempts: 1,
      subject: 'Invoice 2026-0042',
      recipientCount: 2,
      correlation: { orderId: 'SO-1001', kind: 'invoice' },
      idempotencyKey: 'invoice-42',
      possibleDuplicate: false,
      createdAt: T0,
      updatedAt: T0,
    });
    expect(record).not.toHaveProperty('_id');
    expect(record.createdAt).toBeInstanceOf(Date);
  });

  test("a 'queued' start records attempts 0, and a later 'sending' start makes it attempt 1", async () => {
    expect(await store.startAttempt(attempt({ status: 'queued' }))).toEqual({ action: 'send', possibleDuplicate: false });
    expect(await recordOf(store, 'job-1')).toMatchObject({ status: 'queued', attempts: 0, createdAt: T0, updatedAt: T0 });

    expect(await store.startAttempt(attempt({ now: T1 }))).toEqual({ action: 'send', possibleDuplicate: false });
    expect(await recordOf(store, 'job-1')).toMatchObject({
      status: 'sending',
      attempts: 1,
      possibleDuplicate: false,
      createdAt: T0,
      updatedAt: T1,
    });
  });

  test('a sent outcome records sentAt, graphRequestId and sender, and clears the error', async () => {
    await store.startAttempt(attempt());
    await store.finishAttempt('job-1', { status: 'retrying', error: THROTTLED, now: T1 });
    await store.startAttempt(attempt({ now: T2 }));
    await store.finishAttempt('job-1', sent(T3, { senderSource: 'user' }));

    const record = await recordOf(store, 'job-1');
    expect(record).toMatchObject({
      status: 'sent',
      attempts: 2,
      sender: 'billing@contoso.com',
      senderSource: 'user',
      graphRequestId: 'graph-req-1',
      clientRequestId: 'client-req-1',
      possibleDuplicate: false,
      sentAt: T3,
      updatedAt: T3,
    });
    expect(record.error).toBeUndefined();
    expect(record.failedAt).toBeUndefined();
  });

  test("an outcome that gives no sender fallback reason clears the previous attempt's reason", async () => {
    await store.startAttempt(attempt());
    await store.finishAttempt('job-1', {
      status: 'retrying',
      error: THROTTLED,
      sender: 'billing@contoso.com',
      senderSource: 'account',
      senderFallbackReason: 'User anna@contoso.com has no Graph sender configured; the account sender was used.',
      now: T1,
    });
    await store.startAttempt(attempt({ now: T2 }));
    await store.finishAttempt('job-1', sent(T3, { sender: 'anna@contoso.com', senderSource: 'user', senderFallbackReason: undefined }));

    const record = await recordOf(store, 'job-1');
    expect(record).toMatchObject({ sender: 'anna@contoso.com', senderSource: 'user' });
    expect(record.senderFallbackReason).toBeUndefined();
  });

  test('a startAttempt after the job was sent returns already-sent with the record', async () => {
    await store.startAttempt(attempt());
    await store.finishAttempt('job-1', sent(T1));

    const result = await store.startAttempt(attempt({ now: T2 }));

    expect(result).toEqual({ action: 'already-sent', record: await recordOf(store, 'job-1') });
    expect(await recordOf(store, 'job-1')).toMatchObject({ status: 'sent', attempts: 1, updatedAt: T1 });
  });

  test("a startAttempt that finds the record still 'sending' flags a possible duplicate, and the flag survives a later send", async () => {
    await store.startAttempt(attempt());
    // The worker died mid-send: no finishAttempt.

    expect(await store.startAttempt(attempt({ now: T1 }))).toEqual({ action: 'send', possibleDuplicate: true });
    expect(await recordOf(store, 'job-1')).toMatchObject({ status: 'sending', attempts: 2, possibleDuplicate: true });

    await store.finishAttempt('job-1', sent(T2));
    expect(await recordOf(store, 'job-1')).toMatchObject({ status: 'sent', possibleDuplicate: true });
  });

  test('a retrying outcome keeps the error and the retrying status until the next attempt', async () => {
    await store.startAttempt(attempt());
    await store.finishAttempt('job-1', {
      status: 'retrying',
      error: THROTTLED,
      sender: 'billing@contoso.com',
      senderSource: 'account',
      now: T1,
    });

    const record = await recordOf(store, 'job-1');
    expect(record).toMatchObject({ status: 'retrying', error: THROTTLED, attempts: 1, possibleDuplicate: false, updatedAt: T1 });
    expect(record.sentAt).toBeUndefined();
    expect(record.failedAt).toBeUndefined();

    // Not a duplicate: the previous attempt finished with a definite answer.
    expect(await store.startAttempt(attempt({ now: T2 }))).toEqual({ action: 'send', possibleDuplicate: false });
  });

  test('an outcome that may have reached the recipient raises possibleDuplicate, and a later outcome does not lower it', async () => {
    await store.startAttempt(attempt());
    await store.finishAttempt('job-1', { status: 'retrying', error: UNKNOWN_OUTCOME, possibleDuplicate: true, now: T1 });
    expect(await recordOf(store, 'job-1')).toMatchObject({ possibleDuplicate: true });

    expect(await store.startAttempt(attempt({ now: T2 }))).toEqual({ action: 'send', possibleDuplicate: true });
    await store.finishAttempt('job-1', { status: 'retrying', error: THROTTLED, possibleDuplicate: false, now: T3 });
    expect(await recordOf(store, 'job-1')).toMatchObject({ possibleDuplicate: true, error: THROTTLED });
  });

  test('a failed outcome records failedAt and the error', async () => {
    await store.startAttempt(attempt());
    await store.finishAttempt('job-1', {
      status: 'failed',
      error: POLICY_DENIED,
      sender: 'info@contoso.com',
      senderSource: 'account',
      now: T1,
    });

    const record = await recordOf(store, 'job-1');
    expect(record).toMatchObject({ status: 'failed', error: POLICY_DENIED, failedAt: T1, updatedAt: T1, sender: 'info@contoso.com' });
    expect(record.sentAt).toBeUndefined();
  });

  test('a late failure report does not undo a recorded send', async () => {
    await store.startAttempt(attempt());
    await store.finishAttempt('job-1', sent(T1));
    await store.finishAttempt('job-1', { status: 'failed', error: POLICY_DENIED, now: T2 });
    expect(await recordOf(store, 'job-1')).toMatchObject({ status: 'sent', sentAt: T1 });
  });

  test('a send after a failed attempt clears the error and failedAt', async () => {
    await store.startAttempt(attempt());
    await store.finishAttempt('job-1', { status: 'failed', error: POLICY_DENIED, now: T1 });
    await store.startAttempt(attempt({ now: T2 }));
    await store.finishAttempt('job-1', sent(T3));
    const record = await recordOf(store, 'job-1');
    expect(record).toMatchObject({ status: 'sent', attempts: 2 });
    expect(record.error).toBeUndefined();
    expect(record.failedAt).toBeUndefined();
  });

  test("a second job with the same account and idempotency key is a duplicate of the first job's record", async () => {
    await store.startAttempt(attempt({ idempotencyKey: 'invoice-42' }));

    const result = await store.startAttempt(attempt({ jobId: 'job-2', idempotencyKey: 'invoice-42', now: T1 }));

    expect(result).toEqual({ action: 'duplicate', record: await recordOf(store, 'job-1') });
    expect(await store.find({ jobId: 'job-2' })).toEqual([]);
  });

  test('the same idempotency key under another account is not a duplicate', async () => {
    await store.startAttempt(attempt({ idempotencyKey: 'invoice-42' }));

    const result = await store.startAttempt(attempt({ jobId: 'job-2', accountId: 'acct-2', idempotencyKey: 'invoice-42', now: T1 }));

    expect(result).toEqual({ action: 'send', possibleDuplicate: false });
    expect(await store.find({ idempotencyKey: 'invoice-42' })).toHaveLength(2);
  });

  test('a key whose owner failed is handed over to the new job', async () => {
    await store.startAttempt(attempt({ idempotencyKey: 'invoice-42' }));
    await store.finishAttempt('job-1', { status: 'failed', error: POLICY_DENIED, now: T1 });

    const result = await store.startAttempt(attempt({ jobId: 'job-2', idempotencyKey: 'invoice-42', now: T2 }));
    await store.finishAttempt('job-2', sent(T3));

    expect(result).toEqual({ action: 'send', possibleDuplicate: false });
    const owner = await recordOf(store, 'job-1');
    expect(owner.status).toBe('failed');
    expect(owner.idempotencyKey).toBeUndefined();
    const byKey = await store.find({ accountId: 'acct-1', idempotencyKey: 'invoice-42' });
    expect(byKey.map((record) => [record.jobId, record.status])).toEqual([['job-2', 'sent']]);
  });

  test("a failed job retried after its key went to another job is that job's duplicate, and its record stays as it was", async () => {
    await store.startAttempt(attempt({ idempotencyKey: 'invoice-42' }));
    await store.finishAttempt('job-1', { status: 'failed', error: POLICY_DENIED, now: T1 });
    await store.startAttempt(attempt({ jobId: 'job-2', idempotencyKey: 'invoice-42', now: T1 }));

    // The new owner is still sending, then it has sent: either way the retried job must not send.
    expect(await store.startAttempt(attempt({ idempotencyKey: 'invoice-42', now: T2 }))).toEqual({
      action: 'duplicate',
      record: await recordOf(store, 'job-2'),
    });
    await store.finishAttempt('job-2', sent(T2));
    expect(await store.startAttempt(attempt({ idempotencyKey: 'invoice-42', now: T3 }))).toEqual({
      action: 'duplicate',
      record: await recordOf(store, 'job-2'),
    });
    expect(await recordOf(store, 'job-1')).toMatchObject({ status: 'failed', attempts: 1, updatedAt: T1 });
    expect((await store.find({ idempotencyKey: 'invoice-42' })).map((record) => record.jobId)).toEqual(['job-2']);
  });

  test('a failed job retried after the job that took its key failed too takes the key back and sends', async () => {
    await store.startAttempt(attempt({ idempotencyKey: 'invoice-42' }));
    await store.finishAttempt('job-1', { status: 'failed', error: POLICY_DENIED, now: T1 });
    await store.startAttempt(attempt({ jobId: 'job-2', idempotencyKey: 'invoice-42', now: T1 }));
    await store.finishAttempt('job-2', { status: 'failed', error: POLICY_DENIED, now: T2 });

    expect(await store.startAttempt(attempt({ idempotencyKey: 'invoice-42', now: T3 }))).toEqual({
      action: 'send',
      possibleDuplicate: false,
    });
    expect(await recordOf(store, 'job-1')).toMatchObject({ status: 'sending', attempts: 2, idempotencyKey: 'invoice-42' });
    expect((await store.find({ idempotencyKey: 'invoice-42' })).map((record) => record.jobId)).toEqual(['job-1']);
    // And the other job, retried in turn, is now the duplicate.
    expect(await store.startAttempt(attempt({ jobId: 'job-2', idempotencyKey: 'invoice-42', now: T3 }))).toMatchObject({
      action: 'duplicate',
    });
  });

  test('a failed job taking its key back changes only its own record', async () => {
    await store.startAttempt(attempt({ jobId: 'job-0', now: T0 }));
    await store.startAttempt(attempt({ idempotencyKey: 'invoice-42' }));
    await store.finishAttempt('job-1', { status: 'failed', error: POLICY_DENIED, now: T1 });
    await store.startAttempt(attempt({ jobId: 'job-2', idempotencyKey: 'invoice-42', now: T1 }));
    await store.finishAttempt('job-2', { status: 'failed', error: POLICY_DENIED, now: T2 });

    expect(await store.startAttempt(attempt({ idempotencyKey: 'invoice-42', now: T3 }))).toEqual({
      action: 'send',
      possibleDuplicate: false,
    });
    expect((await store.find({ idempotencyKey: 'invoice-42' })).map((record) => record.jobId)).toEqual(['job-1']);
    expect(await recordOf(store, 'job-0')).not.toHaveProperty('idempotencyKey');
  });

  test('two jobs starting at once with one idempotency key: one sends, the other is its duplicate', async () => {
    const results = await Promise.all([
      store.startAttempt(attempt({ jobId: 'job-1', idempotencyKey: 'invoice-42' })),
      store.startAttempt(attempt({ jobId: 'job-2', idempotencyKey: 'invoice-42' })),
    ]);

    expect(results.map((result) => result.action).sort()).toEqual(['duplicate', 'send']);
    expect(await store.find({ accountId: 'acct-1', idempotencyKey: 'invoice-42' })).toHaveLength(1);
  });

  test('two attempts of one job starting at once count twice, and the second is a possible duplicate', async () => {
    const results = await Promise.all([store.startAttempt(attempt()), store.startAttempt(attempt())]);

    expect(results).toEqual(
      expect.arrayContaining([
        { action: 'send', possibleDuplicate: false },
        { action: 'send', possibleDuplicate: true },
      ]),
    );
    expect(await recordOf(store, 'job-1')).toMatchObject({ status: 'sending', attempts: 2, possibleDuplicate: true });
  });

  test('find matches records whose correlation holds all the given fields', async () => {
    await store.startAttempt(attempt({ jobId: 'job-1', correlation: { orderId: 'SO-1001', kind: 'invoice' } }));
    await store.startAttempt(attempt({ jobId: 'job-2', correlation: { orderId: 'SO-1001', kind: 'reminder' }, now: T1 }));
    await store.startAttempt(attempt({ jobId: 'job-3', correlation: { orderId: 'SO-2002', kind: 'invoice' }, now: T2 }));
    await store.startAttempt(attempt({ jobId: 'job-4', now: T3 }));

    const jobIds = async (correlation: Record<string, string>) => (await store.find({ correlation })).map((record) => record.jobId);
    expect(await jobIds({ orderId: 'SO-1001' })).toEqual(['job-2', 'job-1']);
    expect(await jobIds({ orderId: 'SO-1001', kind: 'invoice' })).toEqual(['job-1']);
    expect(await jobIds({ orderId: 'SO-1001', kind: 'receipt' })).toEqual([]);
  });

  test('find by idempotency key, by job id and by account, newest first, up to the limit', async () => {
    await store.startAttempt(attempt({ jobId: 'job-1', idempotencyKey: 'invoice-42' }));
    await store.startAttempt(attempt({ jobId: 'job-2', idempotencyKey: 'invoice-43', now: T1 }));
    await store.startAttempt(attempt({ jobId: 'job-3', accountId: 'acct-2', now: T2 }));

    expect((await store.find({ idempotencyKey: 'invoice-43' })).map((record) => record.jobId)).toEqual(['job-2']);
    expect((await store.find({ jobId: 'job-3' })).map((record) => record.accountId)).toEqual(['acct-2']);
    expect((await store.find({ accountId: 'acct-1' })).map((record) => record.jobId)).toEqual(['job-2', 'job-1']);
    expect((await store.find({ accountId: 'acct-1', limit: 1 })).map((record) => record.jobId)).toEqual(['job-2']);
    expect(await store.find({ jobId: 'job-404' })).toEqual([]);
  });

  test('finishAttempt for a job that never started rejects', async () => {
    await expect(store.finishAttempt('job-404', sent(T0))).rejects.toThrow(/No delivery record for job job-404/);
  });

  test('finishAttempt for a job that never started rejects while other jobs have records', async () => {
    await store.startAttempt(attempt());
    await expect(store.finishAttempt('job-404', sent(T0))).rejects.toThrow(/No delivery record for job job-404/);
  });

  test("a 'queued' start for a job already queued only moves updatedAt", async () => {
    await store.startAttempt(attempt({ status: 'queued' }));
    expect(await store.startAttempt(attempt({ status: 'queued', now: T1 }))).toEqual({ action: 'send', possibleDuplicate: false });
    expect(await recordOf(store, 'job-1')).toMatchObject({
      status: 'queued',
      attempts: 0,
      possibleDuplicate: false,
      createdAt: T0,
      updatedAt: T1,
    });
  });

  test("a job's next attempt changes its own record, not another job's", async () => {
    await store.startAttempt(attempt({ jobId: 'job-1' }));
    await store.finishAttempt('job-1', { status: 'retrying', error: THROTTLED, now: T1 });
    await store.startAttempt(attempt({ jobId: 'job-2', now: T1 }));
    await store.finishAttempt('job-2', { status: 'retrying', error: THROTTLED, now: T1 });
    await store.startAttempt(attempt({ jobId: 'job-2', now: T2 }));
    expect(await recordOf(store, 'job-1')).toMatchObject({ status: 'retrying', attempts: 1, updatedAt: T1 });
    expect(await recordOf(store, 'job-2')).toMatchObject({ status: 'sending', attempts: 2, updatedAt: T2 });
  });

  test('an outcome keeps the fields it does not name from the earlier attempt', async () => {
    await store.startAttempt(attempt());
    await store.finishAttempt('job-1', {
      status: 'retrying',
      error: THROTTLED,
      sender: 'billing@contoso.com',
      senderSource: 'account',
      now: T1,
    });
    await store.startAttempt(attempt({ now: T2 }));
    await store.finishAttempt('job-1', { status: 'failed', error: POLICY_DENIED, now: T3 });
    expect(await recordOf(store, 'job-1')).toMatchObject({
      status: 'failed',
      sender: 'billing@contoso.com',
      senderSource: 'account',
      error: POLICY_DENIED,
      failedAt: T3,
    });
  });

  test('an empty correlation is kept as an empty one', async () => {
    await store.startAttempt(attempt({ correlation: {} }));
    expect((await recordOf(store, 'job-1')).correlation).toEqual({});
  });

  describe('cancel', () => {
    test("cancelling a job that never started creates a 'cancelled' record from the job's facts", async () => {
      const result = await store.cancel(
        cancelOf({ userId: 'user-7', correlation: { orderId: 'SO-1001' }, idempotencyKey: 'invoice-42', now: T1 }),
      );

      const record = await recordOf(store, 'job-1');
      expect(result).toEqual({ outcome: 'cancelled', record });
      expect(record).toEqual({
        jobId: 'job-1',
        accountId: 'acct-1',
        userId: 'user-7',
        status: 'cancelled',
        attempts: 0,
        subject: 'Invoice 2026-0042',
        recipientCount: 2,
        correlation: { orderId: 'SO-1001' },
        idempotencyKey: 'invoice-42',
        possibleDuplicate: false,
        createdAt: T1,
        updatedAt: T1,
        cancelledAt: T1,
        cancelledBy: 'olga',
      });
    });

    test('cancelling a record that is retrying keeps its history and says who cancelled it', async () => {
      await store.startAttempt(attempt());
      await store.finishAttempt('job-1', {
        status: 'retrying',
        error: THROTTLED,
        sender: 'billing@contoso.com',
        senderSource: 'account',
        now: T1,
      });

      const result = await store.cancel(cancelOf({ subject: 'ignored: the record has its own', now: T2 }));

      expect(result.outcome).toBe('cancelled');
      // The record returned is the cancelled one, not the record as it was before.
      expect(result.record).toMatchObject({ status: 'cancelled', cancelledBy: 'olga', cancelledAt: T2, attempts: 1 });
      expect(await recordOf(store, 'job-1')).toMatchObject({
        status: 'cancelled',
        attempts: 1,
        subject: 'Invoice 2026-0042',
        sender: 'billing@contoso.com',
        error: THROTTLED,
        cancelledAt: T2,
        cancelledBy: 'olga',
        createdAt: T0,
        updatedAt: T2,
      });
    });

    test('a sent record is not cancelled', async () => {
      await store.startAttempt(attempt());
      await store.finishAttempt('job-1', sent(T1));

      const result = await store.cancel(cancelOf());

      expect(result).toEqual({ outcome: 'already-sent', record: await recordOf(store, 'job-1') });
      const record = await recordOf(store, 'job-1');
      expect(record).toMatchObject({ status: 'sent', sentAt: T1, updatedAt: T1 });
      expect(record.cancelledAt).toBeUndefined();
    });

    test('cancelling twice keeps the first cancel', async () => {
      await store.cancel(cancelOf({ now: T1 }));
      const again = await store.cancel(cancelOf({ by: 'anna', now: T2 }));
      expect(again).toEqual({ outcome: 'already-cancelled', record: await recordOf(store, 'job-1') });
      expect(await recordOf(store, 'job-1')).toMatchObject({ cancelledAt: T1, cancelledBy: 'olga' });
    });

    test.each(['sending', 'queued'] as const)(
      "a '%s' start on a cancelled record returns cancelled and changes nothing",
      async (status) => {
        await store.startAttempt(attempt({ status: 'queued' }));
        await store.cancel(cancelOf({ now: T1 }));

        const result = await store.startAttempt(attempt({ status, now: T2 }));

        const record = await recordOf(store, 'job-1');
        expect(result).toEqual({ action: 'cancelled', record });
        expect(record).toMatchObject({ status: 'cancelled', attempts: 0, updatedAt: T1 });
      },
    );

    test('a start for a job cancelled before its first attempt returns cancelled', async () => {
      await store.cancel(cancelOf({ now: T1 }));
      expect(await store.startAttempt(attempt({ now: T2 }))).toMatchObject({ action: 'cancelled' });
    });

    test('a failure reported after the cancel (the attempt was under way) leaves the record cancelled', async () => {
      await store.startAttempt(attempt());
      await store.cancel(cancelOf({ now: T1 }));
      await store.finishAttempt('job-1', { status: 'retrying', error: THROTTLED, now: T2 });
      await store.finishAttempt('job-1', { status: 'failed', error: POLICY_DENIED, now: T3 });

      const record = await recordOf(store, 'job-1');
      expect(record).toMatchObject({ status: 'cancelled', cancelledAt: T1, updatedAt: T1 });
      expect(record.failedAt).toBeUndefined();
      expect(await store.startAttempt(attempt({ now: T3 }))).toMatchObject({ action: 'cancelled' });
    });

    test('a send reported after the cancel is recorded: the e-mail did go out', async () => {
      await store.startAttempt(attempt());
      await store.cancel(cancelOf({ now: T1 }));
      await store.finishAttempt('job-1', sent(T2));

      expect(await recordOf(store, 'job-1')).toMatchObject({ status: 'sent', sentAt: T2, cancelledAt: T1, cancelledBy: 'olga' });
    });

    test('a cancelled record hands its idempotency key over to a new job', async () => {
      await store.startAttempt(attempt({ idempotencyKey: 'invoice-42' }));
      await store.cancel(cancelOf({ now: T1 }));

      const result = await store.startAttempt(attempt({ jobId: 'job-2', idempotencyKey: 'invoice-42', now: T2 }));

      expect(result).toEqual({ action: 'send', possibleDuplicate: false });
      expect((await store.find({ accountId: 'acct-1', idempotencyKey: 'invoice-42' })).map((r) => r.jobId)).toEqual(['job-2']);
    });

    test('cancelling a duplicate job (its key owned by another job) records the cancel without the key', async () => {
      await store.startAttempt(attempt({ idempotencyKey: 'invoice-42' }));
      await store.finishAttempt('job-1', sent(T1));

      const result = await store.cancel(cancelOf({ jobId: 'job-2', idempotencyKey: 'invoice-42', now: T2 }));

      expect(result.outcome).toBe('cancelled');
      const record = await recordOf(store, 'job-2');
      expect(record).toMatchObject({ status: 'cancelled', cancelledBy: 'olga' });
      expect(record.idempotencyKey).toBeUndefined();
      expect(await recordOf(store, 'job-1')).toMatchObject({ status: 'sent', idempotencyKey: 'invoice-42' });
    });
  });
});
