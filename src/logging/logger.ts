// The JSON logger. Secrets, tokens and message content must never reach a log line; the redaction
// paths below are a safety net, the first rule is not to log payloads at all.
import pino, { type DestinationStream, type Logger } from 'pino';

export const REDACTED_PATHS = [
  'clientSecret',
  '*.clientSecret',
  '*.*.clientSecret',
  'accessToken',
  '*.accessToken',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  'html',
  '*.html',
  'text',
  '*.text',
  'contentBase64',
  '*.contentBase64',
  '*.attachments',
  'data',
  '*.data',
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
