// What only the MongoDB delivery store has to get right: field names that MongoDB would read as paths or
// operators, and two stores on one collection in one process (the worker and the ops commands).
import { randomUUID } from 'node:crypto';
import type { AttemptOutcome, AttemptStart } from '@omikai/graph-mailer-client';
import { MongoDeliveryStore } from '../../src/delivery/mongo-delivery-store';
import { describeEachMongoTarget } from './store-targets';

const T0 = new Date('2026-03-02T09:00:00Z');
const T1 = new Date('2026-03-02T09:01:00Z');

describeEachMongoTarget('MongoDB delivery store', (target) => {
  const collectionName = () => `deliveries-${randomUUID()}`;

  test('refuses to search a correlation field with a dot or a leading $, which MongoDB would read as a path or an operator', async () => {
    const store = new MongoDeliveryStore(target.database(), collectionName());
    await expect(store.find({ correlation: { 'order.id': 'SO-1' } })).rejects.toThrow(/Correlation field "order\.id" cannot be searched/);
    await expect(store.find({ correlation: { $where: 'true' } })).rejects.toThrow(/Correlation field "\$where" cannot be searched/);
    // A $ inside or at the end of the name is an ordinary field name.
    expect(await store.find({ correlation: { price$: '1' } })).toEqual([]);
  });

  test('two stores on one collection in one process share its records', async () => {
    const name = collectionName();
    const worker = new MongoDeliveryStore(target.database(), name);
    const ops = new MongoDeliveryStore(target.database(), name);
    await worker.startAttempt({
      jobId: 'job-1',
      accountId: 'acct-1',
      subject: 'Invoice 2026-0042',
      recipientCount: 1,
      status: 'sending',
      now: T0,
    });
    expect(await ops.find({ jobId: 'job-1' })).toEqual([expect.objectContaining({ jobId: 'job-1', status: 'sending', attempts: 1 })]);
  });

  test('a record the schema refuses is an error at once, not taken for a lost race and tried again', async () => {
    const store = new MongoDeliveryStore(target.database(), collectionName());
    const start = {
      jobId: 'job-1',
      accountId: 'acct-1',
      subject: 'Invoice 2026-0042',
      recipientCount: Number.NaN,
      status: 'sending' as const,
      now: T0,
    };
    await expect(store.startAttempt(start)).rejects.toThrow(/recipientCount/);
    await expect(store.cancel({ jobId: 'job-2', accountId: 'acct-1', recipientCount: Number.NaN, by: 'olga', now: T0 })).rejects.toThrow(
      /recipientCount/,
    );
    expect(await store.find({})).toEqual([]);
  });

  describe('records the schema refuses', () => {
    const start = (overrides: Record<string, unknown>) =>
      ({
        jobId: 'job-1',
        accountId: 'acct-1',
        subject: 'Invoice 2026-0042',
        recipientCount: 1,
        status: 'sending',
        now: T0,
        ...overrides,
      }) as AttemptStart;

    test.each([
      ['without an account', { accountId: undefined }, /accountId/],
      ['without a status', { status: undefined }, /status/],
      ['with a status that is not one of the record states', { status: 'bouncing' }, /status/],
      ['without a recipient count', { recipientCount: undefined }, /recipientCount/],
      ['without a time', { now: undefined }, /updatedAt/],
    ])('a start %s is refused and writes nothing', async (_what, overrides, field) => {
      const store = new MongoDeliveryStore(target.database(), collectionName());
      await expect(store.startAttempt(start(overrides))).rejects.toThrow(field);
      expect(await store.find({})).toEqual([]);
    });

    const RETRYING = { status: 'retrying', error: { category: 'throttled', reason: 'Graph asked us to slow down.' }, now: T1 };
    test.each([
      ['a status that is not one of the record states', { ...RETRYING, status: 'bouncing' }, /status/],
      ['a sender source that is neither account nor user', { ...RETRYING, sender: 'a@contoso.com', senderSource: 'robot' }, /senderSource/],
      ['an error without a category', { ...RETRYING, error: { reason: 'Graph asked us to slow down.' } }, /error\.category/],
      ['an error without a reason', { ...RETRYING, error: { category: 'throttled' } }, /error\.reason/],
    ])('an outcome with %s is refused and the record stays as it was', async (_what, outcome, field) => {
      const store = new MongoDeliveryStore(target.database(), collectionName());
      await store.startAttempt(start({}));
      const before = await store.find({ jobId: 'job-1' });

      await expect(store.finishAttempt('job-1', outcome as AttemptOutcome)).rejects.toThrow(field);

      expect(await store.find({ jobId: 'job-1' })).toEqual(before);
    });

    test('a failure is stored with its own fields only (no _id of its own)', async () => {
      const name = collectionName();
      const store = new MongoDeliveryStore(target.database(), name);
      await store.startAttempt(start({}));
      await store.finishAttempt('job-1', {
        status: 'failed',
        error: { category: 'invalid-message', reason: 'Graph refused the message.', code: 'ErrorInvalidRecipients' },
        now: T1,
      });

      const stored = await target.database().collection(name).findOne({});
      expect(stored?.error).toEqual({ category: 'invalid-message', reason: 'Graph refused the message.', code: 'ErrorInvalidRecipients' });
    });
  });
});
