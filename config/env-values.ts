// The kinds of value environment variables hold, shared by every config/*-env.ts: each rule is
// written once, so the same kind of variable is read and reported the same way everywhere.
import { z } from 'zod';

/** An integer written as text. */
export const integer = z.coerce.number().int();
export const positiveInt = integer.positive();
export const nonNegativeInt = integer.nonnegative();
/**
 * A port number, or `auto`: the OS picks a free port when the server starts, and the process logs the
 * port it bound (for tests and tools that start processes side by side, with no port looked up first).
 */
const portOrAuto = (minimum: 0 | 1, meaning: string) =>
  z.union([z.literal('auto'), integer.min(minimum).max(65535)], {
    error: `must be a port number (${minimum} to 65535)${meaning}, or auto for a port the OS picks`,
  });
/** A TCP port a server listens on, or `auto`. */
export const port = portOrAuto(1, '');
/** A port, `auto`, or 0 to turn the server off. */
export const portOrOff = portOrAuto(0, ', 0 to turn this server off');

/** `true` or `false`, nothing else: a typo is an error rather than a silent false. */
export const boolean = z.enum(['true', 'false']).transform((value) => value === 'true');

/**
 * A string that counts as unset when empty (docker compose passes `VAR=` for an unset variable).
 * Plain on purpose: a zod error would quote the value, and secrets use this kind too.
 */
export const optionalString = z.preprocess((value) => (value === '' ? undefined : value), z.string().optional());

/** An https:// URL without its trailing slashes. */
export const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).transform((url) => url.replace(/\/+$/, ''));

/** The entries of a comma-separated list, trimmed (empty entries kept: the caller decides what they mean). */
export function commaList(value: string): string[] {
  return value.split(',').map((entry) => entry.trim());
}

/** One line of a configuration error: the variable, what is wrong, and an example of a good value. */
export function envProblem(name: string, message: string, example: string): string {
  return `${name}: ${message} (example: ${name}=${example})`;
}

/** envProblem with the examples of one group of variables. */
export function problemWith<Name extends string>(examples: Record<Name, string>): (name: Name, message: string) => string {
  return (name, message) => envProblem(name, message, examples[name]);
}
