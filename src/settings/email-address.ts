// What the settings accept as an e-mail address: the length is capped before any pattern runs, and
// the pattern is linear (no part of it can match the same characters two ways).

/** RFC 5321's bound in practice: 64 characters for the local part, 255 for the domain. */
export const MAX_EMAIL_ADDRESS_LENGTH = 320;

/**
 * local@label.label…: the local part holds no @, and domain labels hold no dot, so a failing match
 * gives up after one pass. (A pattern whose labels could hold dots backtracked over every dot.)
 */
export const EMAIL_ADDRESS_PATTERN = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/;

export function isEmailAddress(value: string): boolean {
  return value.length <= MAX_EMAIL_ADDRESS_LENGTH && EMAIL_ADDRESS_PATTERN.test(value);
}
