// What each dashboard role may change, enforced on the server: viewers nothing, operators a short
// list of safe actions. Bull Board's own read-only mode lets some writes through (pause-all and
// resume-all answer 200 and do nothing), so writes are refused here before they reach it.
import type { BeforeHook, BeforeHookResult } from '@bull-board/api/dist/types';
import type { RequestHandler } from 'express';
import { roleOf } from './basic-auth';

/** Bull Board API routes an operator may call, as `method route`. Everything else that writes is refused. */
export const OPERATOR_WRITE_ROUTES: ReadonlySet<string> = new Set([
  'put /api/queues/:queueName/:jobId/retry',
  'put /api/queues/:queueName/retry/:queueStatus',
  'put /api/queues/:queueName/:jobId/promote',
  'put /api/queues/:queueName/promote',
  'put /api/queues/:queueName/:jobId/clean',
  'put /api/queues/:queueName/clean/:queueStatus',
  'put /api/queues/:queueName/pause',
  'put /api/queues/:queueName/resume',
  'put /api/queues/pause',
  'put /api/queues/resume',
]);

/** Why the other write routes are refused even for operators. */
function refusalFor(route: string): string {
  if (route.endsWith('/add') || route.endsWith('/update-data')) {
    return 'Job data is redacted on the dashboard, so adding or editing a job would queue an e-mail without its body. The ERP queues e-mails.';
  }
  if (route.endsWith('/obliterate') || route.endsWith('/empty')) {
    return 'Emptying or obliterating the e-mail queue would drop e-mails nobody has sent; clean failed or completed jobs instead.';
  }
  return 'This action is not offered on the e-mail dashboard; use the ops CLI (npm run ops -- help).';
}

const isRead = (method: string) => method.toLowerCase() === 'get' || method.toLowerCase() === 'head';

/** Express middleware: a viewer's request may only read. Runs before Bull Board sees the request. */
export const readOnlyForViewers: RequestHandler = (req, res, next) => {
  if (isRead(req.method) || roleOf(res) === 'operator') return next();
  res.status(403).json({ error: { key: 'ERRORS.FORBIDDEN' }, message: 'Viewers have read-only access; ask an operator to make changes.' });
};

const refuse = (message: string): BeforeHookResult => ({ allow: false, status: 403, errorKey: 'ERRORS.FORBIDDEN', message });

/** Bull Board hook for the viewer board: refuses every write (a second line behind readOnlyForViewers). */
export const viewerBoardPolicy: BeforeHook = ({ method }) =>
  isRead(method) ? undefined : refuse('Viewers have read-only access; ask an operator to make changes.');

/**
 * Bull Board hook for the operator board: only OPERATOR_WRITE_ROUTES, and never a retry of a
 * completed job: that e-mail was sent, and the dashboard does not send it twice.
 */
export const operatorBoardPolicy: BeforeHook = async ({ method, route, request }) => {
  if (isRead(method)) return undefined;
  if (!OPERATOR_WRITE_ROUTES.has(`${method.toLowerCase()} ${route}`)) return refuse(refusalFor(route));
  if (!route.includes('retry')) return undefined;
  const { queueName, jobId, queueStatus } = request.params as Record<string, string | undefined>;
  const sentAlready = 'Completed jobs were sent; retrying them from the dashboard is refused so nobody gets an e-mail twice.';
  if (queueStatus === 'completed') return refuse(sentAlready);
  if (jobId !== undefined && queueName !== undefined) {
    const job = await request.queues.get(queueName)?.getJob(jobId);
    if (job && (await job.getState()) === 'completed') return refuse(sentAlready);
  }
  return undefined;
};
