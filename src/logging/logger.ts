// The JSON logger. Secrets, tokens and message content must never reach a log line; the redaction
// below is a safety net, the first rule is not to log payloads at all.
import pino, { type DestinationStream, type Logger } from 'pino';

const CENSOR = '[redacted]';
/** What stands in for an object nested deeper than the walk goes: it could hide a credential. */
const TOO_DEEP = '[redacted: nested too deep]';
/** Levels below a top-level field that are searched for credentials; deeper objects are replaced. */
const MAX_NESTED_DEPTH = 6;

/**
 * Every name a credential goes by here: our settings and MSAL's options, Entra's OAuth form fields,
 * HTTP headers, and the dashboard's users. Matched exactly (both spellings of Authorization are listed).
 */
const CREDENTIAL_KEYS = [
  'clientSecret',
  'client_secret',
  'client_assertion',
  'accessToken',
  'access_token',
  'refresh_token',
  'token',
  'authorization',
  'Authorization',
  'privateKey',
  'privateKeyPem',
  'certificatePrivateKey',
  'password',
  'secret',
];

/** Top-level keys pino's redaction censors: credentials and message content. */
export const REDACTED_PATHS = [...CREDENTIAL_KEYS, 'html', 'text', 'attachments', 'data'];

const credentialKeys = new Set(CREDENTIAL_KEYS);

/** A shallow copy that keeps an Error's message and stack, which are not enumerable. */
function shallowCopy(value: object): Record<string, unknown> {
  return value instanceof Error ? { ...value, type: value.name, message: value.message, stack: value.stack } : { ...value };
}

/**
 * `value` itself when nothing below it is a credential (no copy, no allocation), else a copy with each
 * credential censored. Only the objects on the way to a credential are copied; a cycle ends at the
 * depth limit, where the object is replaced.
 */
function censorCredentials(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (depth > MAX_NESTED_DEPTH) return TOO_DEEP;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index += 1) {
      const item: unknown = value[index];
      const censored = censorCredentials(item, depth + 1);
      if (censored !== item) (copy ??= value.slice())[index] = censored;
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const key in value) {
    const field = (value as Record<string, unknown>)[key];
    const censored = credentialKeys.has(key) ? CENSOR : censorCredentials(field, depth + 1);
    if (censored !== field) (copy ??= shallowCopy(value))[key] = censored;
  }
  return copy ?? value;
}

/**
 * Censors credentials at any depth below the top level (`{ route: { credentials: { clientSecret } } }`,
 * arrays included); pino's own redaction covers the top level. pino's wildcard paths ('*.clientSecret')
 * reach one level only and copy every line they touch; this walk copies only a field that holds a credential.
 */
export function censorNestedCredentials(fields: Record<string, unknown>): Record<string, unknown> {
  let result = fields;
  for (const key in fields) {
    const value = fields[key];
    if (value === null || typeof value !== 'object') continue;
    const censored = censorCredentials(value, 1);
    if (censored === value) continue;
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
