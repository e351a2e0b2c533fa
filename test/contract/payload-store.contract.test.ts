// The rules every PayloadStore follows, checked against the directory store and GridFS on each MongoDB target.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DirectoryPayloadStore,
  InvalidPayloadIdError,
  newPayloadId,
  type PayloadMetadata,
  type PayloadStore,
  sha256Hex,
} from '@omikai/graph-mailer-client';
import { GridFsPayloadStore } from '@omikai/graph-mailer-client/gridfs';
import { describeEachTarget, storeFor } from './store-targets';

const T0 = new Date('2026-03-02T09:00:00Z');
const T1 = new Date('2026-03-02T10:00:00Z');
const T2 = new Date('2026-03-17T09:00:00Z');

function metadataFor(data: Buffer, overrides: Partial<PayloadMetadata> = {}): PayloadMetadata {
  return {
    accountId: 'acct-1',
    queueName: 'omikai-email',
    jobId: 'email-1',
    bytes: data.length,
    sha256: sha256Hex(data),
    createdAt: T0,
    expiresAt: T2,
    ...overrides,
  };
}

async function listed(store: PayloadStore, before: Date): Promise<string[]> {
  const ids: string[] = [];
  for await (const payload of store.list(before)) ids.push(payload.id);
  return ids.sort();
}

const directories: string[] = [];
afterAll(() => directories.forEach((directory) => rmSync(directory, { recursive: true, force: true })));

