// The failed-jobs scene most CLI tests start from: failures of several categories, one sent e-mail,
// and delivery records for some of them.
import type { Failure } from '@omikai/graph-mailer-client';
import { MemoryDeliveryStore } from '../../../src/delivery/memory-delivery-store';
import { policyDeniedProcedure } from '../../../src/graph/admin-procedures';
import { policyDeniedReason } from '../../../src/graph/classify-send-result';
import { SECRET_BODY, secretEmail, seedJobs, type SeededQueue } from './seed-failed-jobs';

export const POLICY_APP_ID = '22222222-2222-4222-8222-222222222222';
export const POLICY: Failure = {
  category: 'policy-denied',
  code: 'ErrorAccessDenied',
  httpStatus: 403,
  graphRequestId: 'req-policy-1',
  reason: policyDeniedReason('blocked@contoso.example', POLICY_APP_ID),
  procedure: policyDeniedProcedure('blocked@contoso.example', POLICY_APP_ID),
};
export const RECIPIENT: Failure = {
  category: 'invalid-recipient',
  code: 'ErrorInvalidRecipients',
  httpStatus: 400,
  graphRequestId: 'req-recipient-1',
  reason: 'Graph rejected a recipient address; correct it in the ERP.',
};
export const THROTTLED: Failure = {
  category: 'throttled',
  reason: 'Gave up after 3 attempts: Graph is throttling the sender mailbox (429).',
};
export const TRANSIENT: Failure = { category: 'transient', reason: 'Gave up after 3 attempts: Graph had a temporary problem (HTTP 503).' };

export interface Scenario extends SeededQueue {
  deliveries: MemoryDeliveryStore;
}

/** p1 p2 policy-denied, r1 invalid-recipient, t1 t2 throttled, x1 transient after 2 retried attempts, s1 failed but recorded sent, ok1 completed. */
export async function seedScenario(): Promise<Scenario> {
  const seeded = await seedJobs([
    { id: 'p1', failure: POLICY, email: secretEmail({ idempotencyKey: 'invoice-1042-email' }) },
    { id: 'p2', failure: POLICY },
    { id: 'r1', failure: RECIPIENT },
    { id: 't1', failure: THROTTLED },
    { id: 't2', failure: THROTTLED },
    { id: 'x1', failure: TRANSIENT, retriesFirst: 2 },
    { id: 's1', failure: TRANSIENT },
    { id: 'ok1' },
  ]);
  const deliveries = new MemoryDeliveryStore();
  const start = { accountId: 'acc-1', subject: 'Invoice 1042', recipientCount: 1, status: 'sending' as const, now: new Date() };
  await deliveries.startAttempt({
    ...start,
    jobId: 'p1',
    idempotencyKey: 'invoice-1042-email',
    correlation: { documentType: 'invoice', documentId: '1042' },
  });
  await deliveries.finishAttempt('p1', {
    status: 'failed',
    error: POLICY,
    sender: 'blocked@contoso.example',
    senderSource: 'account',
    clientRequestId: 'client-req-p1',
    now: new Date(),
  });
  await deliveries.startAttempt({ ...start, jobId: 's1', correlation: { documentType: 'invoice', documentId: '2001' } });
  await deliveries.finishAttempt('s1', {
    status: 'sent',
    sender: 'info@contoso.example',
    senderSource: 'account',
    graphRequestId: 'req-s1',
    clientRequestId: 'client-req-s1',
    now: new Date(),
  });
  return { ...seeded, deliveries };
}

export { SECRET_BODY };
