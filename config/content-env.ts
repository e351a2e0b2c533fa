// Environment variables for the payload store (message content out of Redis). Merged into the one schema by env-schema.ts.
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_CONTENT_BUCKET } from '@omikai/graph-mailer-client/gridfs';
import { DEFAULT_INLINE_MAX_BYTES } from '@omikai/graph-mailer-client';
import { DurationFormatError, parseDurationMs } from '../src/ops/duration';
import type { ContentConfig } from '../src/service-config';
import { nonNegativeInt, optionalString, positiveInt, problemWith } from './env-values';

export const contentEnvSchema = z.object({
  // A bucket name becomes <name>.files and <name>.chunks; letters, digits, _ and - keep it a plain collection name.
  CONTENT_BUCKET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only (at most 64)')
    .default(DEFAULT_CONTENT_BUCKET),
  CONTENT_DIR: optionalString,
  CONTENT_RETENTION_AFTER_SENT: z.string().default('0'),
  CONTENT_INLINE_MAX_BYTES: nonNegativeInt.max(4_000_000).default(DEFAULT_INLINE_MAX_BYTES),
  CONTENT_SWEEP_INTERVAL_MS: positiveInt.default(10 * 60_000),
});

export type ContentEnv = z.infer<typeof contentEnvSchema>;

export const contentEnvExamples: Record<keyof ContentEnv, string> = {
  CONTENT_BUCKET: DEFAULT_CONTENT_BUCKET,
  CONTENT_DIR: '/var/lib/omikai/email-content',
  CONTENT_RETENTION_AFTER_SENT: '0',
  CONTENT_INLINE_MAX_BYTES: String(DEFAULT_INLINE_MAX_BYTES),
  CONTENT_SWEEP_INTERVAL_MS: '600000',
};

/** The shared default directory for demos: the same for the worker, the demo producer and the ops CLI. */
export const DEFAULT_CONTENT_DIR = join(tmpdir(), 'omikai-email-content');

export function readContentConfig(env: ContentEnv, problems: string[]): ContentConfig {
  let retentionAfterSentMs = 0;
  if (env.CONTENT_RETENTION_AFTER_SENT.trim() !== '0') {
    try {
      retentionAfterSentMs = parseDurationMs(env.CONTENT_RETENTION_AFTER_SENT);
    } catch (err: unknown) {
      if (!(err instanceof DurationFormatError)) throw err;
      problems.push(problemWith(contentEnvExamples)('CONTENT_RETENTION_AFTER_SENT', 'must be 0 or a duration such as 30m, 12h or 7d'));
    }
  }
  return {
    bucketName: env.CONTENT_BUCKET,
    directory: resolve(env.CONTENT_DIR ?? DEFAULT_CONTENT_DIR),
    retentionAfterSentMs,
    inlineMaxBytes: env.CONTENT_INLINE_MAX_BYTES,
    sweepIntervalMs: env.CONTENT_SWEEP_INTERVAL_MS,
  };
}
