// Makes text from job data and delivery records safe to print on a terminal: control characters
// (escape sequences such as OSC 52 "write the clipboard" or a screen clear) are shown, not executed.

/**
 * C0 controls, DEL and C1 controls (a terminal may read U+009B as CSI), plus the Unicode controls
 * that reorder or split what is shown (bidirectional overrides and isolates, line and paragraph separators).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is this module's purpose
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export interface EscapeOptions {
  /** Keep line feeds: for text the CLI itself laid out on several lines. */
  keepNewlines?: boolean;
}

/** Replaces each control character by a visible escape (`\x1b`, `\r`, `\u202e`); other text is unchanged. */
export function escapeControlCharacters(text: string, { keepNewlines = false }: EscapeOptions = {}): string {
  return text.replace(CONTROL, (char) => {
    if (char === '\n' && keepNewlines) return char;
    const named = NAMED[char];
    if (named) return named;
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** JSON.stringify leaves C1 controls and U+2028/2029 as they are; this writes them as \u escapes (same JSON value). */
export function escapeJsonForTerminal(json: string): string {
  return json.replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
