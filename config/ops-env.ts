// Environment variables for the dashboard, health and metrics endpoints (issue 5). Merged into the one schema by env-schema.ts.
import { z } from 'zod';

export const opsEnvSchema = z.object({});

export type OpsEnv = z.infer<typeof opsEnvSchema>;

export const opsEnvExamples: Record<keyof OpsEnv, string> = {};

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by its issue
export interface OpsConfig {}

/** Turns the parsed variables into typed config; push cross-field problems onto `problems`. */
export function readOpsConfig(_env: object, _problems: string[]): OpsConfig {
  return {};
}
