// What the MongoDB stand-in promises, checked through the real driver: GridFS, unique and partial unique indexes,
// the 85/86 index conflicts and update pipelines behave as on MongoDB (also run against a real mongod when this run
// has one, so the stand-in is held to it), and what it does not implement is refused, never half-done.
import { randomBytes, randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import mongoose, { type Connection } from 'mongoose';
import { connectMongo } from '../../src/delivery/mongo-connection';
import { startMongoStandin, type MongoStandin } from '../support/mongo-standin/standin-server';
import { chosenMongoTargets } from '../support/mongo-targets';

const realServers = chosenMongoTargets().filter((target) => target.name !== 'mongodb-standin');

describe.each([{ name: 'mongodb-standin', uri: '' }, ...realServers])('MongoDB behaviour the stores rely on ($name)', (server) => {
  let standin: MongoStandin | undefined;
  let connection: Connection;

  beforeAll(async () => {
    let uri = server.uri;
    if (server.name === 'mongodb-standin') {
      standin = await startMongoStandin();
      uri = `${standin.uri}standin-test`;
    }
    const client = await connectMongo(uri);
    connection = client.useDb(`behaviour-${randomUUID()}`, { useCache: false });
    // The database handle shares the client; closing the client closes both.
    afterAllClose = async () => {
      await connection.dropDatabase();
      await client.close();
      await standin?.stop();
    };
  });
  let afterAllClose = async () => undefined as unknown as void;
  afterAll(() => afterAllClose());

  const collection = (prefix: string) => connection.db!.collection(`${prefix}-${randomUUID()}`);

  test('GridFS: a file of several chunks uploads, downloads byte for byte, is found by name, and is deleted with its chunks', async () => {
    const bucketName = `payloads-${randomUUID().slice(0, 8)}`;
    const bucket = new mongoose.mongo.GridFSBucket(connection.db!, { bucketName, chunkSizeBytes: 64 * 1024 });
    const content = randomBytes(64 * 1024 * 3 + 1234);

    const upload = bucket.openUploadStream('invoice-1042.pdf', { metadata: { jobId: 'job-1' } });
    await pipeline(Readable.from([content.subarray(0, 100_000), content.subarray(100_000)]), upload);

    const chunks = connection.db!.collection(`${bucketName}.chunks`);
    expect(await chunks.countDocuments({ files_id: upload.id })).toBe(4);
    expect(await readAll(bucket.openDownloadStream(upload.id))).toEqual(content);
    expect(await readAll(bucket.openDownloadStreamByName('invoice-1042.pdf'))).toEqual(content);
    const [file] = await bucket.find({ _id: upload.id }).toArray();
    expect(file).toMatchObject({
      filename: 'invoice-1042.pdf',
      length: content.length,
      chunkSize: 64 * 1024,
      metadata: { jobId: 'job-1' },
    });
    const indexNames = async (name: string) => (await connection.db!.collection(name).indexes()).map((index) => index.key);
    expect(await indexNames(`${bucketName}.files`)).toContainEqual({ filename: 1, uploadDate: 1 });
    expect(await indexNames(`${bucketName}.chunks`)).toContainEqual({ files_id: 1, n: 1 });

    await bucket.delete(upload.id);
    expect(await chunks.countDocuments({ files_id: upload.id })).toBe(0);
    await expect(readAll(bucket.openDownloadStream(upload.id))).rejects.toThrow(/FileNotFound|file not found/i);
  });

  test('a partial unique index refuses a second document in its scope with E11000, and ignores documents outside it', async () => {
    const records = collection('records');
    await records.createIndex(
      { accountId: 1, key: 1 },
      { unique: true, partialFilterExpression: { key: { $type: 'string' } }, name: 'key_unique' },
    );
    await records.insertMany([
      { _id: 'a' as never, accountId: 'acct', key: 'k1' },
      { _id: 'b' as never, accountId: 'acct' },
      { _id: 'c' as never, accountId: 'acct' },
    ]);

    const error = await records.insertOne({ _id: 'd' as never, accountId: 'acct', key: 'k1' }).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 11000, keyPattern: { accountId: 1, key: 1 }, keyValue: { accountId: 'acct', key: 'k1' } });
    expect(String((error as Error).message)).toMatch(/E11000 duplicate key error collection: .* index: key_unique dup key/);
    await expect(records.updateOne({ _id: 'b' as never }, { $set: { key: 'k1' } })).rejects.toMatchObject({ code: 11000 });
    await expect(records.findOneAndUpdate({ _id: 'c' as never }, { $set: { key: 'k1' } })).rejects.toMatchObject({ code: 11000 });
    await expect(records.insertOne({ _id: 'a' as never })).rejects.toMatchObject({ code: 11000, keyPattern: { _id: 1 } });
  });

  test('a string id never matches an ObjectId with the same hex, and numbers match across int and double', async () => {
    const hex = '64b7f0c2a1b2c3d4e5f60718';
    const records = collection('ids');
    await records.insertMany([
      { _id: hex as never, n: 1 },
      { _id: new mongoose.Types.ObjectId(hex), n: 2 },
      { _id: 42 as never, n: 3 },
    ]);

    expect((await records.find({ _id: hex as never }).toArray()).map((doc) => doc.n)).toEqual([1]);
    expect((await records.find({ _id: new mongoose.Types.ObjectId(hex) }).toArray()).map((doc) => doc.n)).toEqual([2]);
    expect((await records.find({ _id: 42.0 as never }).toArray()).map((doc) => doc.n)).toEqual([3]);
    expect((await records.find({ _id: '42' as never }).toArray()).map((doc) => doc.n)).toEqual([]);
  });

  test('an update pipeline reads the fields it sets from the document as it was', async () => {
    const records = collection('pipeline');
    await records.insertOne({ _id: 'job-1' as never, status: 'sending', attempts: 1, possibleDuplicate: false });

    const after = await records.findOneAndUpdate(
      { _id: 'job-1' as never, status: { $ne: 'sent' } },
      [
        { $set: { possibleDuplicate: { $or: ['$possibleDuplicate', { $eq: ['$status', 'sending'] }] } } },
        { $set: { status: 'sending', attempts: { $add: ['$attempts', 1] } } },
      ],
      { returnDocument: 'after' },
    );

    expect(after).toEqual({ _id: 'job-1', status: 'sending', attempts: 2, possibleDuplicate: true });
  });

  test('an index with the same name but other keys or options is refused with 86; the same keys under another name with 85', async () => {
    const records = collection('conflicts');
    await records.createIndex({ accountId: 1, key: 1 }, { unique: true, name: 'key_unique' });

    await expect(
      records.createIndex(
        { accountId: 1, key: 1 },
        { unique: true, partialFilterExpression: { key: { $type: 'string' } }, name: 'key_unique' },
      ),
    ).rejects.toMatchObject({ code: 86, codeName: 'IndexKeySpecsConflict' });
    await expect(records.createIndex({ accountId: 1 }, { name: 'key_unique' })).rejects.toMatchObject({ code: 86 });
    await expect(records.createIndex({ accountId: 1, key: 1 }, { unique: true, name: 'other_name' })).rejects.toMatchObject({
      code: 85,
      codeName: 'IndexOptionsConflict',
    });
    expect(await records.createIndex({ accountId: 1, key: 1 }, { unique: true, name: 'key_unique' })).toBe('key_unique');
  });

  test('a projection naming a path and a path inside it is refused (path collision)', async () => {
    const records = collection('projection');
    await records.insertOne({ _id: 'x' as never, a: { b: 1 } });
    await expect(records.findOne({}, { projection: { a: 1, 'a.b': 1 } })).rejects.toMatchObject({ code: 31249 });
  });

  test('one update naming the same path under two operators is refused', async () => {
    const records = collection('conflicting-update');
    await records.insertOne({ _id: 'x' as never, error: { reason: 'r' } });
    await expect(
      records.updateOne({ _id: 'x' as never }, { $set: { error: { reason: 's' } }, $unset: { error: 1 } }),
    ).rejects.toMatchObject({
      code: 40,
    });
  });
});

