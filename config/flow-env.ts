// Environment variables for per-mailbox flow control (issue 4). Merged into the one schema by env-schema.ts.
import { z } from 'zod';

export const flowEnvSchema = z.object({});

export type FlowEnv = z.infer<typeof flowEnvSchema>;

export const flowEnvExamples: Record<keyof FlowEnv, string> = {};

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by its issue
export interface FlowConfig {}

/** Turns the parsed variables into typed config; push cross-field problems onto `problems`. */
export function readFlowConfig(_env: object, _problems: string[]): FlowConfig {
  return {};
}
