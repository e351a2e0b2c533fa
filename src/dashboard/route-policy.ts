// Which Bull Board routes each dashboard role may call: an allow-list enforced on the server. A route
// that is on no list (one a newer Bull Board adds) is refused until someone has reviewed it here.
// Bull Board's own read-only mode is not enough: its "pause all" and "resume all" answer 200 to viewers.
import type { BeforeHook, BeforeHookResult, BullBoardRequest } from '@bull-board/api/dist/types';
import type { RequestHandler } from 'express';
import { roleOf } from './basic-auth';
import type { DashboardRole } from './dashboard-users';
import { REDACTED_ROUTES } from './job-view';

export { REDACTED_ROUTES };

/** A page of jobs carries each job's (redacted) data; more than this is a way to load the whole queue. */
export const MAX_JOBS_PER_PAGE = 100;

/** Reads both roles may call, as `method route`. Those whose answers carry job data are in REDACTED_ROUTES. */
const READ_ROUTES: readonly string[] = [
  'get /api/redis/stats',
  'get /api/queues',
  'get /api/job-schedulers',
  'get /api/queues/:queueName/metrics',
  'get /api/queues/:queueName/default-job-options',
  'get /api/queues/:queueName/workers',
  'get /api/queues/:queueName/rate-limit',
  'get /api/queues/:queueName/job-data-schema',
  'get /api/queues/:queueName/:jobId/logs',
  'get /api/queues/:queueName/:jobId/flow',
  'get /api/queues/:queueName/:jobId',
];

/** Returns why the request is refused, or undefined to let it through. */
type Guard = (request: BullBoardRequest) => Promise<string | undefined>;

const SENT_ALREADY = 'Completed jobs were sent; retrying them from the dashboard is refused so nobody gets an e-mail twice.';
const CANCEL_INSTEAD =
  'To stop e-mails that are not sent yet, cancel them (the dashboard\'s PUT ops/cancel, or "ops cancel"): that records why on each delivery record.';
const REMOVABLE_STATES = new Set(['failed', 'completed']);

const refuseCompletedRetry: Guard = async ({ params, queues }) => {
  const { queueName, jobId, queueStatus } = params as Record<string, string | undefined>;
  if (queueStatus === 'completed') return SENT_ALREADY;
  if (jobId === undefined || queueName === undefined) return undefined;
  const job = await queues.get(queueName)?.getJob(jobId);
  return job && (await job.getState()) === 'completed' ? SENT_ALREADY : undefined;
};

const onlyFailedOrCompletedClean: Guard = async ({ params }) => {
  const { queueStatus } = params as Record<string, string | undefined>;
  if (queueStatus !== undefined && REMOVABLE_STATES.has(queueStatus)) return undefined;
  return `Operators may clean only failed or completed jobs: cleaning ${queueStatus ?? 'these'} jobs would drop e-mails nobody has sent. ${CANCEL_INSTEAD}`;
};

const onlyFailedOrCompletedRemove: Guard = async ({ params, queues }) => {
  const { queueName, jobId } = params as Record<string, string | undefined>;
  if (queueName === undefined || jobId === undefined) return undefined;
  const job = await queues.get(queueName)?.getJob(jobId);
  if (!job) return undefined; // Bull Board answers 404
  const state = await job.getState();
  if (REMOVABLE_STATES.has(state)) return undefined;
  return `Operators may remove only failed or completed jobs; job ${jobId} is ${state}, so removing it would drop an e-mail nobody has sent. ${CANCEL_INSTEAD}`;
};

/** Writes an operator may call, each with the guard that narrows it. */
const OPERATOR_WRITES: ReadonlyMap<string, Guard | undefined> = new Map([
  ['put /api/queues/:queueName/:jobId/retry', refuseCompletedRetry],
  ['put /api/queues/:queueName/retry/:queueStatus', refuseCompletedRetry],
  ['put /api/queues/:queueName/:jobId/promote', undefined],
  ['put /api/queues/:queueName/promote', undefined],
  ['put /api/queues/:queueName/:jobId/clean', onlyFailedOrCompletedRemove],
  ['put /api/queues/:queueName/clean/:queueStatus', onlyFailedOrCompletedClean],
  ['put /api/queues/:queueName/pause', undefined],
  ['put /api/queues/:queueName/resume', undefined],
  ['put /api/queues/pause', undefined],
  ['put /api/queues/resume', undefined],
]);

const NO_BODY =
  'Job data is redacted on the dashboard, so adding or editing a job would queue an e-mail without its body. The ERP queues e-mails.';
const DROPS_UNSENT = `Emptying or obliterating the e-mail queue would drop e-mails nobody has sent; clean failed or completed jobs instead. ${CANCEL_INSTEAD}`;
const USE_CLI = 'This action is not offered on the e-mail dashboard; use the ops CLI (npm run ops -- help).';
const NO_SCHEDULERS = 'The e-mail queue has no job schedulers of its own: the ERP queues each e-mail. Changing schedulers is refused.';
const NO_HISTORY = 'The dashboard keeps no metrics history; the worker and dashboard serve Prometheus metrics on /metrics.';