describeEachTarget('payload store contract', (target) => {
  let store: PayloadStore;
  let bucketName: string;
  beforeEach(async () => {
    bucketName = `content-${randomUUID()}`;
    store = await storeFor<PayloadStore>(target, {
      memory: () => {
        const directory = mkdtempSync(join(tmpdir(), 'payloads-'));
        directories.push(directory);
        return new DirectoryPayloadStore(directory);
      },
      mongodb: async (database) => {
        const gridfs = new GridFsPayloadStore(database.db!, bucketName);
        await gridfs.ensureIndexes();
        return gridfs;
      },
    });
  });

  test('a payload of several chunks reads back byte for byte, with its metadata', async () => {
    const data = Buffer.alloc(700 * 1024);
    for (let i = 0; i < data.length; i += 1) data[i] = (i * 7919) % 251;
    const id = newPayloadId();
    await store.write(id, metadataFor(data), data);

    const opened = await store.open(id);
    expect(opened?.metadata).toEqual(metadataFor(data));
    const read = await opened!.read();
    expect(read.length).toBe(data.length);
    expect(read.equals(data)).toBe(true);
  });

  async function streamed(opened: { stream(start: number, end: number): AsyncIterable<Buffer> }, start: number, end: number) {
    const pieces: Buffer[] = [];
    for await (const piece of opened.stream(start, end)) pieces.push(piece);
    return pieces;
  }

  test('stream reads any byte range across chunk borders, in pieces no larger than a chunk', async () => {
    const data = Buffer.alloc(700 * 1024);
    for (let i = 0; i < data.length; i += 1) data[i] = (i * 7919) % 251;
    const id = newPayloadId();
    await store.write(id, metadataFor(data), data);
    const opened = (await store.open(id))!;

    const ranges: [number, number][] = [
      [0, data.length],
      [1, 2],
      [255 * 1024 - 3, 255 * 1024 + 5],
      [300 * 1024, 600 * 1024 + 17],
      [510 * 1024, data.length],
      [data.length - 1, data.length],
    ];
    for (const [start, end] of ranges) {
      const pieces = await streamed(opened, start, end);
      expect(Buffer.concat(pieces).equals(data.subarray(start, end))).toBe(true);
      expect(Math.max(...pieces.map((piece) => piece.length))).toBeLessThanOrEqual(255 * 1024);
    }
  });

  test('stream: an empty range yields nothing, a range past the end stops at it', async () => {
    const data = Buffer.from('0123456789');
    const id = newPayloadId();
    await store.write(id, metadataFor(data), data);
    const opened = (await store.open(id))!;
    expect(await streamed(opened, 4, 4)).toEqual([]);
    expect(Buffer.concat(await streamed(opened, 6, 1000)).toString()).toBe('6789');
  });

  test('stream of a payload removed after it was opened ends early instead of failing', async () => {
    const data = Buffer.alloc(600 * 1024, 7);
    const id = newPayloadId();
    await store.write(id, metadataFor(data), data);
    const opened = (await store.open(id))!;
    await store.remove([id]);
    const read = Buffer.concat(await streamed(opened, 0, data.length));
    expect(read.length).toBeLessThan(data.length);
  });

  test('an empty payload and an unknown id: empty bytes, and undefined', async () => {
    const id = newPayloadId();
    await store.write(id, metadataFor(Buffer.alloc(0)), Buffer.alloc(0));
    expect((await (await store.open(id))!.read()).length).toBe(0);
    expect(await store.open(newPayloadId())).toBeUndefined();
  });

  test('an id that is not 24 lower-case hex digits is refused before the store is touched', async () => {
    for (const id of ['../../../etc/passwd', '0123456789ABCDEF01234567', 'fs.files', '0123456789abcdef012345678']) {
      await expect(store.open(id)).rejects.toThrow(InvalidPayloadIdError);
      await expect(store.write(id, metadataFor(Buffer.from('x')), Buffer.from('x'))).rejects.toThrow(InvalidPayloadIdError);
      await expect(store.remove([id])).rejects.toThrow(InvalidPayloadIdError);
    }
  });

  test('remove takes one or many payloads, and ids that do not exist are no error', async () => {
    const ids = [newPayloadId(), newPayloadId(), newPayloadId()];
    for (const id of ids) await store.write(id, metadataFor(Buffer.alloc(300 * 1024, 1)), Buffer.alloc(300 * 1024, 1));
    await store.remove([ids[0]!]);
    await store.remove([ids[1]!, ids[2]!, newPayloadId()]);
    await store.remove([newPayloadId()]);
    for (const id of ids) expect(await store.open(id)).toBeUndefined();
    expect(await listed(store, T2)).toEqual([]);
    if (target.kind === 'mongodb') {
      // The chunks go with their files (a TTL index on the files would leave them behind).
      expect(await target.database().collection(`${bucketName}.chunks`).countDocuments({})).toBe(0);
    } else {
      expect(readdirSync((store as DirectoryPayloadStore).directory)).toEqual([]);
    }
  });

  test('expireAt moves the expiry, and is no error for a payload that is gone', async () => {
    const id = newPayloadId();
    await store.write(id, metadataFor(Buffer.from('hello')), Buffer.from('hello'));
    await store.expireAt(id, T1);
    expect((await store.open(id))?.metadata.expiresAt).toEqual(T1);
    await expect(store.expireAt(newPayloadId(), T1)).resolves.toBeUndefined();
  });

  test("assignJobs records each payload's job id, and skips payloads that are gone", async () => {
    const first = newPayloadId();
    const second = newPayloadId();
    await store.write(first, metadataFor(Buffer.from('a'), { jobId: '' }), Buffer.from('a'));
    await store.write(second, metadataFor(Buffer.from('b'), { jobId: '' }), Buffer.from('b'));
    await store.assignJobs([
      { id: first, jobId: '41' },
      { id: second, jobId: '42' },
      { id: newPayloadId(), jobId: '43' },
    ]);
    expect((await store.open(first))?.metadata.jobId).toBe('41');
    expect((await store.open(second))?.metadata.jobId).toBe('42');
    await expect(store.assignJobs([])).resolves.toBeUndefined();
  });

  test('list yields the payloads created before the given time, with their metadata', async () => {
    const older = newPayloadId();
    const newer = newPayloadId();
    await store.write(older, metadataFor(Buffer.from('a'), { createdAt: T0, jobId: 'email-old' }), Buffer.from('a'));
    await store.write(newer, metadataFor(Buffer.from('b'), { createdAt: T1 }), Buffer.from('b'));
    expect(await listed(store, T1)).toEqual([older]);
    expect(await listed(store, T2)).toEqual([older, newer].sort());
    const found: PayloadMetadata[] = [];
    for await (const payload of store.list(T1)) found.push(payload.metadata);
    expect(found).toEqual([metadataFor(Buffer.from('a'), { createdAt: T0, jobId: 'email-old' })]);
  });

  test('a second store over the same place (another process) sees what the first wrote', async () => {
    const id = newPayloadId();
    await store.write(id, metadataFor(Buffer.from('shared')), Buffer.from('shared'));
    const other =
      store instanceof DirectoryPayloadStore
        ? new DirectoryPayloadStore(store.directory)
        : new GridFsPayloadStore(target.database().db!, bucketName);
    expect((await (await other.open(id))!.read()).toString()).toBe('shared');
  });
});
