// Runs the ops CLI in-process against a given queue and delivery store, capturing what it prints.
import { PassThrough, Readable, Writable } from 'node:stream';
import type { CliQueue } from '../../../src/ops/cli/sharded-queue';
import type { RedisClient as Redis } from '@omikai/graph-mailer-client';
import type { MailboxLimits } from '../../../src/flow/flow-policy';
import type { AuditEntry } from '../../../src/ops/audit-log';
import type { CancelDeliveries } from '../../../src/ops/cancel-email-jobs';
import { MemoryDeliveryStore } from '../../../src/delivery/memory-delivery-store';
import { runOpsCli } from '../../../src/ops/cli/ops-cli';
import type { DraftsAccess, SettingsSecretsAccess } from '../../../src/ops/cli/cli-context';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as the one JSON document of --json. */
  json(): unknown;
  /** What the command wrote to the audit trail. */
  audits: AuditEntry[];
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    }),
    text: () => chunks.join(''),
  };
}

export async function runCli(
  argv: string[],
  {
    queue,
    deliveries = new MemoryDeliveryStore(),
    now,
    stdin,
    settingsSecrets,
    actor = 'oncall@ops-host',
    flow,
    drafts,
  }: {
    queue?: CliQueue;
    deliveries?: CancelDeliveries;
    now?: number;
    stdin?: string;
    settingsSecrets?: SettingsSecretsAccess;
    actor?: string;
    /** FLOW_* limits and the Redis holding flow control's state; without limits, flow control is off. */
    flow?: { limits?: MailboxLimits; redis?: Redis };
    drafts?: DraftsAccess;
  },
): Promise<CliRun> {
  const audits: AuditEntry[] = [];
  const stdout = collector();
  const stderr = collector();
  const code = await runOpsCli(argv, {
    queue: () => {
      if (!queue) throw new Error('this command should not need the queue');
      return queue;
    },
    deliveries: async () => deliveries,
    settingsSecrets: async () => {
      if (!settingsSecrets) throw new Error('this command should not need the settings store');
      return settingsSecrets;
    },
    flow: () => ({
      limits: flow?.limits,
      redis: () => {
        if (!flow?.redis) throw new Error('this command should not need Redis for flow control');
        return flow.redis;
      },
    }),
    drafts: async () => {
      if (!drafts) throw new Error('this command should not need Graph');
      return drafts;
    },
    io: { stdout: stdout.stream, stderr: stderr.stream, stdin: stdin === undefined ? new PassThrough() : Readable.from([stdin]) },
    audit: { record: (entry) => audits.push(entry) },
    actor,
    ...(now !== undefined ? { now: () => now } : {}),
  });
  return { code, stdout: stdout.text(), stderr: stderr.text(), json: () => JSON.parse(stdout.text()) as unknown, audits };
}
