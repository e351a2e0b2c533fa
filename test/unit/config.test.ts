import { readFileSync } from 'node:fs';
import { coreEnvSchema, envSchema } from '../../config/env-schema';
import { ConfigError, StoreNotConfiguredError, loadConfig, loadStoreOptionalConfig, requireStore } from '../../config/load-config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err: unknown) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('uses MongoDB whenever MONGODB_URI is set, with Exchange-friendly defaults', () => {
    const config = loadConfig({ MONGODB_URI: 'mongodb://db/omikai' });
    expect(config.store).toEqual({ kind: 'mongodb', uri: 'mongodb://db/omikai' });
    expect(config.cloud).toEqual({
      cloud: 'global',
      loginBaseUrl: 'https://login.microsoftonline.com',
      graphBaseUrl: 'https://graph.microsoft.com',
      scope: 'https://graph.microsoft.com/.default',
    });
    expect(config.worker.retry.outcomeUnknown).toBe('retry');
    expect(config.settings.cacheTtlMs).toBe(60_000);
  });

  it.each([
    ['usgov', 'https://login.microsoftonline.us', 'https://graph.microsoft.us'],
    ['usgov-dod', 'https://login.microsoftonline.us', 'https://dod-graph.microsoft.us'],
    ['china', 'https://login.chinacloudapi.cn', 'https://microsoftgraph.chinacloudapi.cn'],
  ])('MS_GRAPH_CLOUD=%s selects its login host, Graph host and scope', (cloud, login, graph) => {
    expect(loadConfig({ MONGODB_URI: 'mongodb://db/x', MS_GRAPH_CLOUD: cloud }).cloud).toEqual({
      cloud,
      loginBaseUrl: login,
      graphBaseUrl: graph,
      scope: `${graph}/.default`,
    });
  });

  it('lets the base URL overrides point both hosts elsewhere, and the scope follows Graph', () => {
    const config = loadConfig({
      MONGODB_URI: 'mongodb://db/x',
      MS_GRAPH_BASE_URL: 'https://localhost:8443/',
      MS_LOGIN_BASE_URL: 'https://localhost:8443',
    });
    expect(config.cloud).toMatchObject({
      graphBaseUrl: 'https://localhost:8443',
      loginBaseUrl: 'https://localhost:8443',
      scope: 'https://localhost:8443/.default',
    });
  });

  it('reports one line per bad variable with its name, problem and an example', () => {
    const problems = problemsOf({
      MONGODB_URI: 'mongodb://db/x',
      MS_GRAPH_CLOUD: 'eu',
      WORKER_CONCURRENCY: 'many',
      MS_GRAPH_BASE_URL: 'http://localhost',
    });
    expect(problems).toHaveLength(3);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^MS_GRAPH_CLOUD: .*got "eu".*example: MS_GRAPH_CLOUD=global/),
        expect.stringMatching(/^WORKER_CONCURRENCY: .*got "many".*example: WORKER_CONCURRENCY=20/),
        expect.stringMatching(/^MS_GRAPH_BASE_URL: must be an https:\/\/ URL/),
      ]),
    );
  });

  it('asks for MONGODB_URI when no store is configured', () => {
    expect(problemsOf({})).toEqual([expect.stringMatching(/^MONGODB_URI: is required/)]);
  });

  it('needs SETTINGS_FILE for the memory store and refuses memory in production', () => {
    expect(problemsOf({ STORE: 'memory' })).toEqual([expect.stringMatching(/^SETTINGS_FILE: is required when STORE=memory/)]);
    expect(problemsOf({ STORE: 'memory', SETTINGS_FILE: 'x.json', NODE_ENV: 'production' })).toEqual([
      expect.stringMatching(/^STORE: memory .* refused with NODE_ENV=production/),
    ]);
  });

  it('merges SETTINGS_FIELDS over the default document paths and rejects unknown keys', () => {
    const config = loadConfig({ MONGODB_URI: 'mongodb://db/x', SETTINGS_FIELDS: '{"account.senderEmail":"mail.from"}' });
    expect(config.settings.shape.fields['account.senderEmail']).toBe('mail.from');
    expect(config.settings.shape.fields['account.tenantId']).toBe('microsoftGraph.tenantId');
    expect(problemsOf({ MONGODB_URI: 'mongodb://db/x', SETTINGS_FIELDS: '{"account.password":"x"}' })).toEqual([
      expect.stringMatching(/^SETTINGS_FIELDS:/),
    ]);
  });
});

