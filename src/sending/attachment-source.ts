// Where a draft's attachment bytes come from: a small interface the uploader streams from, in order,
// from any byte on (resuming where Graph's nextExpectedRanges says). Today the job's inline base64
// feeds it; the payload store (content kept outside Redis) implements the same interface.
import type { EmailJob } from '@omikai/graph-mailer-client';

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
