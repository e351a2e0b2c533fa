// The order in which one job talks to the mailbox gate: a throttled send writes the mailbox's pause
// before it frees its place, so no other worker can take that place and send into the throttle.
import type { Job } from 'bullmq';
import pino from 'pino';
import { loadConfig } from '../../config/load-config';
import { MemoryDeliveryStore } from '../../src/delivery/memory-delivery-store';
import type { FlowGate, SendTicket } from '../../src/flow/mailbox-gate';
import type { GraphSendResult } from '../../src/graph/graph-mail-client';
import { EMAIL_JOB_SCHEMA_VERSION } from '@omikai/graph-mailer-client';
import { createSendEmailProcessor } from '../../src/sending/send-email-job';
import { MemorySettingsStore } from '../../src/settings/memory-settings-store';
import { CLIENT, TENANT_ID, accountDocument, sampleEmail } from '../support/test-pipeline';

const config = loadConfig({ STORE: 'memory', SETTINGS_FILE: '(documents given to the test)', REDIS_URL: 'redis://127.0.0.1:6379' });

function processorAnswering(result: GraphSendResult, calls: string[], tickets: SendTicket[] = []) {
  const flow: FlowGate = {
    admit: async (ticket) => {
      tickets.push(ticket);
      calls.push('admit');
      return { kind: 'go', release: async () => void calls.push('release') };
    },
    recordThrottle: async (ticket, scope, retryAfterMs, now) => {
      tickets.push(ticket);
      calls.push('recordThrottle');
      return { retryAtMs: now + retryAfterMs, deferrals: 1, scope };
    },
  };
  return createSendEmailProcessor({
    settings: new MemorySettingsStore({ accounts: [accountDocument('acc-1')], users: [] }, config.settings.shape),
    graphProviderValue: config.settings.shape.graphProviderValue,
    tokens: { getAccessToken: async () => ({ accessToken: 'token', tenantId: 'tenant-of-the-token' }) },
    graph: { sendMail: async () => result },
    deliveries: new MemoryDeliveryStore(),
    retryPolicy: { baseDelayMs: 200, maxDelayMs: 60_000, outcomeUnknown: 'retry', maxThrottleDeferrals: 20 },
    logger: pino({ level: 'silent' }),
    flow,
  });
}

function job(calls: string[]): Job {
  return {
    id: 'job-1',
    data: { ...sampleEmail(), saveToSentItems: true, schemaVersion: EMAIL_JOB_SCHEMA_VERSION },
    attemptsMade: 0,
    attemptsStarted: 1,
    opts: { attempts: 5 },
    moveToDelayed: async () => void calls.push('moveToDelayed'),
    updateProgress: async () => undefined,
  } as unknown as Job;
}

describe('a job and the mailbox gate', () => {
  it('a throttled send writes the pause before it frees its place', async () => {
    const calls: string[] = [];
    const throttled: GraphSendResult = {
      kind: 'response',
      status: 429,
      retryAfter: '2',
      errorCode: 'ApplicationThrottled',
      errorMessage: 'Application is over its MailboxConcurrency limit.',
    };
    await expect(processorAnswering(throttled, calls)(job(calls), 'lock')).rejects.toThrow();
    expect(calls).toEqual(['admit', 'recordThrottle', 'moveToDelayed', 'release']);
  });

  it('a sent e-mail frees its place once, after the send', async () => {
    const calls: string[] = [];
    const sent: GraphSendResult = { kind: 'response', status: 202, requestId: 'req-1' };
    await expect(processorAnswering(sent, calls)(job(calls), 'lock')).resolves.toMatchObject({ status: 'sent' });
    expect(calls).toEqual(['admit', 'release']);
  });

  it('asks the gate for the tenant of the token Entra issued, not the Tenant ID as typed, and names the app', async () => {
    const calls: string[] = [];
    const tickets: SendTicket[] = [];
    const throttled: GraphSendResult = { kind: 'response', status: 429, retryAfter: '2', errorCode: 'ApplicationThrottled' };
    await expect(processorAnswering(throttled, calls, tickets)(job(calls), 'lock')).rejects.toThrow();
    expect(tickets).toEqual([
      expect.objectContaining({ tenantId: 'tenant-of-the-token', clientId: CLIENT.clientId, mailbox: 'info@contoso.example' }),
      expect.objectContaining({ tenantId: 'tenant-of-the-token', clientId: CLIENT.clientId, mailbox: 'info@contoso.example' }),
    ]);
    expect(tickets[0]?.tenantId).not.toBe(TENANT_ID);
  });
});