describe('loadConfig: dashboard and metrics ports', () => {
  const ports = (env: Record<string, string>) => {
    const { dashboard, worker } = loadConfig({ MONGODB_URI: 'mongodb://db/x', ...env }).ops;
    return { board: dashboard.port, dashboardMetrics: dashboard.metricsPort, workerMetrics: worker.metricsPort };
  };

  it('listens on the ports given, 0 turns a metrics server off, and auto is port 0: the OS picks one', () => {
    expect(ports({})).toEqual({ board: 3000, dashboardMetrics: 9465, workerMetrics: 9464 });
    expect(ports({ DASHBOARD_METRICS_PORT: '0', WORKER_METRICS_PORT: '0' })).toEqual({
      board: 3000,
      dashboardMetrics: undefined,
      workerMetrics: undefined,
    });
    expect(ports({ DASHBOARD_PORT: 'auto', DASHBOARD_METRICS_PORT: 'auto', WORKER_METRICS_PORT: 'auto' })).toEqual({
      board: 0,
      dashboardMetrics: 0,
      workerMetrics: 0,
    });
  });

  it('refuses a port that is neither a number nor auto, saying what it takes', () => {
    expect(problemsOf({ MONGODB_URI: 'mongodb://db/x', DASHBOARD_PORT: 'any', WORKER_METRICS_PORT: 'Auto' })).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DASHBOARD_PORT: must be a port number \(1 to 65535\), or auto/),
        expect.stringMatching(/^WORKER_METRICS_PORT: must be a port number \(0 to 65535\), 0 to turn this server off, or auto/),
      ]),
    );
  });
});

