// The JSON logger. Secrets, tokens and message content must never reach a log line; the redaction
// paths below are a safety net, the first rule is not to log payloads at all.
import pino, { type DestinationStream, type Logger } from 'pino';

// Top-level keys plus one level down for credentials: every path costs time on every log call
// (the full wildcard list tripled the cost of a log line in bench/), and payloads are never logged.
export const REDACTED_PATHS = [
  'clientSecret',
  'accessToken',
  'authorization',
  'privateKey',
  'html',
  'text',
  'attachments',
  'data',
  '*.clientSecret',
  '*.accessToken',
  '*.authorization',
  '*.privateKey',
];

export function createLogger(options: { level: string; name?: string }, destination?: DestinationStream): Logger {
  return pino(
    {
      level: options.level,
      name: options.name ?? 'omikai-mailer',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    destination,
  );
}
