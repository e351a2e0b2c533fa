// Micro-benchmark of one log line through the project's logger (redaction included), to a sink
// that drops it: `npm run bench:log`. Prints µs per line for the worker's usual lines; compare
// runs of the same machine only (the ratios to bare pino are the figures to compare).
import { Writable } from 'node:stream';
import pino from 'pino';
import { createLogger, REDACTED_PATHS } from '../src/logging/logger';

const sink = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

/** The fields of the worker's most frequent lines ('e-mail sent', 'send failed; will retry'). */
const SENT = {
  jobId: 'job-1042',
  sender: 'info@contoso.example',
  senderSource: 'account',
  graphRequestId: 'r-1',
  attempt: 1,
  durationMs: 42,
};
const RETRY = {
  jobId: 'job-1043',
  accountId: 'acc-1',
  sender: 'info@contoso.example',
  attempt: 2,
  category: 'throttled',
  code: 'ApplicationThrottled',
  detail: 'Application is over its MailboxConcurrency limit.',
  graphRequestId: 'r-2',
  retryInMs: 2000,
  pausedScope: 'mailbox',
};
/** A line with nested objects and no credential: the walk visits every level and copies nothing. */
const NESTED = {
  jobId: 'job-1044',
  checks: { redis: 'ok', deliveryStore: 'failed' },
  route: { sender: 'info@contoso.example', credentials: { tenantId: 't', clientId: 'c', cloud: 'global' } },
};

function microsecondsPerLine(log: (i: number) => void, lines: number): number {
  for (let i = 0; i < 20_000; i += 1) log(i); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < lines; i += 1) log(i);
  return Number(process.hrtime.bigint() - start) / 1000 / lines;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

function main(): void {
  const lines = Number(process.argv[2] ?? 100_000);
  const rounds = Number(process.argv[3] ?? 5);
  const loggers = {
    bare: pino({ level: 'info', base: { pid: process.pid } }, sink()),
    project: createLogger({ level: 'info' }, sink()),
    wildcards: pino(
      {
        level: 'info',
        base: { pid: process.pid },
        redact: {
          paths: [...REDACTED_PATHS, ...REDACTED_PATHS.map((path) => `*.${path}`), ...REDACTED_PATHS.map((path) => `*.*.${path}`)],
          censor: '[redacted]',
        },
      },
      sink(),
    ),
  };
  const lineKinds = {
    sent: (logger: pino.Logger, i: number) => logger.info({ ...SENT, attempt: i }, 'e-mail sent'),
    retry: (logger: pino.Logger, i: number) => logger.warn({ ...RETRY, attempt: i }, 'send failed; will retry'),
    nested: (logger: pino.Logger, i: number) => logger.warn({ ...NESTED, attempt: i }, 'not ready'),
  };
  const samples: Record<string, number[]> = {};
  // Rounds alternate the loggers, so a burst of load on a shared machine hits each of them.
  for (let round = 0; round < rounds; round += 1) {
    for (const [loggerName, logger] of Object.entries(loggers)) {
      for (const [kind, log] of Object.entries(lineKinds)) {
        (samples[`${loggerName} ${kind}`] ??= []).push(microsecondsPerLine((i) => log(logger, i), lines));
      }
    }
  }
  const result: Record<string, number> = {};
  for (const [name, values] of Object.entries(samples)) result[`${name} µs`] = Number(median(values).toFixed(2));
  for (const kind of Object.keys(lineKinds)) {
    result[`project/bare ${kind}`] = Number((median(samples[`project ${kind}`]!) / median(samples[`bare ${kind}`]!)).toFixed(2));
  }
  console.log(JSON.stringify(result));
}

main();