describe('loadConfig: encryption keys and expiry warnings', () => {
  const KEY_1 = Buffer.alloc(32, 1).toString('base64');
  const KEY_2 = Buffer.alloc(32, 2).toString('base64');

  it('reads SETTINGS_ENCRYPTION_KEYS (the first encrypts) and the expiry defaults', () => {
    const config = loadConfig({ MONGODB_URI: 'mongodb://db/x', SETTINGS_ENCRYPTION_KEYS: `k2:${KEY_2},k1:${KEY_1}` });
    expect(config.credentials.keyring?.toJSON()).toEqual({ currentKeyId: 'k2', keyIds: ['k2', 'k1'] });
    expect(config.credentials).toMatchObject({ expiryWarningDays: 30, expiryCheckIntervalMs: 24 * 3600_000 });
  });

  it('reads a single SETTINGS_ENCRYPTION_KEY under SETTINGS_ENCRYPTION_KEY_ID, and runs without keys', () => {
    const config = loadConfig({ MONGODB_URI: 'mongodb://db/x', SETTINGS_ENCRYPTION_KEY: KEY_1, SETTINGS_ENCRYPTION_KEY_ID: '2025-06' });
    expect(config.credentials.keyring?.currentKeyId).toBe('2025-06');
    expect(loadConfig({ MONGODB_URI: 'mongodb://db/x' }).credentials.keyring).toBeUndefined();
  });

  it('reports unusable keys by name and entry, never echoing a key', () => {
    const short = Buffer.alloc(16, 3).toString('base64');
    const problems = [
      ...problemsOf({ MONGODB_URI: 'mongodb://db/x', SETTINGS_ENCRYPTION_KEYS: `k2:${short},k1:${KEY_1}` }),
      ...problemsOf({ MONGODB_URI: 'mongodb://db/x', SETTINGS_ENCRYPTION_KEYS: `k1:${KEY_1}`, SETTINGS_ENCRYPTION_KEY: KEY_2 }),
      ...problemsOf({ MONGODB_URI: 'mongodb://db/x', SETTINGS_ENCRYPTION_KEY: `k1:${KEY_1}` }),
    ];
    expect(problems).toEqual([
      expect.stringMatching(/^SETTINGS_ENCRYPTION_KEYS: Key "k2" has 16 bytes; AES-256 needs 32\. \(example: /),
      expect.stringMatching(/^SETTINGS_ENCRYPTION_KEY: set either SETTINGS_ENCRYPTION_KEYS .* or SETTINGS_ENCRYPTION_KEY, not both/),
      expect.stringMatching(/^SETTINGS_ENCRYPTION_KEY: holds one base64 key without an id/),
    ]);
    for (const text of problems) for (const key of [KEY_1, KEY_2, short]) expect(text).not.toContain(key);
  });

  it('reads SETTINGS_REQUIRE_ENCRYPTED (off by default), and refuses it without keys to read encrypted secrets with', () => {
    expect(loadConfig({ MONGODB_URI: 'mongodb://db/x' }).credentials.requireEncrypted).toBe(false);
    const config = loadConfig({
      MONGODB_URI: 'mongodb://db/x',
      SETTINGS_ENCRYPTION_KEYS: `k1:${KEY_1}`,
      SETTINGS_REQUIRE_ENCRYPTED: 'true',
    });
    expect(config.credentials.requireEncrypted).toBe(true);
    expect(problemsOf({ MONGODB_URI: 'mongodb://db/x', SETTINGS_REQUIRE_ENCRYPTED: 'true' })).toEqual([
      expect.stringMatching(/^SETTINGS_REQUIRE_ENCRYPTED: is true, so SETTINGS_ENCRYPTION_KEYS must hold the keys the ERP encrypts with/),
    ]);
  });

  it('accepts the new per-account setting paths in SETTINGS_FIELDS', () => {
    const config = loadConfig({
      MONGODB_URI: 'mongodb://db/x',
      SETTINGS_FIELDS: '{"account.cloud":"mail.cloud","account.certificatePrivateKey":"mail.key"}',
    });
    expect(config.settings.shape.fields).toMatchObject({ 'account.cloud': 'mail.cloud', 'account.certificatePrivateKey': 'mail.key' });
  });
});

describe('.env.example', () => {
  it('documents every variable of the schema', () => {
    const example = readFileSync(`${__dirname}/../../.env.example`, 'utf8');
    for (const name of Object.keys(envSchema.shape)) expect(example).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
  });
});

describe('README', () => {
  it('has a row for every variable of the send path', () => {
    const readme = readFileSync(`${__dirname}/../../README.md`, 'utf8');
    for (const name of Object.keys(coreEnvSchema.shape)) expect(readme).toContain(`\`${name}\``);
  });
});

describe('loadStoreOptionalConfig (the ops CLI)', () => {
  it('loads without any variable; the store is refused only when asked for, naming the variable', () => {
    const config = loadStoreOptionalConfig({});
    expect(config).toMatchObject({
      redis: { target: { kind: 'single', url: 'redis://127.0.0.1:6379' } },
      queueName: 'omikai-email',
      store: undefined,
    });
    expect(() => requireStore(config)).toThrow(StoreNotConfiguredError);
    expect(() => requireStore(config)).toThrow('MONGODB_URI: is required');
    expect(requireStore(loadStoreOptionalConfig({ MONGODB_URI: 'mongodb://db/x' }))).toEqual({ kind: 'mongodb', uri: 'mongodb://db/x' });
  });

  it('still refuses every other bad variable at once', () => {
    expect(() => loadStoreOptionalConfig({ REDIS_URL: 'http://x' })).toThrow(ConfigError);
    expect(() => loadStoreOptionalConfig({ FLOW_MAILBOX_MESSAGES: '0' })).toThrow(ConfigError);
  });
});
