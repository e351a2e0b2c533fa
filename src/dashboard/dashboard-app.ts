// The dashboard as an Express app: Basic auth in front of everything, then one Bull Board per role
// (read-only for viewers), over redacted e-mail jobs.
import type { PayloadWriter } from '@omikai/graph-mailer-client';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { loggerAuditLog, type AuditLog } from '../ops/audit-log';
import type { CancelDeliveries } from '../ops/cancel-email-jobs';
import { shardedQueueView } from '../ops/cli/sharded-queue';
import { auditDashboardWrites } from './audit-trail';
import { basicAuth, createAuthenticator, roleOf, type LoginFailureReason } from './basic-auth';
import { cancelRouter, OPS_ROUTES_PREFIX } from './cancel-route';
import { contentSecurityPolicy, readBullBoardInlineStyles, withoutGoogleFonts } from './content-security-policy';
import type { DashboardRole, DashboardUser } from './dashboard-users';
import type { LoginLimits } from './login-guard';
import { jobViewHook, redactJobs } from './job-view';
import { createBoardPolicy, readOnlyForViewers } from './route-policy';
import { ShardedQueueAdapter, type ShardedQueue } from './sharded-queue-adapter';

export interface DashboardAppOptions {
  /** The e-mail queue, or every shard's queue (EMAIL_QUEUE_SHARDS), shard 0 first. */
  queues: readonly Queue[];
  /** With several shards: the name they are shown under as one queue, and the connection their queues use. */
  shards?: Omit<ShardedQueue, 'queues'>;
  users: readonly DashboardUser[];
  /** '/' or a path without a trailing slash, e.g. '/email-dashboard'. */
  basePath: string;
  /**
   * Adds each shown job's sender and delivery status, and offers operators the cancel route;
   * without it the board shows the job alone and cannot cancel.
   */
  deliveries?: CancelDeliveries;
  /** Where a cancelled e-mail's content is removed. */
  payloads?: Pick<PayloadWriter, 'remove'>;
  logger: Logger;
  /** Where operator actions are recorded; default: info lines of `logger`. */
  audit?: AuditLog;
  /**
   * Express's `trust proxy`: which proxies' X-Forwarded-For names the client (for the sign-in
   * limits). false: the connecting address is the client. Never `true`: any client could name itself.
   */
  trustProxy?: false | number | string[];
  /** Sign-in failure limits; defaults in login-guard.ts. */
  loginLimits?: Partial<LoginLimits>;
  onLoginFailure?: (reason: LoginFailureReason) => void;
}

export class DashboardSetupError extends Error {
  override name = 'DashboardSetupError';
}

/** The board's queue entries: one per queue, or one for all shards. */
function boardQueues(options: DashboardAppOptions, readOnlyMode: boolean): BullMQAdapter[] {
  const adapterOptions = { readOnlyMode, description: 'Omikai ERP e-mail' };
  if (options.queues.length > 1 && options.shards) {
    return [redactJobs(new ShardedQueueAdapter({ ...options.shards, queues: options.queues }, adapterOptions))];
  }
  return options.queues.map((queue) => redactJobs(new BullMQAdapter(queue, adapterOptions)));
}

function boardRouter(options: DashboardAppOptions, role: DashboardRole): RequestHandler {
  const readOnlyMode = role === 'viewer';
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(options.basePath);
  createBullBoard({
    queues: boardQueues(options, readOnlyMode),
    serverAdapter,
    options: {
      uiConfig: { boardTitle: readOnlyMode ? 'E-mail queue (view only)' : 'E-mail queue', hideDocsLink: true },
      handlerHooks: { before: createBoardPolicy(role), after: jobViewHook(options.deliveries, options.logger) },
    },
  });
  // getRouter() is typed any by @bull-board/express; it is an Express app.
  const board = serverAdapter.getRouter() as Express;
  board.disable('x-powered-by');
  const router = express.Router();
  router.use(options.basePath, board);
  return router;
}

function securityHeaders(policy: string): RequestHandler {
  return (_req, res, next) => {
    res.set({
      'Content-Security-Policy': policy,
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    });
    next();
  };
}

/** The dashboard never runs open: without users it refuses to start. */
export function assertDashboardUsers(users: readonly DashboardUser[]): void {
  if (users.length > 0) return;
  throw new DashboardSetupError(
    'No dashboard users: set DASHBOARD_USERS, e.g. anna:operator:<hash>,ben:viewer:<hash> (hashes from `npm run ops -- hash-password`).',
  );
}

export function createDashboardApp(options: DashboardAppOptions): Express {
  assertDashboardUsers(options.users);
  if (options.queues.length > 1 && !options.shards) {
    throw new DashboardSetupError('Several queues are the shards of one e-mail queue: pass `shards` (their name and connection).');
  }
  // The audit trail and the cancel route see the shards as one queue too, under the board's name.
  const queues =
    options.queues.length > 1 && options.shards ? [shardedQueueView([...options.queues], options.shards.name)] : options.queues;
  const viewerBoard = boardRouter(options, 'viewer');
  const operatorBoard = boardRouter(options, 'operator');
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? false);
  app.use(securityHeaders(contentSecurityPolicy(readBullBoardInlineStyles())));
  app.use(withoutGoogleFonts);
  const authenticator = createAuthenticator(options.users, options.loginLimits ? { limits: options.loginLimits } : {});
  app.use(basicAuth(authenticator, { logger: options.logger, ...(options.onLoginFailure ? { onFailure: options.onLoginFailure } : {}) }));
  const audit = options.audit ?? loggerAuditLog(options.logger);
  app.use(auditDashboardWrites({ queues, basePath: options.basePath, audit, selfAuditedPrefix: OPS_ROUTES_PREFIX }));
  if (options.deliveries) {
    app.use(
      options.basePath,
      cancelRouter({
        queues,
        deliveries: options.deliveries,
        ...(options.payloads ? { payloads: options.payloads } : {}),
        audit,
      }),
    );
  }
  app.use(readOnlyForViewers);
  app.use((req, res, next) => (roleOf(res) === 'operator' ? operatorBoard : viewerBoard)(req, res, next));
  return app;
}
