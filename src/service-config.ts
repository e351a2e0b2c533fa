// The configuration the service's parts are started with, as types, and the errors that say it is
// incomplete. config/ fills it from the environment (the only reader of process.env) and the entry
// points in workers/ pass it in: modules in src/ take the part they need and never import config/.
import type { EnqueueDurability, RedisTarget } from '@omikai/graph-mailer-client';
import type { DashboardUser } from './dashboard/dashboard-users';
import type { MailboxLimits } from './flow/flow-policy';
import type { CloudEndpoints } from './graph/clouds';
import type { SecretKeyring } from './secrets/secret-keyring';
import type { SettingsDocumentShape } from './settings/document-shape';

/** The values of NODE_ENV. */
export const NODE_ENVS = ['development', 'production', 'test'] as const;
/** The values of LOG_LEVEL (pino's levels). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface Config {
  nodeEnv: (typeof NODE_ENVS)[number];
  logLevel: (typeof LOG_LEVELS)[number];
  redis: RedisConfig;
  queueName: string;
  store: { kind: 'mongodb'; uri: string } | { kind: 'memory'; settingsFile: string };
  settings: { shape: SettingsDocumentShape; cacheTtlMs: number };
  deliveryCollection: string;
  cloud: CloudEndpoints;
  worker: {
    concurrency: number;
    sendTimeoutMs: number;
    retry: { baseDelayMs: number; maxDelayMs: number; outcomeUnknown: 'retry' | 'fail' };
    shutdownTimeoutMs: number;
    lockDurationMs: number;
    stalledIntervalMs: number;
    maxStalledCount: number;
  };
  flow: FlowConfig;
  ops: OpsConfig;
  credentials: CredentialsConfig;
  drafts: DraftsConfig;
  content: ContentConfig;
}

export interface RedisConfig {
  target: RedisTarget;
  /** How many queues the e-mails are spread over (EMAIL_QUEUE_SHARDS). */
  shards: number;
  durability: EnqueueDurability;
  replicationTimeoutMs: number;
}

export interface FlowConfig {
  /** undefined: flow control is off (FLOW_ENABLED=false); throttles are then ordinary retries. */
  limits: MailboxLimits | undefined;
}

export interface OpsConfig {
  /** Settings still read but to be replaced, one sentence each; entry points log them at start. */
  deprecations: string[];
  dashboard: {
    /** The address the board listens on. */
    host: string;
    /** Empty unless DASHBOARD_USERS is set; the dashboard refuses to start without users. */
    users: DashboardUser[];
    /** 0: DASHBOARD_PORT=auto, the OS picks a free port (logged at start). */
    port: number;
    /** Without a trailing slash, except for the root path '/'. */
    basePath: string;
    /** The address of the dashboard's /healthz, /readyz, /metrics server. */
    metricsHost: string;
    /** undefined: no health/metrics server; 0: DASHBOARD_METRICS_PORT=auto, the OS picks a free port. */
    metricsPort: number | undefined;
    /** Express's `trust proxy`: false, a hop count, or the proxies' addresses and subnets. */
    trustProxy: false | number | string[];
  };
  /** metricsPort as the dashboard's: undefined off, 0 a port the OS picks (WORKER_METRICS_PORT=auto). */
  worker: { metricsHost: string; metricsPort: number | undefined };
}

export interface CredentialsConfig {
  /** The keys that decrypt settings (the first also encrypts); undefined when none is configured. */
  keyring?: SecretKeyring;
  /** A secret stored in plaintext fails its jobs (`settings`) instead of only being warned about. */
  requireEncrypted: boolean;
  /** Warn this many days before a client secret or certificate expires. */
  expiryWarningDays: number;
  /** How often the worker's expiry check runs. */
  expiryCheckIntervalMs: number;
}

export interface DraftsConfig {
  /** An upload URL on this origin is accepted besides the cloud's Outlook hosts. */
  uploadBaseUrl?: string;
  confirmWindowMs: number;
  confirmIntervalMs: number;
  sweepAgeMs: number;
  /** Upload bytes per app and mailbox per window. */
  uploadBudget: { bytesPerWindow: number; windowMs: number };
}

export interface ContentConfig {
  /** GridFS bucket, with STORE=mongodb. */
  bucketName: string;
  /** The directory payload store, with STORE=memory; shared by every process on the host. */
  directory: string;
  /** How long a sent e-mail's content is kept; 0: removed at once. */
  retentionAfterSentMs: number;
  inlineMaxBytes: number;
  sweepIntervalMs: number;
}

/** The environment holds bad values; `problems` has one line per variable (name, problem, example). */
export class ConfigError extends Error {
  override name = 'ConfigError';

  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** A command needs the delivery or settings store, and none is configured. */
export class StoreNotConfiguredError extends ConfigError {
  override name = 'StoreNotConfiguredError';
}
