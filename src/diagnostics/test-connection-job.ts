// Runs a test-connection job (queued by the client's testConnection()): the same checklist `npm run
// verify` prints, returned as the job's result for the ERP to show.
import type { Job } from 'bullmq';
import type { ConnectionReport, ConnectionTestRequest } from '@omikai/graph-mailer-client';
import { testConnection, type ConnectionTestDeps } from './connection-test';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Only these fields are taken from the job, each checked: the job comes from Redis, not from us. */
export function connectionTestRequestOf(data: unknown): ConnectionTestRequest {
  const record = isRecord(data) ? data : {};
  const text = (value: unknown, max: number) => (typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined);
  const accountId = text(record.accountId, 128);
  if (accountId === undefined) throw new Error('a test-connection job needs accountId (1 to 128 characters)');
  const userId = text(record.userId, 128);
  const sendTestTo = text(record.sendTestTo, 320);
  return { accountId, ...(userId ? { userId } : {}), ...(sendTestTo ? { sendTestTo } : {}) };
}

export function createTestConnectionProcessor(deps: ConnectionTestDeps): (job: Job) => Promise<ConnectionReport> {
  return (job) => testConnection(connectionTestRequestOf(job.data), deps);
}
