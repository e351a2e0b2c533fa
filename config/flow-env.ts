// Environment variables for per-mailbox flow control. Merged into the one schema by env-schema.ts.
import { z } from 'zod';
import { EXCHANGE_LIMITS } from '../src/flow/flow-policy';
import type { FlowConfig } from '../src/service-config';
import { boolean, nonNegativeInt, positiveInt } from './env-values';

export const flowEnvSchema = z.object({
  FLOW_ENABLED: boolean.default(true),
  FLOW_MAILBOX_MESSAGES: positiveInt.default(EXCHANGE_LIMITS.messagesPerWindow),
  FLOW_MAILBOX_WINDOW_MS: positiveInt.default(EXCHANGE_LIMITS.windowMs),
  FLOW_MAILBOX_CONCURRENCY: positiveInt.default(EXCHANGE_LIMITS.concurrentSends),
  FLOW_MAILBOX_RECIPIENTS_PER_DAY: nonNegativeInt.default(EXCHANGE_LIMITS.recipientsPerDay),
  FLOW_MAX_THROTTLE_DEFERRALS: positiveInt.default(EXCHANGE_LIMITS.maxThrottleDeferrals),
  FLOW_TENANT_PAUSE_AFTER_MAILBOXES: positiveInt.default(EXCHANGE_LIMITS.tenantPauseAfterMailboxes),
});

export type FlowEnv = z.infer<typeof flowEnvSchema>;

export const flowEnvExamples: Record<keyof FlowEnv, string> = {
  FLOW_ENABLED: 'true',
  FLOW_MAILBOX_MESSAGES: '30',
  FLOW_MAILBOX_WINDOW_MS: '60000',
  FLOW_MAILBOX_CONCURRENCY: '4',
  FLOW_MAILBOX_RECIPIENTS_PER_DAY: '10000',
  FLOW_MAX_THROTTLE_DEFERRALS: '20',
  FLOW_TENANT_PAUSE_AFTER_MAILBOXES: '3',
};

export function readFlowConfig(env: FlowEnv): FlowConfig {
  if (!env.FLOW_ENABLED) return { limits: undefined };
  return {
    limits: {
      messagesPerWindow: env.FLOW_MAILBOX_MESSAGES,
      windowMs: env.FLOW_MAILBOX_WINDOW_MS,
      concurrentSends: env.FLOW_MAILBOX_CONCURRENCY,
      recipientsPerDay: env.FLOW_MAILBOX_RECIPIENTS_PER_DAY,
      maxThrottleDeferrals: env.FLOW_MAX_THROTTLE_DEFERRALS,
      tenantPauseAfterMailboxes: env.FLOW_TENANT_PAUSE_AFTER_MAILBOXES,
    },
  };
}
