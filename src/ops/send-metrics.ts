// Prometheus metrics of the send path, fed by the worker's SendObserver; registered on a registry
// the entry point owns (no global default registry).
import { Counter, Histogram, type Registry } from 'prom-client';
import type { AttemptReport, SendObserver } from '../sending/send-email-job';
import { FAILURE_CATEGORIES } from '@omikai/graph-mailer-client';

export const SEND_DURATION_BUCKETS_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface SendMetrics {
  observer: SendObserver;
}

/** Counts every attempt by outcome and category, times them, and counts throttle deferrals. */
export function registerSendMetrics(registry: Registry): SendMetrics {
  const attempts = new Counter({
    name: 'omikai_email_send_attempts_total',
    help: 'Send attempts by outcome (sent, retry, failed, skipped) and failure category ("none" when sent or skipped).',
    labelNames: ['outcome', 'category'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'omikai_email_send_duration_seconds',
    help: 'Time of one send attempt (settings, token and sendMail) by outcome; skipped attempts are not timed.',
    labelNames: ['outcome'] as const,
    buckets: SEND_DURATION_BUCKETS_SECONDS,
    registers: [registry],
  });
  const throttleDeferrals = new Counter({
    name: 'omikai_email_throttle_deferrals_total',
    help: 'Attempts Graph throttled (429) that were put off until its Retry-After.',
    registers: [registry],
  });
  const throttleDeferredSeconds = new Counter({
    name: 'omikai_email_throttle_deferred_seconds_total',
    help: 'Total time e-mails were put off because Graph throttled them.',
    registers: [registry],
  });

  const newerSchema = new Counter({
    name: 'omikai_email_jobs_newer_schema_total',
    help: 'Jobs put back because a newer client wrote them (their schemaVersion is above what this worker reads): upgrade the workers.',
    labelNames: ['schema_version'] as const,
    registers: [registry],
  });

  // Every series exists from the start at 0, so increase() also sees the first failure of a category.
  attempts.inc({ outcome: 'sent', category: 'none' }, 0);
  attempts.inc({ outcome: 'skipped', category: 'none' }, 0);
  for (const category of FAILURE_CATEGORIES) {
    attempts.inc({ outcome: 'retry', category }, 0);
    attempts.inc({ outcome: 'failed', category }, 0);
  }

  return {
    observer: {
      onNewerSchema(schemaVersion: number): void {
        newerSchema.inc({ schema_version: String(schemaVersion) });
      },
      onAttempt(report: AttemptReport): void {
        attempts.inc({ outcome: report.outcome, category: report.category ?? 'none' });
        if (report.outcome !== 'skipped') duration.observe({ outcome: report.outcome }, report.durationMs / 1000);
        if (report.outcome === 'retry' && report.category === 'throttled') {
          throttleDeferrals.inc();
          throttleDeferredSeconds.inc((report.retryInMs ?? 0) / 1000);
        }
      },
    },
  };
}

/** Token requests MSAL made (cache misses), read from the runtime's counter at scrape time. */
export function registerTokenRequestMetric(registry: Registry, tokenRequests: () => number): void {
  let reported = 0;
  new Counter({
    name: 'omikai_email_token_requests_total',
    help: 'Access token requests sent to Entra ID (tokens served from the cache are not counted).',
    registers: [registry],
    collect() {
      const total = tokenRequests();
      if (total > reported) this.inc(total - reported);
      reported = Math.max(reported, total);
    },
  });
}
