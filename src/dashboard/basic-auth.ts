// HTTP Basic authentication for the dashboard: every request, static files included, needs a user.
import { createHmac, randomBytes } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { DashboardRole, DashboardUser } from './dashboard-users';
import { DEFAULT_SCRYPT_COST, verifyPassword, type PasswordSecret } from './password-hash';

export const DASHBOARD_REALM = 'Omikai e-mail dashboard';
/** The browser sends credentials with every request (the board polls); scrypt is not redone each time. */
const VERIFIED_TTL_MS = 5 * 60_000;
const MAX_CACHED = 1000;

export interface Authenticator {
  /** The user the Authorization header proves, or undefined. */
  authenticate(authorization: string | undefined): Promise<DashboardUser | undefined>;
}

export function parseBasicAuthorization(header: string | undefined): { name: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Verifies against a fixed hash for unknown names, so a wrong name takes as long as a wrong password. */
export function createAuthenticator(users: readonly DashboardUser[], now: () => number = Date.now): Authenticator {
  const byName = new Map(users.map((user) => [user.name, user]));
  const decoy: PasswordSecret = { kind: 'scrypt', ...DEFAULT_SCRYPT_COST, salt: randomBytes(16), hash: randomBytes(32) };
  // Keyed by an HMAC of the header under a per-process key: the cache never holds a password.
  const cacheKey = randomBytes(32);
  const verified = new Map<string, { user: DashboardUser; expiresAtMs: number }>();

  return {
    async authenticate(authorization) {
      const credentials = parseBasicAuthorization(authorization);
      if (!credentials) return undefined;
      const key = createHmac('sha256', cacheKey)
        .update(authorization ?? '')
        .digest('base64');
      const cached = verified.get(key);
      if (cached && cached.expiresAtMs > now()) return cached.user;
      verified.delete(key);

      const user = byName.get(credentials.name);
      const matches = await verifyPassword(credentials.password, user?.secret ?? decoy);
      if (!user || !matches) return undefined;
      if (verified.size >= MAX_CACHED) verified.clear();
      verified.set(key, { user, expiresAtMs: now() + VERIFIED_TTL_MS });
      return user;
    },
  };
}

export function roleOf(res: Response): DashboardRole {
  // Set by basicAuth below; anything else would be a wiring bug, and viewer is the safe reading.
  return res.locals.dashboardRole === 'operator' ? 'operator' : 'viewer';
}

/** 401 with a Basic challenge unless the request carries a known user's credentials. */
export function basicAuth(authenticator: Authenticator, onFailure: (reason: 'missing' | 'wrong') => void = () => {}): RequestHandler {
  return (req, res, next) => {
    authenticator
      .authenticate(req.headers.authorization)
      .then((user) => {
        if (!user) {
          onFailure(req.headers.authorization ? 'wrong' : 'missing');
          res
            .status(401)
            .set('WWW-Authenticate', `Basic realm="${DASHBOARD_REALM}", charset="UTF-8"`)
            .type('text/plain')
            .send('Authentication required: sign in with your dashboard user.');
          return;
        }
        res.locals.dashboardUser = user.name;
        res.locals.dashboardRole = user.role;
        next();
      })
      .catch(next);
  };
}
