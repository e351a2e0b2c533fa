// The dashboard's cancel, for operators: PUT <base>/ops/queues/<queue>/cancel with the jobs to cancel
// in a JSON body. Bull Board has no such action, so this route sits next to the board; it runs the
// same cancelEmailJobs as `ops cancel` and writes one audit entry per call.
import type { PayloadWriter } from '@omikai/graph-mailer-client';
import type { Queue } from 'bullmq';
import express, { type ErrorRequestHandler, type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import { auditedJobIds, type AuditLog } from '../ops/audit-log';
import {
  cancelEmailJobs,
  findJobsToCancel,
  INCOMPLETE_CANCEL_OUTCOMES,
  type CancelDeliveries,
  type CancelReport,
} from '../ops/cancel-email-jobs';
import { roleOf } from './basic-auth';

/** Below the base path; the audit middleware leaves these to the route's own entry. */
export const OPS_ROUTES_PREFIX = '/ops/';
/** One call cancels at most this many jobs; a larger run belongs to the CLI, with its progress bar. */
export const MAX_CANCEL_PER_CALL = 1000;

const jobIds = z.array(z.string().min(1).max(256)).min(1).max(MAX_CANCEL_PER_CALL);
const correlation = z.record(z.string().min(1).max(64), z.string().max(256));
export const cancelBodySchema = z.union([
  z.strictObject({ jobIds, dryRun: z.boolean().optional() }),
  z
    .strictObject({ correlation: correlation.optional(), accountId: z.string().min(1).max(128).optional(), dryRun: z.boolean().optional() })
    .refine((body) => body.accountId !== undefined || Object.keys(body.correlation ?? {}).length > 0, 'give correlation or accountId'),
]);

const USAGE =
  'Send JSON: {"jobIds": ["42", "43"]} or {"correlation": {"documentId": "1042"}, "accountId": "acc-1"}, with "dryRun": true to look first.';

export interface CancelRouteOptions {
  /** BullMQ queues, or the shards seen as one. */
  queues: readonly Pick<Queue, 'name' | 'getJob' | 'getJobs'>[];
  deliveries: CancelDeliveries;
  /** Where a cancelled e-mail's content is removed. */
  payloads?: Pick<PayloadWriter, 'remove'>;
  audit: AuditLog;
  now?: () => number;
}

function answer(status: number, message: string): RequestHandler {
  return (_req, res) => void res.status(status).json({ error: { status }, message });
}

/** The router to mount at the dashboard's base path. */
export function cancelRouter({ queues, deliveries, payloads, audit, now = Date.now }: CancelRouteOptions): Router {
  const byName = new Map(queues.map((queue) => [queue.name, queue]));
  const router = express.Router();
  // Only JSON bodies are read: a cross-site form cannot send one, and a cross-site PUT needs a CORS
  // preflight the dashboard never grants.
  router.put(`${OPS_ROUTES_PREFIX}queues/:queueName/cancel`, express.json({ limit: '256kb' }), (req, res, next) => {
    const actor = String(res.locals.dashboardUser ?? '?');
    const path = req.originalUrl.split('?')[0] ?? req.originalUrl;
    const refuse = (status: number, message: string) => {
      audit.record({ actor, via: 'dashboard', role: roleOf(res), action: 'cancel', path, result: 'refused', status, reason: message });
      answer(status, message)(req, res, next);
    };
    if (roleOf(res) !== 'operator') return refuse(403, 'Only operators may cancel e-mails.');
    const queue = byName.get(String(req.params.queueName));
    if (!queue) return refuse(404, `No queue ${String(req.params.queueName)} on this dashboard.`);
    const parsed = cancelBodySchema.safeParse(req.body);
    if (!parsed.success) return refuse(400, `${parsed.error.issues[0]?.message ?? 'Bad request'}. ${USAGE}`);
    const body = parsed.data;
    const dryRun = body.dryRun === true;

    void (async () => {
      const ids = 'jobIds' in body ? body.jobIds : await findJobsToCancel(queue, body);
      if (ids.length > MAX_CANCEL_PER_CALL) {
        return refuse(413, `${ids.length} jobs match; the dashboard cancels at most ${MAX_CANCEL_PER_CALL} per call. Use ops cancel.`);
      }
      const report: CancelReport = await cancelEmailJobs(queue, deliveries, ids, {
        dryRun,
        by: actor,
        now,
        ...(payloads ? { payloads } : {}),
      });
      if (!dryRun && ids.length > 0) {
        const incomplete = report.results.some((result) => INCOMPLETE_CANCEL_OUTCOMES.has(result.outcome));
        audit.record({
          actor,
          via: 'dashboard',
          role: 'operator',
          action: 'cancel',
          path,
          ...auditedJobIds(ids),
          result: report.summary.error === ids.length ? 'failed' : incomplete ? 'partial' : 'done',
          status: 200,
          outcomes: Object.fromEntries(Object.entries(report.summary).filter(([, count]) => count > 0)),
        });
      }
      res.status(200).json(report);
    })().catch(next);
  });
  // A body that is not JSON (or too large) gets the usage, not Express's HTML error page.
  router.use(OPS_ROUTES_PREFIX, ((err: unknown, _req, res, next) => {
    const status = typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number' ? err.status : 500;
    if (status >= 500 || res.headersSent) return next(err);
    res.status(status).json({ error: { status }, message: `The request body could not be read. ${USAGE}` });
  }) as ErrorRequestHandler);
  return router;
}
