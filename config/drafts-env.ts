// Environment variables for draft-based sending. Merged into the one schema by env-schema.ts.
import { z } from 'zod';
import type { DraftsConfig } from '../src/service-config';
import { httpsUrl, optionalString, positiveInt, problemWith } from './env-values';

/** Outlook allows 150 MB of uploads per 5 minutes per app and mailbox (Graph's throttling limits). */
export const OUTLOOK_UPLOAD_BYTES_PER_WINDOW = 150 * 1024 * 1024;
export const OUTLOOK_UPLOAD_WINDOW_MS = 5 * 60_000;

export const draftsEnvSchema = z.object({
  /** The one extra origin an upload URL may point to (the simulator's upload host); unset in production. */
  MS_UPLOAD_BASE_URL: optionalString.pipe(httpsUrl.optional()),
  /** How long a lost answer to `send` is looked into before the outcome counts as unknown. */
  DRAFT_CONFIRM_WINDOW_MS: positiveInt.default(120_000),
  DRAFT_CONFIRM_INTERVAL_MS: positiveInt.default(5_000),
  /** Drafts this worker tagged and left behind are deleted once older than this. */
  DRAFT_SWEEP_AGE_HOURS: positiveInt.default(24),
  FLOW_UPLOAD_BYTES_PER_WINDOW: positiveInt.default(OUTLOOK_UPLOAD_BYTES_PER_WINDOW),
  FLOW_UPLOAD_WINDOW_MS: positiveInt.default(OUTLOOK_UPLOAD_WINDOW_MS),
});

export type DraftsEnv = z.infer<typeof draftsEnvSchema>;

export const draftsEnvExamples: Record<keyof DraftsEnv, string> = {
  MS_UPLOAD_BASE_URL: 'https://localhost:8444',
  DRAFT_CONFIRM_WINDOW_MS: '120000',
  DRAFT_CONFIRM_INTERVAL_MS: '5000',
  DRAFT_SWEEP_AGE_HOURS: '24',
  FLOW_UPLOAD_BYTES_PER_WINDOW: String(OUTLOOK_UPLOAD_BYTES_PER_WINDOW),
  FLOW_UPLOAD_WINDOW_MS: String(OUTLOOK_UPLOAD_WINDOW_MS),
};

export function readDraftsConfig(env: DraftsEnv, problems: string[]): DraftsConfig {
  if (env.DRAFT_CONFIRM_INTERVAL_MS > env.DRAFT_CONFIRM_WINDOW_MS) {
    problems.push(
      problemWith(draftsEnvExamples)(
        'DRAFT_CONFIRM_INTERVAL_MS',
        `must not exceed DRAFT_CONFIRM_WINDOW_MS (${env.DRAFT_CONFIRM_WINDOW_MS})`,
      ),
    );
  }
  return {
    ...(env.MS_UPLOAD_BASE_URL ? { uploadBaseUrl: env.MS_UPLOAD_BASE_URL } : {}),
    confirmWindowMs: env.DRAFT_CONFIRM_WINDOW_MS,
    confirmIntervalMs: env.DRAFT_CONFIRM_INTERVAL_MS,
    sweepAgeMs: env.DRAFT_SWEEP_AGE_HOURS * 3600_000,
    uploadBudget: { bytesPerWindow: env.FLOW_UPLOAD_BYTES_PER_WINDOW, windowMs: env.FLOW_UPLOAD_WINDOW_MS },
  };
}