/** Routes refused for every role, reviewed, with the reason shown to the person who tried. */
const REFUSED_ROUTES: ReadonlyMap<string, string> = new Map([
  ['post /api/queues/:queueName/add', NO_BODY],
  ['patch /api/queues/:queueName/:jobId/update-data', NO_BODY],
  ['put /api/queues/:queueName/empty', DROPS_UNSENT],
  ['put /api/queues/:queueName/obliterate', DROPS_UNSENT],
  ['put /api/queues/:queueName/:jobId/remove-unprocessed-children', DROPS_UNSENT],
  ['put /api/queues/:queueName/concurrency', USE_CLI],
  ['put /api/queues/:queueName/rate-limit', USE_CLI],
  ['put /api/queues/:queueName/rate-limit/release', USE_CLI],
  ['patch /api/queues/:queueName/:jobId/delay', `${USE_CLI} When an e-mail goes out is the ERP's sendAt.`],
  ['patch /api/queues/:queueName/:jobId/priority', USE_CLI],
  ['put /api/queues/:queueName/job-schedulers/:schedulerId/remove', NO_SCHEDULERS],
  ['patch /api/queues/:queueName/job-schedulers/:schedulerId', NO_SCHEDULERS],
  ['put /api/queues/:queueName/job-schedulers/:schedulerId/run', NO_SCHEDULERS],
  ['get /api/metrics/history', NO_HISTORY],
  ['get /api/metrics/history/usage', NO_HISTORY],
  ['post /api/metrics/history/purge', NO_HISTORY],
  ['get /api/metrics/latency', NO_HISTORY],
]);

/** The allow-list: every Bull Board route each role may call. */
export const ALLOWED_ROUTES: Readonly<Record<DashboardRole, ReadonlySet<string>>> = {
  viewer: new Set(READ_ROUTES),
  operator: new Set([...READ_ROUTES, ...OPERATOR_WRITES.keys()]),
};

export type RouteVerdict = { allowed: true } | { allowed: false; reason: string; /** false: on no list yet. */ reviewed: boolean };

const VIEWERS_READ_ONLY = 'Viewers have read-only access; ask an operator to make changes.';

/** Pure: whether `role` may call Bull Board's `method route` (route as in Bull Board's table). */
export function routeVerdict(role: DashboardRole, method: string, route: string): RouteVerdict {
  const key = `${method.toLowerCase()} ${route}`;
  if (ALLOWED_ROUTES[role].has(key)) return { allowed: true };
  const refused = REFUSED_ROUTES.get(key);
  if (refused !== undefined) return { allowed: false, reason: refused, reviewed: true };
  if (role === 'viewer' && ALLOWED_ROUTES.operator.has(key)) return { allowed: false, reason: VIEWERS_READ_ONLY, reviewed: true };
  return {
    allowed: false,
    reviewed: false,
    reason:
      `${method.toUpperCase()} ${route} is not on the dashboard's allow-list: a newer Bull Board added it, and it stays ` +
      'refused until someone has reviewed what it shows or changes (src/dashboard/route-policy.ts).',
  };
}

const refuse = (message: string): BeforeHookResult => ({ allow: false, status: 403, errorKey: 'ERRORS.FORBIDDEN', message });

function capJobsPerPage(query: Record<string, unknown>): void {
  const asked = Number(query.jobsPerPage);
  if (Number.isInteger(asked) && asked > MAX_JOBS_PER_PAGE) query.jobsPerPage = String(MAX_JOBS_PER_PAGE);
}

/** Bull Board hook for one role's board: the allow-list, the operators' guards, and the page-size cap. */
export function createBoardPolicy(role: DashboardRole): BeforeHook {
  return async ({ method, route, request }) => {
    const verdict = routeVerdict(role, method, route);
    if (!verdict.allowed) return refuse(verdict.reason);
    const key = `${method.toLowerCase()} ${route}`;
    if (key === 'get /api/queues') capJobsPerPage(request.query);
    const guard = role === 'operator' ? OPERATOR_WRITES.get(key) : undefined;
    const refusal = guard ? await guard(request) : undefined;
    return refusal === undefined ? undefined : refuse(refusal);
  };
}

const isRead = (method: string) => method.toLowerCase() === 'get' || method.toLowerCase() === 'head';

/** Express middleware: a viewer's request may only read, whatever it asks of. Runs before Bull Board sees it. */
export const readOnlyForViewers: RequestHandler = (req, res, next) => {
  if (isRead(req.method) || roleOf(res) === 'operator') return next();
  res.status(403).json({ error: { key: 'ERRORS.FORBIDDEN' }, message: VIEWERS_READ_ONLY });
};
