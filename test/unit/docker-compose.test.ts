// docker-compose.yml gives each service every variable of .env.example it reads, defaulting to the
// worker's own defaults, so `cp .env.example .env && docker compose up -d` runs as documented.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { envSchema } from '../../config/env-schema';
import { loadConfig } from '../../config/load-config';

const ROOT = join(__dirname, '../..');

/** Compose sets these itself: the image runs in production whatever .env says. */
const FIXED_BY_COMPOSE: Record<string, string> = { NODE_ENV: 'production' };
/**
 * Defaults that differ from the schema's on purpose: inside a container the compose services are
 * reached by name, and a server must listen on all interfaces to be reached through its published
 * port (or from the compose network); the dashboard's metrics stay on the container's loopback,
 * which the schema leaves unset so OPS_HTTP_HOST can still stand in for it.
 */
const COMPOSE_DEFAULTS = new Set(['REDIS_URL', 'MONGODB_URI', 'STORE', 'WORKER_METRICS_HOST', 'DASHBOARD_HOST', 'DASHBOARD_METRICS_HOST']);
/**
 * What each service reads. The worker reads everything but the dashboard's own variables, and the
 * ops CLI and verify run in its container (docs/runbook.md). The dashboard reads the queue, the
 * delivery store and its own DASHBOARD_* variables; it reads no settings, so it needs no keys.
 */
const DASHBOARD_ALSO_READS = new Set([
  'NODE_ENV',
  'LOG_LEVEL',
  'REDIS_URL',
  'EMAIL_QUEUE_NAME',
  'STORE',
  'MONGODB_URI',
  'SETTINGS_FILE',
  'DELIVERY_COLLECTION',
  'OPS_HTTP_HOST',
]);
const READS: Record<string, (name: string) => boolean> = {
  worker: (name) => !name.startsWith('DASHBOARD_'),
  dashboard: (name) =>
    name.startsWith('DASHBOARD_') ||
    (name.startsWith('REDIS_') && name !== 'REDIS_URL') ||
    name === 'EMAIL_QUEUE_SHARDS' ||
    DASHBOARD_ALSO_READS.has(name),
};

/** `${VAR:-default}`, or `${VAR-default}` where an empty value must stay empty (REDIS_URL= with Sentinel or Cluster). */
const INTERPOLATION = /^\$\{([A-Z][A-Z0-9_]*)(?::-|-(?=[^}]))([^}]*)\}$/;
const EMPTY_KEPT = /^\$\{[A-Z][A-Z0-9_]*-/;

interface ComposeFile {
  services: Record<string, { environment?: Record<string, string | number | boolean> }>;
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
const envExample = readFileSync(join(ROOT, '.env.example'), 'utf8');
/** Every variable .env.example documents, set or commented out. */
const documented = [...envExample.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!);
/** What `cp .env.example .env` sets: the lines that are not commented out. */
const dotEnvAsShipped = Object.fromEntries([...envExample.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));

function environmentOf(service: string): Record<string, string> {
  const environment = compose.services[service]?.environment ?? {};
  return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, String(value)]));
}

/** The environment compose hands the container, given the variables of `.env` (as `${VAR:-default}` resolves them). */
function resolved(service: string, dotEnv: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environmentOf(service)).map(([name, value]) => {
      const match = INTERPOLATION.exec(value);
      if (!match) return [name, value];
      const fromDotEnv = dotEnv[match[1]!];
      const keepsEmpty = EMPTY_KEPT.test(value);
      return [name, fromDotEnv !== undefined && (fromDotEnv !== '' || keepsEmpty) ? fromDotEnv : match[2]!];
    }),
  );
}

const schemaOf = (name: string) =>
  (envSchema.shape as Record<string, { safeParse(value: unknown): { success: boolean; data?: unknown } }>)[name];

describe.each(Object.keys(READS))('docker-compose.yml: the %s service', (service) => {
  const reads = READS[service]!;

  it('is given every variable of .env.example it reads', () => {
    const given = Object.keys(environmentOf(service));
    const missing = documented.filter((name) => reads(name) && !given.includes(name));
    expect(missing).toEqual([]);
  });

  it('takes each variable from .env by its own name, with the default the worker itself uses', () => {
    const wrong: string[] = [];
    for (const [name, value] of Object.entries(environmentOf(service))) {
      if (FIXED_BY_COMPOSE[name] !== undefined) {
        if (value !== FIXED_BY_COMPOSE[name]) wrong.push(`${name}: must be ${FIXED_BY_COMPOSE[name]}`);
        continue;
      }
      const match = INTERPOLATION.exec(value);
      if (!match || match[1] !== name) {
        wrong.push(`${name}: must be \${${name}:-<default>}, is ${value}`);
        continue;
      }
      const schema = schemaOf(name);
      if (!schema) {
        wrong.push(`${name}: is not a variable of config/env-schema.ts`);
        continue;
      }
      const fromCompose = schema.safeParse(match[2]);
      if (!fromCompose.success) wrong.push(`${name}: the default "${match[2]}" is refused by the schema`);
      else if (!COMPOSE_DEFAULTS.has(name) && JSON.stringify(fromCompose.data) !== JSON.stringify(schema.safeParse(undefined).data)) {
        wrong.push(`${name}: the default "${match[2]}" is not the worker's default`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('starts with a valid configuration without .env, and with .env.example copied to .env', () => {
    for (const dotEnv of [{}, dotEnvAsShipped]) {
      const config = loadConfig(resolved(service, dotEnv));
      // Inside a container, a loopback address is the container itself, not Redis or MongoDB.
      expect(config.redis.target.kind === 'single' && new URL(config.redis.target.url).hostname).toBe('redis');
      expect(config.store).toEqual({ kind: 'mongodb', uri: 'mongodb://mongodb:27017/omikai' });
    }
  });
});

describe('docker-compose.yml: secrets', () => {
  it('passes the encryption keys from .env to the worker (and so to ops and verify), and not to the dashboard', () => {
    const keys = `k2:${Buffer.alloc(32, 2).toString('base64')},k1:${Buffer.alloc(32, 1).toString('base64')}`;
    expect(resolved('worker', { SETTINGS_ENCRYPTION_KEYS: keys, SETTINGS_REQUIRE_ENCRYPTED: 'true' })).toMatchObject({
      SETTINGS_ENCRYPTION_KEYS: keys,
      SETTINGS_REQUIRE_ENCRYPTED: 'true',
    });
    expect(Object.keys(environmentOf('dashboard')).filter((name) => name.startsWith('SETTINGS_ENCRYPTION'))).toEqual([]);
  });
});
