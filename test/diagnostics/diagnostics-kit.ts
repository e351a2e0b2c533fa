// A simulated tenant with every setup mistake an admin makes, and a connection test wired like
// `npm run verify` (memory settings, MSAL, the Graph client) against it.
import pino from 'pino';
import { testConnection, type ConnectionReport, type ConnectionTestInput } from '../../src/diagnostics/connection-test';
import { resolveCloudEndpoints } from '../../src/graph/clouds';
import { GraphDraftClient } from '../../src/graph/draft-client';
import { GraphMailClient } from '../../src/graph/graph-mail-client';
import { MsalTokenProvider } from '../../src/graph/token-provider';
import type { SecretKeyring } from '../../src/secrets/secret-keyring';
import { DEFAULT_DOCUMENT_SHAPE } from '../../src/settings/document-shape';
import { MemorySettingsStore, type SettingsDocuments } from '../../src/settings/memory-settings-store';
import { createAppCertificate, type AppCertificate } from '../../tools/graph-simulator/app-certificates';
import type { GraphSimulator, SimulatorTenant } from '../../tools/graph-simulator/graph-simulator';

export const TENANT_ID = 'aaaaaaaa-0000-4000-8000-0000000000d1';
export const OTHER_TENANT_ID = 'bbbbbbbb-0000-4000-8000-0000000000d2';
/** A secret that must never show up in any output. */
export const SECRET = 'Zz8Q~diag-secret-Value.4711';
export const APPS = {
  good: { clientId: 'd0000000-0000-4000-8000-000000000001', clientSecret: SECRET },
  delegatedOnly: { clientId: 'd0000000-0000-4000-8000-000000000002', clientSecret: SECRET },
  expiredSecret: { clientId: 'd0000000-0000-4000-8000-000000000003', clientSecret: SECRET },
  noConsent: { clientId: 'd0000000-0000-4000-8000-000000000004', clientSecret: SECRET },
  certificate: { clientId: 'd0000000-0000-4000-8000-000000000005', clientSecret: 'unused-secret-of-the-certificate-app' },
  elsewhere: { clientId: 'd0000000-0000-4000-8000-000000000006', clientSecret: SECRET },
  readWrite: { clientId: 'd0000000-0000-4000-8000-000000000007', clientSecret: SECRET },
} as const;
export const MAILBOXES = {
  info: 'info@contoso.example',
  anna: 'anna@contoso.example',
  blocked: 'blocked@contoso.example',
  inactive: 'inactive@contoso.example',
} as const;

export interface DiagnosticsFixture {
  tenants: SimulatorTenant[];
  /** Uploaded to the certificate app. */
  certificate: AppCertificate;
  /** Not uploaded anywhere. */
  strayCertificate: AppCertificate;
}

export async function diagnosticsFixture(): Promise<DiagnosticsFixture> {
  const [certificate, strayCertificate] = await Promise.all([createAppCertificate(), createAppCertificate()]);
  return {
    certificate,
    strayCertificate,
    tenants: [
      {
        tenantId: TENANT_ID,
        domains: ['contoso.example'],
        clients: [
          APPS.good,
          { ...APPS.delegatedOnly, roles: [] },
          { ...APPS.expiredSecret, secretExpired: true },
          { ...APPS.noConsent, noServicePrincipal: true },
          { ...APPS.certificate, certificates: [certificate.certificatePem] },
          { ...APPS.readWrite, roles: ['Mail.Send', 'Mail.ReadWrite'] },
        ],
        mailboxes: [
          { address: MAILBOXES.info },
          { address: MAILBOXES.anna },
          { address: MAILBOXES.blocked, blockedByPolicy: true },
          { address: MAILBOXES.inactive, notEnabledForRest: true },
        ],
      },
      { tenantId: OTHER_TENANT_ID, clients: [APPS.elsewhere], mailboxes: [] },
    ],
  };
}

/** An account document with the default field paths; `graph` overrides fields of microsoftGraph. */
export function accountDocument(id: string, graph: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    _id: id,
    emailProvider: 'microsoft-graph',
    microsoftGraph: { tenantId: TENANT_ID, ...APPS.good, senderEmail: MAILBOXES.info, ...graph },
  };
}

export interface VerifyOptions extends Partial<ConnectionTestInput> {
  keyring?: SecretKeyring;
  now?: () => number;
}

/** Runs the connection test for account `acc-1` of `documents`, as `npm run verify` would. */
export function verifyAgainst(
  simulator: GraphSimulator,
  documents: SettingsDocuments,
  options: VerifyOptions = {},
): Promise<ConnectionReport> {
  const cloud = resolveCloudEndpoints('global', { loginBaseUrl: simulator.url, graphBaseUrl: simulator.url });
  const logger = pino({ level: 'silent' });
  const { keyring, now, ...input } = options;
  return testConnection(
    { accountId: 'acc-1', ...input },
    {
      settings: new MemorySettingsStore(documents, DEFAULT_DOCUMENT_SHAPE, keyring ? { keyring } : {}),
      graphProviderValue: DEFAULT_DOCUMENT_SHAPE.graphProviderValue,
      tokens: new MsalTokenProvider({ cloud, logger, timeoutMs: 5000 }),
      graph: new GraphMailClient({ graphBaseUrl: simulator.url, timeoutMs: 5000 }),
      drafts: new GraphDraftClient({ graphBaseUrl: simulator.url, timeoutMs: 5000 }),
      cloud,
      ...(keyring ? { currentKeyId: keyring.currentKeyId } : {}),
      ...(now ? { now } : {}),
    },
  );
}

export const withAccount = (graph: Record<string, unknown>): SettingsDocuments => ({
  accounts: [accountDocument('acc-1', graph)],
  users: [],
});

/** The status of each step, in order, as `step:status`. */
export const statuses = (report: ConnectionReport) => report.steps.map((s) => `${s.step}:${s.status}`);
export const stepOf = (report: ConnectionReport, id: string) => report.steps.find((s) => s.step === id)!;
