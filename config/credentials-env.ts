// Environment variables for secrets at rest and credential checks (issue 6). Merged into the one schema by env-schema.ts.
import { z } from 'zod';

export const credentialsEnvSchema = z.object({});

export type CredentialsEnv = z.infer<typeof credentialsEnvSchema>;

export const credentialsEnvExamples: Record<keyof CredentialsEnv, string> = {};

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by its issue
export interface CredentialsConfig {}

/** Turns the parsed variables into typed config; push cross-field problems onto `problems`. */
export function readCredentialsConfig(_env: object, _problems: string[]): CredentialsConfig {
  return {};
}
