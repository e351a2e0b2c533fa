// The payload store: where an e-mail's bodies and attachments live while its job is in Redis
// (GridFS in MongoDB, or a directory for demos). The job holds only a reference (claim check).
import { randomBytes } from 'node:crypto';
import { CONTENT_ID_PATTERN } from './email-job';

/** What is kept next to each payload: whose it is, and until when. */
export interface PayloadMetadata {
  accountId: string;
  /** The BullMQ queue of the job; a sweeper looks only at its own queue's payloads. */
  queueName: string;
  /**
   * The BullMQ job id the payload belongs to; the sweeper removes payloads whose job is gone. '' until the
   * producer has added the job (BullMQ numbers it): such a payload is removed only when it expires.
   */
  jobId: string;
  bytes: number;
  sha256: string;
  createdAt: Date;
  /** After this, the sweeper removes the payload unless its job still waits to be sent. */
  expiresAt: Date;
}

export interface StoredPayload {
  id: string;
  metadata: PayloadMetadata;
}

export interface OpenedPayload extends StoredPayload {
  /** Reads the bytes; called only after the metadata was checked (the account, the size). */
  read(): Promise<Buffer>;
  /**
   * The bytes from `start` up to `end` (exclusive), in pieces of the store's size, never held whole.
   * A range past the payload's end is cut to it; bytes that are gone (removed while read) end it early:
   * the sha256 check, not this, reports the payload as damaged.
   */
  stream(start: number, end: number): AsyncIterable<Buffer>;
}

export interface PayloadWriter {
  /** Stores `data` under `id` (a new id from newPayloadId()). */
  write(id: string, metadata: PayloadMetadata, data: Buffer): Promise<void>;
  /** Removes the payloads; ids that do not exist are no error. */
  remove(ids: readonly string[]): Promise<void>;
  /** Records each payload's job id once BullMQ has numbered the job; payloads that are gone are skipped. */
  assignJobs(assignments: readonly { id: string; jobId: string }[]): Promise<void>;
}

export interface PayloadReader {
  /** The payload's metadata and a way to read its bytes; undefined when there is no such payload. */
  open(id: string): Promise<OpenedPayload | undefined>;
}

export interface PayloadRetention {
  /** Moves the payload's expiry; nothing happens when the payload is gone. */
  expireAt(id: string, at: Date): Promise<void>;
  /** Every payload created before `createdBefore`, for the sweeper. */
  list(createdBefore: Date): AsyncIterable<StoredPayload>;
}

export type PayloadStore = PayloadWriter & PayloadReader & PayloadRetention & { readonly kind: 'gridfs' | 'directory' };

/** The payload id a job's data refers to, if any (its form is checked where it is used). */
export function payloadIdOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const content = (data as { content?: unknown }).content;
  if (typeof content !== 'object' || content === null) return undefined;
  const id = (content as { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}

/** A fresh payload id in the one accepted form (24 lower-case hex digits). */
export function newPayloadId(random: (bytes: number) => Buffer = randomBytes): string {
  return random(12).toString('hex');
}

/** Throws unless `id` has the payload id form: the only check between a job's data and a file name or an _id. */
export function checkPayloadId(id: string): string {
  if (!CONTENT_ID_PATTERN.test(id)) throw new InvalidPayloadIdError(id);
  return id;
}

export class InvalidPayloadIdError extends Error {
  override name = 'InvalidPayloadIdError';

  constructor(id: string) {
    super(`"${id.slice(0, 40)}" is not a payload id (24 lower-case hex digits)`);
  }
}