describe('the MongoDB stand-in refuses what it does not implement', () => {
  let standin: MongoStandin;
  let connection: Connection;
  beforeAll(async () => {
    standin = await startMongoStandin();
    connection = await connectMongo(`${standin.uri}refusals`);
  });
  afterAll(async () => {
    await connection.close();
    await standin.stop();
  });

  test.each([
    ['a query operator it does not evaluate', () => connection.db!.collection('c').findOne({ $text: { $search: 'x' } })],
    ['$type aliases mingo cannot tell apart', () => connection.db!.collection('c').findOne({ _id: { $type: 'objectId' } })],
    [
      'an aggregation stage it does not run',
      () =>
        connection
          .db!.collection('c')
          .aggregate([{ $lookup: { from: 'd', as: 'x' } }])
          .toArray(),
    ],
    ['collation', () => connection.db!.collection('c').findOne({}, { collation: { locale: 'de' } })],
    ['a text index', () => connection.db!.collection('c').createIndex({ body: 'text' })],
  ])('%s', async (_what, run) => {
    await expect(run()).rejects.toThrow(/not implemented by the MongoDB stand-in|only allowed on a replica set/);
  });

  test('transactions are refused, as on a standalone mongod', async () => {
    await expect(
      connection.transaction(async (session) => void (await connection.db!.collection('c').insertOne({}, { session }))),
    ).rejects.toThrow(/does not support retryable writes|only allowed on a replica set/);
  });

  test('it counts the commands it answers, so a run can show it was used', () => {
    expect(standin.commandCount()).toBeGreaterThan(0);
  });
});

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(
    stream,
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        parts.push(chunk);
        done();
      },
    }),
  );
  return Buffer.concat(parts);
}
