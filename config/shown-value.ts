// How a configuration error shows the value it refused: credentials in a URL redacted, values of
// secret variables never shown, long values shortened.

const MAX_SHOWN_CHARACTERS = 60;

/**
 * Replaces a URL's user and password with `***`: everything between `scheme://` (or the start,
 * when the scheme is mistyped) and the last `@`, so a password holding `@`, `/` or `:` is covered too.
 */
export function redactUrlCredentials(value: string): string {
  const at = value.lastIndexOf('@');
  if (at < 0) return value;
  const scheme = value.indexOf('://');
  const start = scheme >= 0 && scheme < at ? scheme + 3 : 0;
  return `${value.slice(0, start)}***${value.slice(at)}`;
}

/** `got "…"` for an error line; `secret` values are described, never quoted. */
export function shownValue(value: string | undefined, secret: boolean): string {
  if (value === undefined) return 'not set';
  if (secret) return `got a value that is not shown (${value.length} characters)`;
  const redacted = redactUrlCredentials(value);
  if (redacted.length <= MAX_SHOWN_CHARACTERS) return `got "${redacted}"`;
  return `got "${redacted.slice(0, MAX_SHOWN_CHARACTERS)}…" (${value.length} characters)`;
}
