// Loads the environment once at start into a typed Config; bad values stop the process with one
// line per variable (name, problem, example), never quoting a secret (config/shown-value.ts).
import { z } from 'zod';
import { resolveCloudEndpoints } from '../src/graph/clouds';
import { ConfigError, StoreNotConfiguredError, type Config } from '../src/service-config';
import { DEFAULT_FIELD_PATHS, type SettingsFieldPaths } from '../src/settings/document-shape';
import { readContentConfig } from './content-env';
import { readCredentialsConfig } from './credentials-env';
import { readDraftsConfig } from './drafts-env';
import { SECRET_VARIABLES, envExamples, envSchema, type Env } from './env-schema';
import { readFlowConfig } from './flow-env';
import { readOpsConfig } from './ops-env';
import { readRedisConfig } from './redis-env';
import { problemWith } from './env-values';
import { shownValue } from './shown-value';

// The types live in src/ (src never imports config/); entry points and tests import them from here too.
export { ConfigError, StoreNotConfiguredError, type Config };

const fieldPathsSchema = z
  .object(Object.fromEntries(Object.keys(DEFAULT_FIELD_PATHS).map((key) => [key, z.string().min(1).optional()])))
  .strict();

const problem = problemWith(envExamples);

function parseFieldPaths(json: string | undefined, problems: string[]): SettingsFieldPaths {
  if (json === undefined) return DEFAULT_FIELD_PATHS;
  try {
    const overrides = fieldPathsSchema.parse(JSON.parse(json)) as Partial<SettingsFieldPaths>;
    return { ...DEFAULT_FIELD_PATHS, ...overrides };
  } catch {
    problems.push(problem('SETTINGS_FIELDS', `must be a JSON object whose keys are among ${Object.keys(DEFAULT_FIELD_PATHS).join(', ')}`));
    return DEFAULT_FIELD_PATHS;
  }
}

/** The configuration of a tool that opens the store only for the commands that need it (the ops CLI). */
export interface StoreOptionalConfig extends Omit<Config, 'store'> {
  /** Undefined when no store is configured; `storeProblems` then says which variables are missing. */
  store: Config['store'] | undefined;
  storeProblems: string[];
}

/** Reads `env` (normally process.env); throws ConfigError listing every problem at once. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const { config, problems, storeProblems } = readConfig(env);
  const { store } = config;
  if (storeProblems.length > 0 || problems.length > 0 || !store) throw new ConfigError([...storeProblems, ...problems]);
  return { ...config, store };
}

/**
 * Like loadConfig, but a missing or bad store setting is no problem until a command asks for the
 * store (`requireStore`); every other bad variable still throws ConfigError.
 */
export function loadStoreOptionalConfig(env: Record<string, string | undefined> = process.env): StoreOptionalConfig {
  const { config, problems, storeProblems } = readConfig(env);
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...config, storeProblems };
}

/** The store of a StoreOptionalConfig, or a StoreNotConfiguredError naming the missing variables. */
export function requireStore(config: StoreOptionalConfig): Config['store'] {
  if (!config.store) throw new StoreNotConfiguredError(config.storeProblems);
  return config.store;
}

interface ReadConfig {
  config: Omit<StoreOptionalConfig, 'storeProblems'>;
  /** Problems with the store variables (STORE, MONGODB_URI, SETTINGS_FILE). */
  storeProblems: string[];
  problems: string[];
}

/** Throws ConfigError for variables that do not parse at all; other problems are returned. */
function readConfig(env: Record<string, string | undefined>): ReadConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0]) as keyof Env;
        return problem(name, `${issue.message}, ${shownValue(env[name], SECRET_VARIABLES.has(name))}`);
      }),
    );
  }
  const e = parsed.data;
  const storeProblems: string[] = [];
  const storeKind = e.STORE ?? (e.MONGODB_URI ? 'mongodb' : undefined);
  let store: Config['store'] | undefined;
  if (storeKind === undefined) {
    storeProblems.push(problem('MONGODB_URI', 'is required (or set STORE=memory with SETTINGS_FILE for a demo without MongoDB)'));
  } else if (storeKind === 'mongodb') {
    if (e.MONGODB_URI) store = { kind: 'mongodb', uri: e.MONGODB_URI };
    else storeProblems.push(problem('MONGODB_URI', 'is required when STORE=mongodb'));
  } else if (e.NODE_ENV === 'production') {
    storeProblems.push(
      problem('STORE', 'memory keeps delivery records only in memory and is refused with NODE_ENV=production; use mongodb'),
    );
  } else if (e.SETTINGS_FILE) {
    store = { kind: 'memory', settingsFile: e.SETTINGS_FILE };
  } else {
    storeProblems.push(problem('SETTINGS_FILE', 'is required when STORE=memory: a JSON file {"accounts": [...], "users": [...]}'));
  }
  const problems: string[] = [];
  const fields = parseFieldPaths(e.SETTINGS_FIELDS, problems);
  const redis = readRedisConfig(e, problems, problem);
  const flow = readFlowConfig(e);
  const ops = readOpsConfig(e, problems);
  const credentials = readCredentialsConfig(e, problems);
  const drafts = readDraftsConfig(e, problems);
  const content = readContentConfig(e, problems);
  const config = {
    nodeEnv: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    redis,
    queueName: e.EMAIL_QUEUE_NAME,
    store,
    settings: {
      shape: {
        accountsCollection: e.SETTINGS_ACCOUNTS_COLLECTION,
        usersCollection: e.SETTINGS_USERS_COLLECTION,
        fields,
        graphProviderValue: e.SETTINGS_GRAPH_PROVIDER,
      },
      cacheTtlMs: e.SETTINGS_CACHE_TTL_SECONDS * 1000,
    },
    deliveryCollection: e.DELIVERY_COLLECTION,
    cloud: resolveCloudEndpoints(e.MS_GRAPH_CLOUD, {
      ...(e.MS_GRAPH_BASE_URL ? { graphBaseUrl: e.MS_GRAPH_BASE_URL } : {}),
      ...(e.MS_LOGIN_BASE_URL ? { loginBaseUrl: e.MS_LOGIN_BASE_URL } : {}),
    }),
    worker: {
      concurrency: e.WORKER_CONCURRENCY,
      sendTimeoutMs: e.SEND_TIMEOUT_MS,
      retry: { baseDelayMs: e.RETRY_BASE_DELAY_MS, maxDelayMs: e.RETRY_MAX_DELAY_MS, outcomeUnknown: e.OUTCOME_UNKNOWN_POLICY },
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      lockDurationMs: e.WORKER_LOCK_DURATION_MS,
      stalledIntervalMs: e.WORKER_STALLED_INTERVAL_MS,
      maxStalledCount: e.WORKER_MAX_STALLED_COUNT,
    },
    flow,
    ops,
    credentials,
    drafts,
    content,
  };
  return { config, storeProblems, problems };
}

/** For entry points: the config, or a clear message on stderr and exit code 78 (EX_CONFIG). */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err: unknown) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(78);
  }
}
