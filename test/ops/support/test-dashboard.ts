// The dashboard app on a free port, over a test queue, with one operator (cheap scrypt hash) and one viewer (plain-text demo password).
import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { appRoutes } from '@bull-board/api/dist/routes.js';
import type { Queue } from 'bullmq';
import type { AuditLog } from '../../../src/ops/audit-log';
import type { CancelDeliveries } from '../../../src/ops/cancel-email-jobs';
import { createDashboardApp } from '../../../src/dashboard/dashboard-app';
import type { ShardedQueue } from '../../../src/dashboard/sharded-queue-adapter';
import { parseDashboardUsers } from '../../../src/dashboard/dashboard-users';
import { hashPassword } from '../../../src/dashboard/password-hash';
import { createLogger } from '../../../src/logging/logger';
import { basicAuthHeader } from './http';

export const OPERATOR = { name: 'olga', password: 'operator-password-1' };
export const VIEWER = { name: 'victor', password: 'viewer-password-1' };

export interface TestDashboard {
  /** Without a trailing slash. */
  url: string;
  close(): Promise<void>;
}

export async function startTestDashboard(options: {
  /** One queue, or the shards of one (EMAIL_QUEUE_SHARDS). */
  queue: Queue | ShardedQueue;
  deliveries?: CancelDeliveries;
  basePath?: string;
  audit?: AuditLog;
}): Promise<TestDashboard> {
  // A cheap scrypt cost keeps the tests fast; production hashes use the default cost.
  const operatorHash = await hashPassword(OPERATOR.password, { N: 1024, r: 8, p: 1 });
  // The viewer's plain-text password is the demo opt-in (DASHBOARD_ALLOW_PLAINTEXT_PASSWORDS=true).
  const { users, problems } = parseDashboardUsers(`${OPERATOR.name}:operator:${operatorHash},${VIEWER.name}:viewer:${VIEWER.password}`, {
    allowPlaintext: true,
    minimumScryptN: 1024,
  });
  if (problems.length > 0) throw new Error(problems.join('; '));
  const basePath = options.basePath ?? '/';
  const { queue } = options;
  const app = createDashboardApp({
    ...('queues' in queue ? { queues: queue.queues, shards: { name: queue.name, connection: queue.connection } } : { queues: [queue] }),
    users,
    basePath,
    ...(options.deliveries ? { deliveries: options.deliveries } : {}),
    ...(options.audit ? { audit: options.audit } : {}),
    logger: createLogger({ level: 'silent' }),
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${basePath === '/' ? '' : basePath}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const as = (user: { name: string; password: string }) => basicAuthHeader(user.name, user.password);

export interface RouteCall {
  method: string;
  path: string;
}

/** Every Bull Board API route with its parameters filled in, e.g. PUT /api/queues/<queue>/p1/retry. */
export function apiRouteCalls(params: { queueName: string; jobId: string }): RouteCall[] {
  const values: Record<string, string> = { queueName: params.queueName, jobId: params.jobId, queueStatus: 'failed', schedulerId: 'none' };
  return appRoutes.api.flatMap((route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const paths = Array.isArray(route.route) ? route.route : [route.route];
    return methods.flatMap((method) =>
      paths.map((path) => ({
        method: method.toUpperCase(),
        path: path.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(values[name] ?? name)),
      })),
    );
  });
}

/** The board's pages (every entry route). */
export function pageRoutes(params: { queueName: string; jobId: string }): string[] {
  const routes = Array.isArray(appRoutes.entryPoint.route) ? appRoutes.entryPoint.route : [appRoutes.entryPoint.route];
  return routes.map((route) => route.replace(':queueName', params.queueName).replace(':jobId', params.jobId));
}

/** Every file the UI serves under /static. */
export function staticAssetPaths(): string[] {
  const root = join(require.resolve('@bull-board/ui/package.json'), '..', 'dist', 'static');
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
    );
  return walk(root).map((file) => `/static/${relative(root, file).split('\\').join('/')}`);
}
