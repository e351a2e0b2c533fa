// The chaos run's fixture: one simulated tenant with several mailboxes, the ERP settings that use them,
// the e-mails (each carrying its key in an x- header and its subject), and the workers' environment.
import type { EmailJobInput } from '@omikai/graph-mailer-client';
import type { SettingsDocuments } from '../../src/settings/memory-settings-store';
import type { SimulatorTenant } from '../../tools/graph-simulator/graph-simulator';

export const CHAOS_TENANT_ID = 'cccccccc-0000-4000-8000-00000000c001';
const CLIENT = { clientId: 'c0000000-0000-4000-8000-00000000c001', clientSecret: 'chaos-secret-Value' };
const MAILBOXES = ['info', 'sales', 'billing', 'support', 'anna'].map((name) => `${name}@chaos.example`);
/** The header that names the job in what Graph received. */
export const CHAOS_KEY_HEADER = 'x-chaos-key';

export const CHAOS_TENANTS: SimulatorTenant[] = [
  { tenantId: CHAOS_TENANT_ID, clients: [CLIENT], mailboxes: MAILBOXES.map((address) => ({ address })) },
];

const account = (id: string, senderEmail: string) => ({
  _id: id,
  emailProvider: 'microsoft-graph',
  microsoftGraph: { tenantId: CHAOS_TENANT_ID, ...CLIENT, senderEmail },
});

export const CHAOS_SETTINGS: SettingsDocuments = {
  accounts: MAILBOXES.slice(0, 4).map((address, index) => account(`acc-${index + 1}`, address)),
  users: [
    { _id: 'user-anna', accountId: 'acc-1', emailProvider: 'microsoft-graph', microsoftGraph: { senderEmail: 'anna@chaos.example' } },
  ],
};

/** Who sends e-mail number `index`: the four accounts in turn, and a user with her own mailbox. */
const ROUTES: { accountId: string; userId?: string }[] = [
  { accountId: 'acc-1' },
  { accountId: 'acc-2' },
  { accountId: 'acc-3' },
  { accountId: 'acc-4' },
  { accountId: 'acc-1', userId: 'user-anna' },
];

export function chaosEmail(runId: string, index: number): EmailJobInput & { idempotencyKey: string } {
  const key = `${runId}-${index}`;
  const route = ROUTES[index % ROUTES.length] ?? { accountId: 'acc-1' };
  return {
    ...route,
    to: [{ address: `customer-${index % 97}@example.com` }],
    subject: `Chaos ${key}`,
    text: `Chaos run ${runId}, e-mail ${index}.`,
    headers: { [CHAOS_KEY_HEADER]: key },
    idempotencyKey: key,
    correlation: { chaosRun: runId, index: String(index) },
  };
}

/** The key of an e-mail Graph accepted: from its x-chaos-key header, else from its subject. */
export function chaosKeyOf(message: unknown): string | undefined {
  const fields = (typeof message === 'object' && message !== null ? message : {}) as {
    subject?: unknown;
    internetMessageHeaders?: { name?: unknown; value?: unknown }[];
  };
  const header = fields.internetMessageHeaders?.find((h) => String(h.name).toLowerCase() === CHAOS_KEY_HEADER);
  if (typeof header?.value === 'string') return header.value;
  return typeof fields.subject === 'string' ? /^Chaos (\S+)$/.exec(fields.subject)?.[1] : undefined;
}

export interface WorkerEnvOptions {
  /** REDIS_URL, or the REDIS_* variables of a Sentinel set or Cluster. */
  redisEnv: Record<string, string>;
  queueName: string;
  simulatorUrl: string;
  settingsFile: string;
  caCertPath: string;
  concurrency: number;
  flow: boolean;
  logLevel: string;
}

/** Short stall settings so a killed worker's jobs come back within seconds; flow limits no run reaches. */
export function chaosWorkerEnv(options: WorkerEnvOptions): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_EXTRA_CA_CERTS: options.caCertPath,
    NODE_ENV: 'development',
    LOG_LEVEL: options.logLevel,
    ...options.redisEnv,
    EMAIL_QUEUE_NAME: options.queueName,
    // Validated by the config loader; the chaos worker uses the harness's store service instead.
    STORE: 'memory',
    SETTINGS_FILE: options.settingsFile,
    SETTINGS_CACHE_TTL_SECONDS: '5',
    MS_GRAPH_BASE_URL: options.simulatorUrl,
    MS_LOGIN_BASE_URL: options.simulatorUrl,
    WORKER_CONCURRENCY: String(options.concurrency),
    SEND_TIMEOUT_MS: '10000',
    RETRY_BASE_DELAY_MS: '200',
    RETRY_MAX_DELAY_MS: '5000',
    OUTCOME_UNKNOWN_POLICY: 'retry',
    SHUTDOWN_TIMEOUT_MS: '5000',
    WORKER_LOCK_DURATION_MS: '5000',
    WORKER_STALLED_INTERVAL_MS: '2000',
    WORKER_MAX_STALLED_COUNT: '5',
    WORKER_METRICS_PORT: '0',
    FLOW_ENABLED: String(options.flow),
    FLOW_MAILBOX_MESSAGES: '100000',
    FLOW_MAILBOX_WINDOW_MS: '1000',
    FLOW_MAILBOX_CONCURRENCY: '100',
  };
}
