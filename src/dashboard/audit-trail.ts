// Writes an audit entry for every dashboard request that would change something (done or refused):
// who, which route, which jobs, and how it ended. Reads are not audited.
import { appRoutes } from '@bull-board/api/dist/routes.js';
import type { JobType, Queue } from 'bullmq';
import type { RequestHandler, Response } from 'express';
import { auditedJobIds, MAX_AUDITED_JOB_IDS, type AuditEntry, type AuditLog } from '../ops/audit-log';
import { roleOf } from './basic-auth';

interface RoutePattern {
  method: string;
  route: string;
  segments: string[];
}

/** Bull Board's routes in its own order: Express takes the first that matches, and so does matchRoute. */
const ROUTES: readonly RoutePattern[] = appRoutes.api.flatMap((definition) => {
  const methods = Array.isArray(definition.method) ? definition.method : [definition.method];
  const routes = Array.isArray(definition.route) ? definition.route : [definition.route];
  return methods.flatMap((method) => routes.map((route) => ({ method, route, segments: route.split('/') })));
});

/** Pure: the Bull Board route a request path (below the base path) calls, with its parameters. */
export function matchRoute(method: string, path: string): { route: string; params: Record<string, string> } | undefined {
  const segments = path.split('/');
  for (const pattern of ROUTES) {
    if (pattern.method !== method.toLowerCase() || pattern.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = pattern.segments.every((part, index) => {
      const segment = segments[index] ?? '';
      if (!part.startsWith(':')) return part === segment;
      if (segment === '') return false;
      params[part.slice(1)] = safeDecode(segment);
      return true;
    });
    if (matches) return { route: pattern.route, params };
  }
  return undefined;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Bulk routes name no job: list the jobs in the state they act on, as they were before the action. */
async function jobsInState(queue: AuditedQueue | undefined, route: string, params: Record<string, string>): Promise<Partial<AuditEntry>> {
  const state = params.queueStatus ?? (route.endsWith('/promote') && params.jobId === undefined ? 'delayed' : undefined);
  if (!queue || state === undefined) return state === undefined ? {} : { queueStatus: state };
  const [jobs, counts] = await Promise.all([
    queue.getJobs([state as JobType], 0, MAX_AUDITED_JOB_IDS - 1),
    queue.getJobCounts(state as JobType),
  ]);
  const jobIds = jobs.flatMap((job) => (job?.id === undefined ? [] : [job.id]));
  const count = counts[state] ?? jobIds.length;
  return { queueStatus: state, ...auditedJobIds(jobIds), ...(count > jobIds.length ? { jobCount: count } : {}) };
}

function resultOf(status: number): AuditEntry['result'] {
  if (status < 400) return 'done';
  return status === 401 || status === 403 || status === 405 ? 'refused' : 'failed';
}

/** Keeps the `message` of an error answer, for the audit entry's reason. */
function captureErrorMessage(res: Response): () => string | undefined {
  let message: string | undefined;
  const json = res.json.bind(res);
  res.json = (body: unknown) => {
    if (res.statusCode >= 400 && typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string') {
      message = body.message;
    }
    return json(body);
  };
  return () => message;
}

/** What the audit trail reads of a queue (a BullMQ queue, or the shards seen as one). */
export type AuditedQueue = Pick<Queue, 'name' | 'getJobs' | 'getJobCounts'>;

export interface AuditTrailOptions {
  queues: readonly AuditedQueue[];
  /** '/' or a path without a trailing slash. */
  basePath: string;
  audit: AuditLog;
  /** Paths (below the base path) that write their own, more detailed entry. */
  selfAuditedPrefix: string;
}

/** Express middleware, after authentication: audits every request that is not a read. */
export function auditDashboardWrites({ queues, basePath, audit, selfAuditedPrefix }: AuditTrailOptions): RequestHandler {
  const byName = new Map(queues.map((queue) => [queue.name, queue]));
  const prefix = basePath === '/' ? '' : basePath;
  return (req, res, next) => {
    const method = req.method.toUpperCase();
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next();
    const path = req.path.startsWith(prefix) ? req.path.slice(prefix.length) : req.path;
    if (path.startsWith(selfAuditedPrefix)) return next();
    const matched = matchRoute(method, path);
    const params = matched?.params ?? {};
    const messageOf = captureErrorMessage(res);
    jobsInState(byName.get(params.queueName ?? ''), matched?.route ?? '', params)
      .catch(() => ({}))
      .then((scope) => {
        res.on('finish', () => {
          const reason = messageOf();
          audit.record({
            actor: String(res.locals.dashboardUser ?? '?'),
            via: 'dashboard',
            role: roleOf(res),
            action: `${method} ${matched?.route ?? path}`,
            path: req.originalUrl.split('?')[0] ?? req.originalUrl,
            ...(params.jobId !== undefined ? { jobIds: [params.jobId] } : {}),
            ...scope,
            result: resultOf(res.statusCode),
            status: res.statusCode,
            ...(reason !== undefined ? { reason } : {}),
          });
        });
        next();
      }, next);
  };
}
