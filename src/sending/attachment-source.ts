// Where a draft's attachment bytes come from: a small interface the uploader streams from, in order,
// from any byte on (resuming where Graph's nextExpectedRanges says). The job's inline base64 feeds
// it, or the payload store (content kept outside Redis), streamed a chunk at a time.
import { createHash } from 'node:crypto';
import type { ContentLayout, EmailJob, OpenedPayload } from '@omikai/graph-mailer-client';

export interface AttachmentSource {
  name: string;
  contentType: string;
  /** Decoded bytes of the file. */
  sizeBytes: number;
  contentId?: string;
  isInline?: boolean;
  /** The file's bytes from `fromByte` to the end, in pieces of any size. */
  open(fromByte: number): AsyncIterable<Uint8Array>;
}

/** Decoded bytes per piece read from inline base64 (a multiple of 3, so pieces start on a base64 boundary). */
const INLINE_PIECE_BYTES = 3 * 256 * 1024;

/** The decoded size of base64 text without decoding it. */
export function base64DecodedBytes(base64: string): number {
  const trimmed = base64.replace(/[\s]/g, '');
  const padding = trimmed.endsWith('==') ? 2 : trimmed.endsWith('=') ? 1 : 0;
  return Math.floor((trimmed.length * 3) / 4) - padding;
}

/** An attachment whose bytes are inline base64 in the job: decoded a piece at a time, never whole. */
export function inlineAttachmentSource(file: NonNullable<EmailJob['attachments']>[number]): AttachmentSource {
  const base64 = /\s/.test(file.contentBase64) ? file.contentBase64.replace(/\s/g, '') : file.contentBase64;
  const sizeBytes = base64DecodedBytes(base64);
  return {
    name: file.name,
    contentType: file.contentType,
    sizeBytes,
    ...(file.contentId ? { contentId: file.contentId } : {}),
    ...(file.isInline ? { isInline: true } : {}),
    async *open(fromByte: number) {
      let block = Math.floor(fromByte / 3) * 3;
      let skip = fromByte - block;
      while (block < sizeBytes) {
        const chars = base64.slice((block / 3) * 4, ((block + INLINE_PIECE_BYTES) / 3) * 4);
        const piece = Buffer.from(chars, 'base64');
        yield skip > 0 ? piece.subarray(skip) : piece;
        skip = 0;
        block += INLINE_PIECE_BYTES;
      }
    },
  };
}

/** The size a file takes in the encoded message (base64 adds a third). */
export function encodedBytes(sizeBytes: number): number {
  return Math.ceil(sizeBytes / 3) * 4;
}

/**
 * The sha256 of a stored payload, taken from the pieces as the attachments stream (in payload order)
 * rather than from a second read; bytes never streamed (files an earlier attempt attached, ranges
 * skipped on resume) are read, streamed, when the result is asked for.
 */
export class StreamedPayloadHash {
  private readonly hash = createHash('sha256');
  private hashed = 0;
  private result: Promise<boolean> | undefined;

  constructor(
    private readonly payload: Pick<OpenedPayload, 'stream'>,
    private readonly totalBytes: number,
    private readonly expectedSha256: string,
  ) {}

  /** Bytes at `offset` in the payload; only those right after what was hashed so far count. */
  take(offset: number, piece: Uint8Array): void {
    if (this.result || offset > this.hashed || offset + piece.length <= this.hashed) return;
    this.hash.update(piece.subarray(this.hashed - offset));
    this.hashed = offset + piece.length;
  }

  /** Whether the payload's bytes match the sha256 (reads what was not streamed yet); asked once, remembered. */
  matches(): Promise<boolean> {
    this.result ??= (async () => {
      for await (const piece of this.payload.stream(this.hashed, this.totalBytes)) this.take(this.hashed, piece);
      return this.hashed === this.totalBytes && this.hash.digest('hex') === this.expectedSha256;
    })();
    return this.result;
  }
}

/** Where each attachment starts in a payload laid out as `layout` (bodies first, then the files in order). */
export function attachmentOffsets(layout: Omit<ContentLayout, 'bytes'>): number[] {
  let offset = (layout.htmlBytes ?? 0) + (layout.textBytes ?? 0);
  return (layout.attachments ?? []).map((file) => {
    const start = offset;
    offset += file.bytes;
    return start;
  });
}

/**
 * An attachment whose bytes are a range of a stored payload: its size comes from the layout, its bytes
 * are streamed (each piece also goes to the payload's hash). A range that ends short calls `shortRead`,
 * which throws.
 */
export function storedAttachmentSource(
  file: NonNullable<ContentLayout['attachments']>[number],
  start: number,
  payload: Pick<OpenedPayload, 'stream'>,
  hash: StreamedPayloadHash,
  shortRead: (name: string, readBytes: number) => never,
): AttachmentSource {
  const end = start + file.bytes;
  return {
    name: file.name,
    contentType: file.contentType,
    sizeBytes: file.bytes,
    ...(file.contentId ? { contentId: file.contentId } : {}),
    ...(file.isInline ? { isInline: true } : {}),
    async *open(fromByte: number) {
      let offset = start + fromByte;
      for await (const piece of payload.stream(offset, end)) {
        hash.take(offset, piece);
        offset += piece.length;
        yield piece;
      }
      if (offset < end) shortRead(file.name, offset - start);
    },
  };
}
