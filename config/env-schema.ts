// The environment this project reads, as one zod schema. Nothing outside config/ reads process.env.
import { z } from 'zod';
import { CLOUD_NAMES } from '../src/graph/clouds';
import { LOG_LEVELS, NODE_ENVS } from '../src/service-config';
import { httpsUrl, nonNegativeInt, optionalString, positiveInt } from './env-values';
import { contentEnvExamples, contentEnvSchema } from './content-env';
import { credentialsEnvExamples, credentialsEnvSchema } from './credentials-env';
import { draftsEnvExamples, draftsEnvSchema } from './drafts-env';
import { flowEnvExamples, flowEnvSchema } from './flow-env';
import { opsEnvExamples, opsEnvSchema } from './ops-env';
import { REDIS_SECRET_VARIABLES, redisEnvExamples, redisEnvSchema, redisUrlSchema } from './redis-env';

/** The variables of the send path; each later concern adds its own from config/<concern>-env.ts. */
export const coreEnvSchema = z.object({
  NODE_ENV: z.enum(NODE_ENVS).default('development'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),

  REDIS_URL: redisUrlSchema,
  EMAIL_QUEUE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only')
    .default('omikai-email'),

  STORE: z.enum(['mongodb', 'memory']).optional(),
  MONGODB_URI: optionalString.pipe(z.string().startsWith('mongodb', 'must start with mongodb:// or mongodb+srv://').optional()),
  SETTINGS_FILE: optionalString,
  SETTINGS_ACCOUNTS_COLLECTION: z.string().min(1).default('accounts'),
  SETTINGS_USERS_COLLECTION: z.string().min(1).default('users'),
  SETTINGS_FIELDS: optionalString,
  SETTINGS_GRAPH_PROVIDER: z.string().min(1).default('microsoft-graph'),
  SETTINGS_CACHE_TTL_SECONDS: nonNegativeInt.default(60),
  DELIVERY_COLLECTION: z.string().min(1).default('email_deliveries'),

  MS_GRAPH_CLOUD: z.enum(CLOUD_NAMES).default('global'),
  MS_GRAPH_BASE_URL: optionalString.pipe(httpsUrl.optional()),
  MS_LOGIN_BASE_URL: optionalString.pipe(httpsUrl.optional()),

  WORKER_CONCURRENCY: positiveInt.max(1000).default(20),
  SEND_TIMEOUT_MS: positiveInt.default(30_000),
  RETRY_BASE_DELAY_MS: positiveInt.default(5_000),
  RETRY_MAX_DELAY_MS: positiveInt.default(15 * 60_000),
  OUTCOME_UNKNOWN_POLICY: z.enum(['retry', 'fail']).default('retry'),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(30_000),
  // A job whose worker died is taken back after its lock lapses; after this many stalls it fails.
  WORKER_LOCK_DURATION_MS: positiveInt.default(30_000),
  WORKER_STALLED_INTERVAL_MS: positiveInt.default(30_000),
  WORKER_MAX_STALLED_COUNT: nonNegativeInt.default(3),
});

export const envSchema = coreEnvSchema
  .extend(redisEnvSchema.shape)
  .extend(flowEnvSchema.shape)
  .extend(opsEnvSchema.shape)
  .extend(credentialsEnvSchema.shape)
  .extend(draftsEnvSchema.shape)
  .extend(contentEnvSchema.shape);

export type Env = z.infer<typeof envSchema>;

/**
 * Variables whose values a configuration error never quotes: they hold keys or passwords, and
 * SETTINGS_ENCRYPTION_KEY_ID is where a key pasted into the wrong variable would land. URLs are
 * quoted with their credentials redacted instead (REDIS_URL and MONGODB_URI carry passwords).
 */
export const SECRET_VARIABLES: ReadonlySet<keyof Env> = new Set<keyof Env>([
  'DASHBOARD_USERS',
  'SETTINGS_ENCRYPTION_KEYS',
  'SETTINGS_ENCRYPTION_KEY',
  'SETTINGS_ENCRYPTION_KEY_ID',
  ...REDIS_SECRET_VARIABLES,
]);

const coreEnvExamples: Record<keyof z.infer<typeof coreEnvSchema>, string> = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  REDIS_URL: 'redis://127.0.0.1:6379',
  EMAIL_QUEUE_NAME: 'omikai-email',
  STORE: 'mongodb',
  MONGODB_URI: 'mongodb://127.0.0.1:27017/omikai',
  SETTINGS_FILE: 'config/demo-settings.json',
  SETTINGS_ACCOUNTS_COLLECTION: 'accounts',
  SETTINGS_USERS_COLLECTION: 'users',
  SETTINGS_FIELDS: '{"account.senderEmail":"email.graph.sender"}',
  SETTINGS_GRAPH_PROVIDER: 'microsoft-graph',
  SETTINGS_CACHE_TTL_SECONDS: '60',
  DELIVERY_COLLECTION: 'email_deliveries',
  MS_GRAPH_CLOUD: 'global',
  MS_GRAPH_BASE_URL: 'https://graph.microsoft.com',
  MS_LOGIN_BASE_URL: 'https://login.microsoftonline.com',
  WORKER_CONCURRENCY: '20',
  SEND_TIMEOUT_MS: '30000',
  RETRY_BASE_DELAY_MS: '5000',
  RETRY_MAX_DELAY_MS: '900000',
  OUTCOME_UNKNOWN_POLICY: 'retry',
  SHUTDOWN_TIMEOUT_MS: '30000',
  WORKER_LOCK_DURATION_MS: '30000',
  WORKER_STALLED_INTERVAL_MS: '30000',
  WORKER_MAX_STALLED_COUNT: '3',
};

/** One example per variable, printed next to its error so the fix is obvious. */
export const envExamples: Record<keyof Env, string> = {
  ...coreEnvExamples,
  ...redisEnvExamples,
  ...flowEnvExamples,
  ...opsEnvExamples,
  ...credentialsEnvExamples,
  ...draftsEnvExamples,
  ...contentEnvExamples,
};
