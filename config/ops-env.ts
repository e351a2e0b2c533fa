// Environment variables for the dashboard, health and metrics endpoints (issue 5). Merged into the one schema by env-schema.ts.
import { z } from 'zod';
import { parseDashboardUsers, type DashboardUser } from '../src/dashboard/dashboard-users';

const port = z.coerce.number().int().min(1).max(65535);
/** 0 turns the server off. */
const portOrOff = z.coerce.number().int().min(0).max(65535);
const optionalString = z.preprocess((value) => (value === '' ? undefined : value), z.string().optional());

export const DASHBOARD_BASE_PATH_MAX_LENGTH = 200;
/**
 * Unreserved URL characters and slashes after a leading slash: one flat character class, so
 * matching takes time linear in the length (empty segments, "//", are refused separately).
 */
export const DASHBOARD_BASE_PATH_PATTERN = /^\/[A-Za-z0-9._~/-]*$/;
const BASE_PATH_SHAPE = 'must be a URL path such as / or /email-dashboard';

export const opsEnvSchema = z.object({
  DASHBOARD_USERS: optionalString,
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
  DASHBOARD_PORT: '3000',
  DASHBOARD_BASE_PATH: '/email-dashboard',
  DASHBOARD_METRICS_PORT: '9465',
  WORKER_METRICS_PORT: '9464',
  DASHBOARD_HOST: '127.0.0.1',
  DASHBOARD_METRICS_HOST: '127.0.0.1',
  WORKER_METRICS_HOST: '127.0.0.1',
  OPS_HTTP_HOST: '127.0.0.1',
};

export interface OpsConfig {
  /** Settings still read but to be replaced, one sentence each; entry points log them at start. */
  deprecations: string[];
  dashboard: {
    /** The address the board listens on. */
    host: string;
    /** Empty unless DASHBOARD_USERS is set; the dashboard refuses to start without users. */
    users: DashboardUser[];
    port: number;
    /** Without a trailing slash, except for the root path '/'. */
    basePath: string;
    /** The address of the dashboard's /healthz, /readyz, /metrics server. */
    metricsHost: string;
    /** undefined: no health/metrics server. */
    metricsPort: number | undefined;
  };
  worker: { metricsHost: string; metricsPort: number | undefined };
}

/** Turns the parsed variables into typed config; push cross-field problems onto `problems`. */
export function readOpsConfig(env: OpsEnv, problems: string[]): OpsConfig {
  const { users, problems: userProblems } = parseDashboardUsers(env.DASHBOARD_USERS ?? '');
  for (const problem of userProblems) {
    problems.push(`DASHBOARD_USERS: ${problem} (example: DASHBOARD_USERS=${opsEnvExamples.DASHBOARD_USERS})`);
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
      port: env.DASHBOARD_PORT,
      basePath,
      metricsPort: env.DASHBOARD_METRICS_PORT === 0 ? undefined : env.DASHBOARD_METRICS_PORT,
    },
    worker: {
      metricsHost: env.WORKER_METRICS_HOST ?? fallbackHost,
      metricsPort: env.WORKER_METRICS_PORT === 0 ? undefined : env.WORKER_METRICS_PORT,
    },
  };
}
