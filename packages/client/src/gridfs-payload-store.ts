// The payload store in MongoDB: one GridFS file per e-mail in the bucket CONTENT_BUCKET (default
// email_content), so attachments are chunked (255 KiB) and never bound by the 16 MB document limit.
import {
  GridFSBucket,
  MongoGridFSChunkError,
  MongoGridFSStreamError,
  MongoRuntimeError,
  ObjectId,
  type Collection,
  type Db,
} from 'mongodb';
import { checkPayloadId, type OpenedPayload, type PayloadMetadata, type PayloadStore, type StoredPayload } from './payload-store';

export const DEFAULT_CONTENT_BUCKET = 'email_content';

/** The files collection's document, as GridFS writes it; `metadata` is ours. */
interface PayloadFile {
  _id: ObjectId;
  length: number;
  metadata?: Partial<PayloadMetadata>;
}

export class GridFsPayloadStore implements PayloadStore {
  readonly kind = 'gridfs';
  private readonly bucket: GridFSBucket;
  private readonly files: Collection<PayloadFile>;
  private readonly chunks: Collection;

  constructor(db: Db, bucketName: string = DEFAULT_CONTENT_BUCKET) {
    this.bucket = new GridFSBucket(db, { bucketName });
    this.files = db.collection<PayloadFile>(`${bucketName}.files`);
    this.chunks = db.collection(`${bucketName}.chunks`);
  }

  /** The sweeper's query runs on metadata.createdAt; GridFS creates its own indexes on first upload. */
  async ensureIndexes(): Promise<void> {
    await this.files.createIndex({ 'metadata.createdAt': 1 });
  }

  async write(id: string, metadata: PayloadMetadata, data: Buffer): Promise<void> {
    const upload = this.bucket.openUploadStreamWithId(new ObjectId(checkPayloadId(id)), id, { metadata });
    await new Promise<void>((resolve, reject) => {
      upload.once('error', reject);
      upload.once('finish', () => resolve());
      upload.end(data);
    });
  }

  async open(id: string): Promise<OpenedPayload | undefined> {
    const _id = new ObjectId(checkPayloadId(id));
    const file = await this.files.findOne({ _id });
    if (!file) return undefined;
    return {
      id,
      metadata: metadataOf(file),
      read: () => this.readChunks(_id, file.length),
      stream: (start, end) => this.streamChunks(_id, start, Math.min(end, file.length)),
    };
  }

  /** GridFS reads only the chunks the range touches (openDownloadStream's start and end; end exclusive). */
  private async *streamChunks(_id: ObjectId, start: number, end: number): AsyncIterable<Buffer> {
    if (end <= start) return;
    const download = this.bucket.openDownloadStream(_id, { start, end });
    try {
      for await (const piece of download) yield piece as Buffer;
    } catch (err: unknown) {
      // As in readChunks: chunks missing or cut short end the range, and so does a file removed since it
      // was opened (the download looks the file up again); the sha256 check reports it.
      const gone = err instanceof MongoRuntimeError && /FileNotFound/.test(err.message);
      if (!(gone || err instanceof MongoGridFSChunkError || err instanceof MongoGridFSStreamError)) throw err;
    } finally {
      download.destroy();
    }
  }

  private async readChunks(_id: ObjectId, length: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    try {
      for await (const chunk of this.bucket.openDownloadStream(_id)) parts.push(chunk as Buffer);
    } catch (err: unknown) {
      // Chunks missing or cut short (removed while read, or copied without them): what was read goes to the
      // sha256 check, which reports the payload as damaged; waiting would not bring the chunks back.
      if (err instanceof MongoGridFSChunkError || err instanceof MongoGridFSStreamError) return Buffer.concat(parts);
      throw err;
    }
    return Buffer.concat(parts, length);
  }

  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const objectIds = ids.map((id) => new ObjectId(checkPayloadId(id)));
    if (objectIds.length === 1) {
      // GridFSBucket.delete removes the file and its chunks; it throws when the file is already gone.
      await this.bucket.delete(objectIds[0]!).catch((err: unknown) => {
        if (!(err instanceof Error && /File not found/i.test(err.message))) throw err;
      });
      return;
    }
    // The same two deletes GridFSBucket.delete makes, for many files at once; the file goes first, so a
    // reader never finds a file whose chunks are gone, only chunks without a file (removed right after).
    await this.files.deleteMany({ _id: { $in: objectIds } });
    await this.chunks.deleteMany({ files_id: { $in: objectIds } });
  }

  async assignJobs(assignments: readonly { id: string; jobId: string }[]): Promise<void> {
    if (assignments.length === 0) return;
    await this.files.bulkWrite(
      assignments.map(({ id, jobId }) => ({
        updateOne: { filter: { _id: new ObjectId(checkPayloadId(id)) }, update: { $set: { 'metadata.jobId': jobId } } },
      })),
      { ordered: false },
    );
  }

  async expireAt(id: string, at: Date): Promise<void> {
    await this.files.updateOne({ _id: new ObjectId(checkPayloadId(id)) }, { $set: { 'metadata.expiresAt': at } });
  }

  async *list(createdBefore: Date): AsyncIterable<StoredPayload> {
    const cursor = this.files.find({ 'metadata.createdAt': { $lt: createdBefore } }, { projection: { _id: 1, length: 1, metadata: 1 } });
    for await (const file of cursor) yield { id: file._id.toHexString(), metadata: metadataOf(file) };
  }
}

/** Metadata as written by us or by another producer; missing fields read as "unknown", never as a match. */
function metadataOf(file: PayloadFile): PayloadMetadata {
  const metadata = file.metadata ?? {};
  return {
    accountId: typeof metadata.accountId === 'string' ? metadata.accountId : '',
    queueName: typeof metadata.queueName === 'string' ? metadata.queueName : '',
    jobId: typeof metadata.jobId === 'string' ? metadata.jobId : '',
    bytes: file.length,
    sha256: typeof metadata.sha256 === 'string' ? metadata.sha256 : '',
    createdAt: metadata.createdAt instanceof Date ? metadata.createdAt : new Date(0),
    expiresAt: metadata.expiresAt instanceof Date ? metadata.expiresAt : new Date(0),
  };
}
