// The MongoDB delivery store when other workers change a record between two of its statements. The contract suite's
// "at once" tests race real writers and cannot choose the interleaving; here a mongoose plugin on the test's own
// connection runs the other worker's write (through the driver, past mongoose) just before a chosen statement, so
// each path runs every time, against whichever MongoDB server this run has.
import { randomUUID } from 'node:crypto';
import type { Schema } from 'mongoose';
import type { AttemptStart, CancelRequest } from '@omikai/graph-mailer-client';
import { DeliveryRecordConflictError, MongoDeliveryStore } from '../../src/delivery/mongo-delivery-store';
import { describeEachMongoTarget, type StoreTarget } from './store-targets';

const T0 = new Date('2026-03-02T09:00:00Z');
const T1 = new Date('2026-03-02T09:01:00Z');
const T2 = new Date('2026-03-02T09:02:00Z');

/** The store's statements, by the mongoose middleware that runs before each (insertOne runs save's). */
type Statement = 'findOne' | 'findOneAndUpdate' | 'updateOne' | 'countDocuments' | 'insertOne';
const QUERY_STATEMENTS = ['findOne', 'findOneAndUpdate', 'updateOne', 'countDocuments'] as const;

/** Another worker's write, run before the store's `statement`; `seen` counts that statement so far (1 for the first). */
type Interleave = (statement: Statement, seen: number) => Promise<void>;

interface InterleavedStore {
  store: MongoDeliveryStore;
  /** The collection as another worker sees it (the driver's, no mongoose middleware). */
  others: {
    insert(record: Record<string, unknown>): Promise<void>;
    set(jobId: string, fields: Record<string, unknown>): Promise<void>;
    unset(jobId: string, field: string): Promise<void>;
    remove(jobId: string): Promise<void>;
  };
  /** Every statement the store ran, in order. */
  statements: Statement[];
  interleave(change: Interleave): void;
}

async function interleavedStore(target: StoreTarget): Promise<InterleavedStore> {
  const database = target.database();
  // A connection of this test's own, so the plugin reaches only this store's model.
  const connection = database.useDb(database.name, { useCache: false });
  const collectionName = `deliveries-${randomUUID()}`;
  const statements: Statement[] = [];
  let change: Interleave = async () => undefined;
  const before = async (statement: Statement) => {
    statements.push(statement);
    await change(statement, statements.filter((ran) => ran === statement).length);
  };
  connection.plugin((schema: Schema) => {
    if (!schema.path('status')) return; // the failure sub-schema
    for (const statement of QUERY_STATEMENTS) {
      schema.pre(statement, async () => {
        await before(statement);
      });
    }
    schema.pre('save', async () => {
      await before('insertOne');
    });
  });
  const store = new MongoDeliveryStore(connection, collectionName);
  await store.ensureIndexes();
  const collection = database.collection<{ _id: string } & Record<string, unknown>>(collectionName);
  return {
    store,
    others: {
      insert: async (record) => {
        await collection.insertOne({ _id: String(record.jobId), ...withoutJobId(record) });
      },
      set: async (jobId, fields) => {
        await collection.updateOne({ _id: jobId }, { $set: fields });
      },
      unset: async (jobId, field) => {
        await collection.updateOne({ _id: jobId }, { $unset: { [field]: 1 } });
      },
      remove: async (jobId) => {
        await collection.deleteOne({ _id: jobId });
      },
    },
    statements,
    interleave: (next) => {
      statements.length = 0;
      change = next;
    },
  };
}

function withoutJobId(record: Record<string, unknown>): Record<string, unknown> {
  const { jobId: _jobId, ...rest } = record;
  return rest;
}

function attempt(overrides: Partial<AttemptStart> = {}): AttemptStart {
  return { jobId: 'job-1', accountId: 'acct-1', subject: 'Invoice 2026-0042', recipientCount: 2, status: 'sending', now: T0, ...overrides };
}

function cancelOf(overrides: Partial<CancelRequest> = {}): CancelRequest {
  return { jobId: 'job-1', accountId: 'acct-1', subject: 'Invoice 2026-0042', recipientCount: 2, by: 'olga', now: T2, ...overrides };
}

