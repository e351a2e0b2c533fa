// What only the MongoDB delivery store has to get right: field names that MongoDB would read as paths or
// operators, and two stores on one collection in one process (the worker and the ops commands).
import { randomUUID } from 'node:crypto';
import { MongoDeliveryStore } from '../../src/delivery/mongo-delivery-store';
import { describeEachMongoTarget } from './store-targets';

const T0 = new Date('2026-03-02T09:00:00Z');

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
});
