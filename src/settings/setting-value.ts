// How a message for people refers to a setting's value: by its length and a masked prefix, never the
// value itself. A secret pasted into the wrong field (Tenant ID, Sender e-mail) must not reach a
// failure reason, the dashboard or a log.

/** Characters shown at the start of a value; shorter values show none. */
const PREFIX_LENGTH = 3;
const MIN_LENGTH_FOR_PREFIX = 8;

/** `36 characters, begins "72f…"`: enough to tell which value it is, too little to use it. */
export function maskSettingValue(value: string): string {
  const length = `${value.length} character${value.length === 1 ? '' : 's'}`;
  if (value.length < MIN_LENGTH_FOR_PREFIX) return length;
  // Only plain characters: a prefix must not carry terminal escapes or markup either.
  const prefix = value.slice(0, PREFIX_LENGTH).replace(/[^A-Za-z0-9._@-]/g, '?');
  return `${length}, begins "${prefix}…"`;
}

/**
 * `text` with every occurrence of the given settings' values replaced by the setting's name, for
 * messages that quote what a server said (Entra's error text quotes the tenant and client it was given).
 */
export function withoutSettingValues(text: string, settings: Readonly<Record<string, string | undefined>>): string {
  let result = text;
  for (const [label, value] of Object.entries(settings)) {
    // A value longer than the text cannot be in it; short ones would replace ordinary words.
    if (value === undefined || value.length < 4 || value.length > result.length) continue;
    result = result.replace(new RegExp(value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), `<${label}>`);
  }
  return result;
}