/** A record as another worker's store writes it (the fields the schema requires). */
function storedRecord(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    jobId: 'job-1',
    accountId: 'acct-1',
    status: 'sending',
    attempts: 1,
    subject: 'Invoice 2026-0042',
    recipientCount: 2,
    possibleDuplicate: false,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

describeEachMongoTarget('MongoDB delivery store, with another worker between its statements', (target) => {
  test('a record marked sent between the read and the update of a start: the start answers already-sent', async () => {
    const { store, others, interleave, statements } = await interleavedStore(target);
    await store.startAttempt(attempt());
    interleave(async (statement) => {
      if (statement === 'findOneAndUpdate') await others.set('job-1', { status: 'sent', sentAt: T1, updatedAt: T1 });
    });

    const result = await store.startAttempt(attempt({ now: T2 }));

    expect(result).toMatchObject({ action: 'already-sent', record: { jobId: 'job-1', status: 'sent', sentAt: T1, attempts: 1 } });
    // It reads the record again; it does not try to insert one that is there.
    expect(statements).toEqual(['findOne', 'findOneAndUpdate', 'findOne']);
  });

  test("a start that loses the insert to another attempt of the same job continues that attempt's record, as a possible duplicate", async () => {
    const { store, others, interleave } = await interleavedStore(target);
    // Another job of the account holds a key: the lost insert must not be taken for that key's duplicate.
    await store.startAttempt(attempt({ jobId: 'job-0', idempotencyKey: 'invoice-41' }));
    interleave(async (statement, seen) => {
      if (statement === 'insertOne' && seen === 1) await others.insert(storedRecord());
    });

    expect(await store.startAttempt(attempt({ now: T1 }))).toEqual({ action: 'send', possibleDuplicate: true });
    expect(await store.find({ jobId: 'job-1' })).toEqual([
      expect.objectContaining({ status: 'sending', attempts: 2, possibleDuplicate: true }),
    ]);
  });

  test('a start with a key that loses the insert to another attempt of the same job continues that record, not calling it its own duplicate', async () => {
    const { store, others, interleave } = await interleavedStore(target);
    interleave(async (statement, seen) => {
      if (statement === 'insertOne' && seen === 1) await others.insert(storedRecord({ idempotencyKey: 'invoice-42' }));
    });

    expect(await store.startAttempt(attempt({ idempotencyKey: 'invoice-42' }))).toEqual({ action: 'send', possibleDuplicate: true });
    expect(await store.find({ jobId: 'job-1' })).toEqual([
      expect.objectContaining({ status: 'sending', attempts: 2, idempotencyKey: 'invoice-42', possibleDuplicate: true }),
    ]);
  });

  test('a start with a key that loses the insert to a record of the same job that gave the key away takes the key back and sends', async () => {
    const { store, others, interleave } = await interleavedStore(target);
    interleave(async (statement, seen) => {
      if (statement === 'insertOne' && seen === 1) await others.insert(storedRecord({ status: 'failed', failedAt: T0 }));
    });

    expect(await store.startAttempt(attempt({ idempotencyKey: 'invoice-42', now: T1 }))).toEqual({
      action: 'send',
      possibleDuplicate: false,
    });
    expect(await store.find({ jobId: 'job-1' })).toEqual([
      expect.objectContaining({ status: 'sending', attempts: 2, idempotencyKey: 'invoice-42', updatedAt: T1 }),
    ]);
  });

  test('a failed job taking its key back while another attempt of it already has: the record is continued, not called its own duplicate', async () => {
    const { store, others, interleave } = await interleavedStore(target);
    await store.startAttempt(attempt({ idempotencyKey: 'invoice-42' }));
    await store.finishAttempt('job-1', { status: 'failed', error: { category: 'transient', reason: 'Graph answered 503.' }, now: T0 });
    await store.startAttempt(attempt({ jobId: 'job-2', idempotencyKey: 'invoice-42' }));
    await store.finishAttempt('job-2', { status: 'failed', error: { category: 'transient', reason: 'Graph answered 503.' }, now: T0 });
    // Between this start's read (no key on its record) and its look-up of the key's owner, the other attempt takes the key back.
    interleave(async (statement, seen) => {
      if (statement !== 'findOne' || seen !== 2) return;
      await others.unset('job-2', 'idempotencyKey');
      await others.set('job-1', { idempotencyKey: 'invoice-42', status: 'sending', attempts: 2 });
    });

    expect(await store.startAttempt(attempt({ idempotencyKey: 'invoice-42', now: T1 }))).toEqual({
      action: 'send',
      possibleDuplicate: true,
    });
    expect(await store.find({ idempotencyKey: 'invoice-42' })).toEqual([expect.objectContaining({ jobId: 'job-1', attempts: 3 })]);
  });

  test("a failed job whose key is taken by another job just before it takes the key back is that job's duplicate", async () => {
    const { store, others, interleave } = await interleavedStore(target);
    await store.startAttempt(attempt({ idempotencyKey: 'invoice-42' }));
    await store.finishAttempt('job-1', { status: 'failed', error: { category: 'transient', reason: 'Graph answered 503.' }, now: T0 });
    await store.startAttempt(attempt({ jobId: 'job-2', idempotencyKey: 'invoice-42' }));
    await store.finishAttempt('job-2', { status: 'failed', error: { category: 'transient', reason: 'Graph answered 503.' }, now: T0 });
    await store.startAttempt(attempt({ jobId: 'job-3', now: T0 }));
    // job-1 releases job-2's key, then, just before it writes the key onto its own record, job-3 takes it.
    interleave(async (statement, seen) => {
      if (statement === 'updateOne' && seen === 2) await others.set('job-3', { idempotencyKey: 'invoice-42' });
    });

    const result = await store.startAttempt(attempt({ idempotencyKey: 'invoice-42', now: T1 }));

    expect(result).toMatchObject({ action: 'duplicate', record: { jobId: 'job-3', idempotencyKey: 'invoice-42' } });
    expect(await store.find({ jobId: 'job-1' })).toEqual([expect.objectContaining({ status: 'failed', attempts: 1 })]);
  });

  test('a start whose record keeps appearing and vanishing under it gives up after 5 rounds: a conflict error that says to retry the job', async () => {
    const { store, others, interleave, statements } = await interleavedStore(target);
    interleave(async (statement) => {
      if (statement === 'insertOne') await others.insert(storedRecord());
      if (statement === 'findOneAndUpdate') await others.remove('job-1');
    });

    const error = await store.startAttempt(attempt()).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(DeliveryRecordConflictError);
    expect(error).toMatchObject({
      name: 'DeliveryRecordConflictError',
      message:
        'Could not start an attempt for job job-1: its delivery record or idempotency key kept changing under other workers (5 tries); retry the job.',
    });
    expect(statements.filter((statement) => statement === 'findOne')).toHaveLength(5);
  });

  test('a cancel whose record keeps vanishing and coming back gives up after 5 rounds: a conflict error that says to cancel again', async () => {
    const { store, others, interleave, statements } = await interleavedStore(target);
    await store.startAttempt(attempt());
    interleave(async (statement) => {
      if (statement === 'findOneAndUpdate') await others.remove('job-1');
      if (statement === 'findOne') await others.insert(storedRecord());
    });

    const error = await store.cancel(cancelOf()).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(DeliveryRecordConflictError);
    expect(error).toMatchObject({
      name: 'DeliveryRecordConflictError',
      message: 'Could not cancel job job-1: its delivery record kept changing under the worker (5 tries); cancel it again.',
    });
    expect(statements.filter((statement) => statement === 'findOneAndUpdate')).toHaveLength(5);
    // Each round it found the record there: it never tried to insert one.
    expect(statements).not.toContain('insertOne');
  });

  test("a cancel that finds the record gone, then loses the insert to the job's own record, cancels that record", async () => {
    const { store, others, interleave } = await interleavedStore(target);
    interleave(async (statement, seen) => {
      if (statement === 'insertOne' && seen === 1) await others.insert(storedRecord({ status: 'retrying', attempts: 1 }));
    });

    const result = await store.cancel(cancelOf({ idempotencyKey: 'invoice-42' }));

    expect(result).toMatchObject({
      outcome: 'cancelled',
      record: { jobId: 'job-1', status: 'cancelled', attempts: 1, cancelledBy: 'olga' },
    });
  });

  test("a cancel with a key that lost its insert to the job's own record keeps the key when that record is gone again", async () => {
    const { store, others, interleave } = await interleavedStore(target);
    interleave(async (statement, seen) => {
      if (statement === 'insertOne' && seen === 1) await others.insert(storedRecord({ idempotencyKey: 'invoice-42' }));
      if (statement === 'findOneAndUpdate' && seen === 2) await others.remove('job-1');
    });

    const result = await store.cancel(cancelOf({ idempotencyKey: 'invoice-42' }));

    // The duplicate was the job's own _id, not another job's key: the key stays with the job.
    expect(result).toMatchObject({ outcome: 'cancelled', record: { jobId: 'job-1', status: 'cancelled', idempotencyKey: 'invoice-42' } });
  });

  test('a finishAttempt on an existing record is one statement', async () => {
    const { store, interleave, statements } = await interleavedStore(target);
    await store.startAttempt(attempt());
    interleave(async () => undefined);

    await store.finishAttempt('job-1', {
      status: 'sent',
      sender: 'billing@contoso.com',
      senderSource: 'account',
      clientRequestId: 'client-req-1',
      now: T1,
    });

    expect(statements).toEqual(['updateOne']);
  });
});
