// ensureIndexes against an existing index that is in the way (MongoDB 85/86): start-up names the index, says why,
// and gives the one command that fixes it; after that command, start-up succeeds.
import { randomUUID } from 'node:crypto';
import { IndexConflictError } from '../../src/delivery/index-conflicts';
import { MongoDeliveryStore } from '../../src/delivery/mongo-delivery-store';
import { describeEachMongoTarget } from './store-targets';

/** Runs the dropIndex command the error names, as an admin would paste it into mongosh. */
function dropIndexNamedIn(message: string): string {
  const match = /dropIndex\("([^"]+)"\)/.exec(message);
  if (!match?.[1]) throw new Error(`no dropIndex command in: ${message}`);
  return match[1];
}

describeEachMongoTarget('delivery indexes at start-up', (target) => {
  const collectionName = () => `deliveries-${randomUUID()}`;

  test('the unique key index made by hand without its partial filter (86): names it, says why, and dropIndex fixes it', async () => {
    const name = collectionName();
    const collection = target.database().collection(name);
    await collection.createIndex({ accountId: 1, idempotencyKey: 1 }, { unique: true, name: 'accountId_idempotencyKey_unique' });
    const store = new MongoDeliveryStore(target.database(), name);

    const error = await store.ensureIndexes().catch((err: unknown) => err);

    expect(error).toBeInstanceOf(IndexConflictError);
    const message = (error as Error).message;
    expect(message).toContain(`The index "accountId_idempotencyKey_unique" on collection "${name}" is in the way`);
    expect(message).toMatch(
      /same name and keys but with \{"unique":true\}; the worker needs .*"partialFilterExpression":\{"idempotencyKey":\{"\$type":"string"\}\}/,
    );
    expect(message).toContain(`db.getCollection("${name}").dropIndex("accountId_idempotencyKey_unique")`);
    expect((error as { cause?: { code?: number } }).cause?.code).toBe(86);

    await collection.dropIndex(dropIndexNamedIn(message));
    await store.ensureIndexes();
    expect((await collection.indexes()).map((index) => index.name)).toContain('accountId_idempotencyKey_unique');
  });

  test('the same keys under another name (85): names the other index and the command that drops it', async () => {
    const name = collectionName();
    const collection = target.database().collection(name);
    await collection.createIndex({ status: 1, updatedAt: 1 }, { name: 'by_status' });
    const store = new MongoDeliveryStore(target.database(), name);

    const error = await store.ensureIndexes().catch((err: unknown) => err);

    expect(error).toBeInstanceOf(IndexConflictError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /The index "by_status" .* indexes the same keys .* under another name; the worker needs .* named "status_1_updatedAt_1"/,
    );
    expect((error as { cause?: { code?: number } }).cause?.code).toBe(85);
    await collection.dropIndex(dropIndexNamedIn(message));
    await store.ensureIndexes();
  });

  test('a failure that is not an index conflict is passed on as it is: two records already sharing a key (E11000)', async () => {
    const name = collectionName();
    const collection = target.database().collection<{ _id: string; accountId: string; idempotencyKey: string }>(name);
    await collection.insertMany([
      { _id: 'job-1', accountId: 'acct-1', idempotencyKey: 'invoice-42' },
      { _id: 'job-2', accountId: 'acct-1', idempotencyKey: 'invoice-42' },
    ]);

    const error = await new MongoDeliveryStore(target.database(), name).ensureIndexes().catch((err: unknown) => err);

    expect(error).not.toBeInstanceOf(IndexConflictError);
    expect(error).toMatchObject({ code: 11000 });
  });

  test('indexes already as the worker wants them are left alone', async () => {
    const name = collectionName();
    await new MongoDeliveryStore(target.database(), name).ensureIndexes();
    await expect(new MongoDeliveryStore(target.database(), name).ensureIndexes()).resolves.toBeUndefined();
  });
});
