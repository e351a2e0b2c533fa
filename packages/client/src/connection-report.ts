// "Test connection" from the ERP: the job the worker runs, and the checklist it answers with (the
// same one `npm run verify` prints).

/** The job name of a connection test on the e-mail queue; its data is a ConnectionTestRequest. */
export const TEST_CONNECTION_JOB_NAME = 'test-connection';

export interface ConnectionTestRequest {
  accountId: string;
  userId?: string;
  /** Also send a short test message from the resolved sender to this address. */
  sendTestTo?: string;
}

export type StepStatus = 'ok' | 'warning' | 'failed' | 'skipped';
export type StepId = 'settings' | 'secret-at-rest' | 'expiry' | 'token' | 'permissions' | 'send-mode' | 'test-send';

export interface ConnectionStep {
  step: StepId;
  title: string;
  status: StepStatus;
  /** What was found, and why it matters. */
  reason: string;
  /** What to do, naming the setup step (see docs/setup.md). */
  fix?: string;
  /** The whole fix, one step or command per line (IT's PowerShell for an access policy), when it takes more than a line. */
  procedure?: string;
  /** The AADSTS code, Graph error code or settings code behind a failure. */
  code?: string;
  graphRequestId?: string;
}

export interface ConnectionReport {
  accountId: string;
  userId?: string;
  sender?: string;
  senderSource?: 'account' | 'user';
  /** False when any step failed; warnings do not fail the test. */
  ok: boolean;
  steps: ConnectionStep[];
}
