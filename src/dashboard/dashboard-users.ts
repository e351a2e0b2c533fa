// Who may open the dashboard, and with which role, as read from DASHBOARD_USERS.
import { PasswordHashError, parsePasswordSecret, type PasswordSecret, type SecretRules } from './password-hash';

export const DASHBOARD_ROLES = ['viewer', 'operator'] as const;
/** viewer: read-only (Bull Board read-only mode). operator: may also retry, promote, clean, pause and resume. */
export type DashboardRole = (typeof DASHBOARD_ROLES)[number];

export interface DashboardUser {
  name: string;
  role: DashboardRole;
  secret: PasswordSecret;
}

const USER_NAME = /^[A-Za-z0-9._@-]{1,64}$/;
const COMMA_HINT = 'a comma inside a password splits the entry: use a hash from npm run ops -- hash-password, which holds no comma';

/**
 * Parses `name:role:secret` entries separated by commas, where secret is a `scrypt:` hash or, where
 * `rules` allow it, a plain password (which may then contain neither a comma nor leading/trailing
 * spaces). Problems never quote the secret.
 */
export function parseDashboardUsers(value: string, rules: SecretRules = {}): { users: DashboardUser[]; problems: string[] } {
  const users: DashboardUser[] = [];
  const problems: string[] = [];
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  entries.forEach((entry, index) => {
    const [name = '', role = '', ...rest] = entry.split(':');
    const roleParses = (DASHBOARD_ROLES as readonly string[]).includes(role);
    // An entry after a comma may be the tail of a password that held one: until its role parses it
    // is named by position, and no part of it is quoted.
    const mayBePasswordTail = index > 0 && !roleParses;
    const position = `entry ${index + 1}`;
    const label = USER_NAME.test(name) && !mayBePasswordTail ? `user ${name}` : position;
    const splitHint = mayBePasswordTail ? `; ${COMMA_HINT}` : '';
    if (rest.length === 0 && !roleParses) {
      problems.push(`${position}: is not name:role:password-hash${splitHint}`);
      return;
    }
    if (!USER_NAME.test(name)) {
      problems.push(`${position}: the user name must be 1-64 letters, digits, ., _, @ or -${splitHint}`);
      return;
    }
    if (!roleParses) {
      problems.push(`${label}: the role must be viewer or operator (entries are name:role:password-hash)${splitHint}`);
      return;
    }
    if (users.some((user) => user.name === name)) {
      problems.push(`${label}: listed twice`);
      return;
    }
    try {
      users.push({ name, role: role as DashboardRole, secret: parsePasswordSecret(rest.join(':'), rules) });
    } catch (err: unknown) {
      if (!(err instanceof PasswordHashError)) throw err;
      problems.push(`${label}: ${err.message}`);
    }
  });
  return { users, problems };
}
