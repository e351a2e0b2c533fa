// The payload store as a directory (CONTENT_DIR), for demos and tests without MongoDB: processes on
// one host (worker, producer, ops CLI) share it. <id>.bin holds the bytes, <id>.json the metadata.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkPayloadId, type OpenedPayload, type PayloadMetadata, type PayloadStore, type StoredPayload } from './payload-store';

/** Bytes per piece of a streamed read (GridFS's chunk size). */
const STREAM_PIECE_BYTES = 255 * 1024;

type StoredMetadata = Omit<PayloadMetadata, 'createdAt' | 'expiresAt'> & { createdAt: string; expiresAt: string };

export class DirectoryPayloadStore implements PayloadStore {
  readonly kind = 'directory';

  constructor(readonly directory: string) {}

  private path(id: string, extension: 'bin' | 'json'): string {
    return join(this.directory, `${checkPayloadId(id)}.${extension}`);
  }

  /** Written to a temporary name and renamed, so a reader in another process never sees half a file. */
  private async writeAtomically(path: string, data: Buffer | string): Promise<void> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temporary, data, { mode: 0o600 });
    await rename(temporary, path);
  }

  async write(id: string, metadata: PayloadMetadata, data: Buffer): Promise<void> {
    await this.writeAtomically(this.path(id, 'bin'), data);
    // The metadata last: a payload exists for readers once its metadata does.
    await this.writeAtomically(this.path(id, 'json'), JSON.stringify(metadata));
  }

  async open(id: string): Promise<OpenedPayload | undefined> {
    const metadata = await this.readMetadata(id);
    if (!metadata) return undefined;
    return {
      id,
      metadata,
      read: async () => {
        try {
          return await readFile(this.path(id, 'bin'));
        } catch (err: unknown) {
          if (isNotFound(err)) return Buffer.alloc(0); // removed in between: the sha256 check reports it
          throw err;
        }
      },
      stream: (start, end) => this.streamRange(id, start, Math.min(end, metadata.bytes)),
    };
  }

  private async *streamRange(id: string, start: number, end: number): AsyncIterable<Buffer> {
    if (end <= start) return;
    // createReadStream's end is inclusive.
    const stream = createReadStream(this.path(id, 'bin'), { start, end: end - 1, highWaterMark: STREAM_PIECE_BYTES });
    try {
      for await (const piece of stream) yield piece as Buffer;
    } catch (err: unknown) {
      if (!isNotFound(err)) throw err; // removed in between: the sha256 check reports it
    } finally {
      stream.destroy();
    }
  }

  private async readMetadata(id: string): Promise<PayloadMetadata | undefined> {
    let text: string;
    try {
      text = await readFile(this.path(id, 'json'), 'utf8');
    } catch (err: unknown) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const stored = JSON.parse(text) as StoredMetadata;
    return { ...stored, createdAt: new Date(stored.createdAt), expiresAt: new Date(stored.expiresAt) };
  }

  async remove(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      await rm(this.path(id, 'json'), { force: true });
      await rm(this.path(id, 'bin'), { force: true });
    }
  }

  async assignJobs(assignments: readonly { id: string; jobId: string }[]): Promise<void> {
    for (const { id, jobId } of assignments) {
      const metadata = await this.readMetadata(id);
      if (metadata) await this.writeAtomically(this.path(id, 'json'), JSON.stringify({ ...metadata, jobId }));
    }
  }

  async expireAt(id: string, at: Date): Promise<void> {
    const metadata = await this.readMetadata(id);
    if (metadata) await this.writeAtomically(this.path(id, 'json'), JSON.stringify({ ...metadata, expiresAt: at }));
  }

  async *list(createdBefore: Date): AsyncIterable<StoredPayload> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (err: unknown) {
      if (isNotFound(err)) return;
      throw err;
    }
    for (const name of names) {
      const match = /^([0-9a-f]{24})\.json$/.exec(name);
      if (!match) continue;
      const metadata = await this.readMetadata(match[1]!);
      if (metadata && metadata.createdAt < createdBefore) yield { id: match[1]!, metadata };
    }
  }
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
