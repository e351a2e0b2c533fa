// Environment variables for the dashboard, health and metrics endpoints. Merged into the one schema by env-schema.ts.
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseDashboardUsers } from '../src/dashboard/dashboard-users';
import type { OpsConfig } from '../src/service-config';
import { boolean, commaList, optionalString, port, portOrOff, problemWith } from './env-values';

/** In the typed config `auto` is port 0: what listen() takes for a port the OS picks. */
const listenPort = (value: number | 'auto'): number => (value === 'auto' ? 0 : value);
/** 0 turns the server off (undefined); `auto` lets the OS pick (0). */
const listenPortOrOff = (value: number | 'auto'): number | undefined => (value === 0 ? undefined : listenPort(value));

export const DASHBOARD_BASE_PATH_MAX_LENGTH = 200;
/**
 * Unreserved URL characters and slashes after a leading slash: one flat character class, so
 * matching takes time linear in the length (empty segments, "//", are refused separately).
 */
export const DASHBOARD_BASE_PATH_PATTERN = /^\/[A-Za-z0-9._~/-]*$/;
const BASE_PATH_SHAPE = 'must be a URL path such as / or /email-dashboard';

export const opsEnvSchema = z.object({
  DASHBOARD_USERS: optionalString,
  DASHBOARD_ALLOW_PLAINTEXT_PASSWORDS: boolean.default(false),
  // Read by readOpsConfig: a zod error would quote the value.
  DASHBOARD_TRUST_PROXY: optionalString,
  DASHBOARD_PORT: port.default(3000),
  DASHBOARD_BASE_PATH: z
    .string()
    // The length is checked first and stops the checks, so no pattern ever runs on a huge value.
    .max(DASHBOARD_BASE_PATH_MAX_LENGTH, { error: `at most ${DASHBOARD_BASE_PATH_MAX_LENGTH} characters`, abort: true })
    .regex(DASHBOARD_BASE_PATH_PATTERN, { error: BASE_PATH_SHAPE, abort: true })
    .refine((path) => !path.includes('//'), BASE_PATH_SHAPE)
    .default('/'),
  DASHBOARD_METRICS_PORT: portOrOff.default(9465),
  WORKER_METRICS_PORT: portOrOff.default(9464),
  DASHBOARD_HOST: optionalString.pipe(z.string().min(1).optional()),
  DASHBOARD_METRICS_HOST: optionalString.pipe(z.string().min(1).optional()),
  WORKER_METRICS_HOST: optionalString.pipe(z.string().min(1).optional()),
  /** Deprecated: the one host of all three servers; each server's own setting wins. */
  OPS_HTTP_HOST: optionalString.pipe(z.string().min(1).optional()),
});

/** Where a server listens when nothing says otherwise: this host only. */
export const DEFAULT_BIND_HOST = '127.0.0.1';

export type OpsEnv = z.infer<typeof opsEnvSchema>;

export const opsEnvExamples: Record<keyof OpsEnv, string> = {
  DASHBOARD_USERS: 'anna:operator:<hash from npm run ops -- hash-password>,ben:viewer:<hash>',
  DASHBOARD_ALLOW_PLAINTEXT_PASSWORDS: 'false',
  DASHBOARD_TRUST_PROXY: '172.18.0.0/16',
  DASHBOARD_PORT: '3000',
  DASHBOARD_BASE_PATH: '/email-dashboard',
  DASHBOARD_METRICS_PORT: '9465',
  WORKER_METRICS_PORT: '9464',
  DASHBOARD_HOST: '127.0.0.1',
  DASHBOARD_METRICS_HOST: '127.0.0.1',
  WORKER_METRICS_HOST: '127.0.0.1',
  OPS_HTTP_HOST: '127.0.0.1',
};

/** Turns the parsed variables into typed config; push cross-field problems onto `problems`. */
export function readOpsConfig(env: OpsEnv, problems: string[]): OpsConfig {
  const { users, problems: userProblems } = parseDashboardUsers(env.DASHBOARD_USERS ?? '', {
    allowPlaintext: env.DASHBOARD_ALLOW_PLAINTEXT_PASSWORDS,
  });
  for (const problem of userProblems) {
    problems.push(problemWith(opsEnvExamples)('DASHBOARD_USERS', problem));
  }
  const basePath = env.DASHBOARD_BASE_PATH === '/' ? '/' : env.DASHBOARD_BASE_PATH.replace(/\/+$/, '');
  const fallbackHost = env.OPS_HTTP_HOST ?? DEFAULT_BIND_HOST;
  return {
    deprecations:
      env.OPS_HTTP_HOST === undefined
        ? []
        : [
            'OPS_HTTP_HOST is deprecated: it still sets where a server listens when its own setting is missing; ' +
              'set DASHBOARD_HOST, DASHBOARD_METRICS_HOST and WORKER_METRICS_HOST instead (each defaults to 127.0.0.1).',
          ],
    dashboard: {
      host: env.DASHBOARD_HOST ?? fallbackHost,
      metricsHost: env.DASHBOARD_METRICS_HOST ?? fallbackHost,
      users,
      port: listenPort(env.DASHBOARD_PORT),
      basePath,
      metricsPort: listenPortOrOff(env.DASHBOARD_METRICS_PORT),
      trustProxy: readTrustProxy(env.DASHBOARD_TRUST_PROXY, problems),
    },
    worker: {
      metricsHost: env.WORKER_METRICS_HOST ?? fallbackHost,
      metricsPort: listenPortOrOff(env.WORKER_METRICS_PORT),
    },
  };
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrSubnet(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (version === 4 ? 32 : 128);
}

/** `trust proxy` from DASHBOARD_TRUST_PROXY: off, a hop count, or addresses/subnets (proxy-addr's names allowed). */
function readTrustProxy(value: string | undefined, problems: string[]): false | number | string[] {
  const problem = (message: string) => {
    problems.push(problemWith(opsEnvExamples)('DASHBOARD_TRUST_PROXY', message));
    return false as const;
  };
  if (value === undefined || value === 'false') return false;
  if (value === 'true') {
    return problem(
      "true would trust every X-Forwarded-For: any client could name its own address and escape the sign-in limits; name the proxy's address instead",
    );
  }
  if (/^\d+$/.test(value)) return Number(value);
  const entries = commaList(value).filter(Boolean);
  const bad = entries.filter((entry) => !PROXY_NAMES.has(entry) && !isAddressOrSubnet(entry));
  // The entries are addresses, not secrets: naming the bad ones helps.
  if (bad.length > 0 || entries.length === 0)
    return problem(`${bad.join(', ') || 'the value'} is not an IP address, a subnet (10.0.0.0/8) or loopback`);
  return entries;
}
