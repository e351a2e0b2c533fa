// The JSON logger. Secrets, tokens and message content must never reach a log line; the redaction
// below is a safety net, the first rule is not to log payloads at all.
import pino, { type DestinationStream, type Logger } from 'pino';

const CENSOR = '[redacted]';
const CREDENTIAL_KEYS = ['clientSecret', 'accessToken', 'authorization', 'privateKey'];

/** Top-level keys pino's redaction censors: credentials and message content. */
export const REDACTED_PATHS = [...CREDENTIAL_KEYS, 'html', 'text', 'attachments', 'data'];

const credentialKeys = new Set(CREDENTIAL_KEYS);

function holdsCredential(value: object): boolean {
  for (const key in value) if (credentialKeys.has(key)) return true;
  return false;
}

/**
 * Censors credentials one level down (`{ account: { clientSecret } }`). pino's wildcard paths
 * ('*.clientSecret') did the same but doubled the cost of every log line and were a tenth of all
 * allocations in the benchmark; this copies only a field that holds a credential.
 */
export function censorNestedCredentials(fields: Record<string, unknown>): Record<string, unknown> {
  let result = fields;
  for (const key in fields) {
    const value = fields[key];
    if (value === null || typeof value !== 'object' || !holdsCredential(value)) continue;
    // An Error's message and stack are not enumerable: keep them in the copy.
    const censored: Record<string, unknown> =
      value instanceof Error ? { ...value, type: value.name, message: value.message, stack: value.stack } : { ...value };
    for (const inner of Object.keys(censored)) if (credentialKeys.has(inner)) censored[inner] = CENSOR;
    if (result === fields) result = { ...fields };
    result[key] = censored;
  }
  return result;
}

export function createLogger(options: { level: string; name?: string }, destination?: DestinationStream): Logger {
  return pino(
    {
      level: options.level,
      name: options.name ?? 'omikai-mailer',
      redact: { paths: REDACTED_PATHS, censor: CENSOR },
      formatters: { log: censorNestedCredentials },
      base: { pid: process.pid },
    },
    destination,
  );
}
