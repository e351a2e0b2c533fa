// HTTP Basic authentication for the dashboard: every request, static files included, needs a user.
// Failures are limited per address before any password is checked, and every check costs the same.
import { createHmac, randomBytes } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { DashboardRole, DashboardUser } from './dashboard-users';
import { DEFAULT_LOGIN_LIMITS, LoginGuard, type LoginLimits } from './login-guard';
import { DEFAULT_SCRYPT_COST, decoySecret, verifyPassword, type PasswordSecret, type ScryptCost } from './password-hash';

export const DASHBOARD_REALM = 'Omikai e-mail dashboard';
/** The browser sends credentials with every request (the board polls); scrypt is not redone each time. */
const VERIFIED_TTL_MS = 5 * 60_000;
const MAX_CACHED = 1000;
/** How long a client is asked to wait when too many checks queue up. */
const BUSY_RETRY_MS = 1000;

export type AuthResult =
  | { kind: 'ok'; user: DashboardUser }
  | { kind: 'missing' }
  | { kind: 'wrong'; name: string }
  | { kind: 'limited'; name: string; retryAfterMs: number }
  | { kind: 'busy'; name: string; retryAfterMs: number };

export type LoginFailureReason = 'missing' | 'wrong' | 'limited' | 'busy';

export interface Authenticator {
  /** What the Authorization header proves, sent from `clientAddress`. */
  authenticate(authorization: string | undefined, clientAddress: string): Promise<AuthResult>;
}

export interface AuthenticatorOptions {
  now?: () => number;
  limits?: Partial<LoginLimits>;
  /** The password check; tests wrap it to count the scrypt work each path does. */
  verify?: (password: string, secret: PasswordSecret) => Promise<boolean>;
}

export function parseBasicAuthorization(header: string | undefined): { name: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The cost most users' hashes have: what unknown names and plain-text passwords are made to cost too. */
export function commonScryptCost(users: readonly DashboardUser[]): ScryptCost {
  const counts = new Map<string, { cost: ScryptCost; count: number }>();
  for (const { secret } of users) {
    if (secret.kind !== 'scrypt') continue;
    const key = `${secret.N}:${secret.r}:${secret.p}`;
    const entry = counts.get(key) ?? { cost: { N: secret.N, r: secret.r, p: secret.p }, count: 0 };
    entry.count += 1;
    counts.set(key, entry);
  }
  const [mostCommon] = [...counts.values()].sort((a, b) => b.count - a.count || b.cost.N * b.cost.r - a.cost.N * a.cost.r);
  return mostCommon?.cost ?? DEFAULT_SCRYPT_COST;
}

/**
 * Every checked password costs one scrypt at the users' cost: an unknown name is checked against a
 * decoy hash, a plain-text (demo) password pays the decoy's scrypt before its digest is compared.
 */
export function createAuthenticator(users: readonly DashboardUser[], options: AuthenticatorOptions = {}): Authenticator {
  const { now = Date.now, verify = verifyPassword } = options;
  const byName = new Map(users.map((user) => [user.name, user]));
  const decoy = decoySecret(commonScryptCost(users));
  const guard = new LoginGuard({ ...DEFAULT_LOGIN_LIMITS, ...options.limits });
  // Keyed by an HMAC of the header under a per-process key: the cache never holds a password.
  const cacheKey = randomBytes(32);
  const verified = new Map<string, { user: DashboardUser; expiresAtMs: number }>();

  async function passwordMatches(password: string, user: DashboardUser | undefined): Promise<boolean> {
    if (user?.secret.kind === 'scrypt') return verify(password, user.secret);
    await verify(password, decoy);
    return user ? verify(password, user.secret) : false;
  }

  return {
    async authenticate(authorization, clientAddress) {
      if (!authorization) return { kind: 'missing' };
      const key = createHmac('sha256', cacheKey).update(authorization).digest('base64');
      const cached = verified.get(key);
      if (cached && cached.expiresAtMs > now()) return { kind: 'ok', user: cached.user };
      verified.delete(key);

      const credentials = parseBasicAuthorization(authorization);
      const name = credentials?.name ?? '';
      const before = await guard.check(clientAddress, name);
      if (before.limited) return { kind: 'limited', name, retryAfterMs: before.retryAfterMs };
      if (!credentials) {
        await guard.recordFailure(clientAddress, name);
        return { kind: 'wrong', name };
      }
      const user = byName.get(name);
      const outcome = await guard.withSlot(async (): Promise<AuthResult> => {
        // Checked again in the slot: attempts sent all at once passed the first check together.
        const inSlot = await guard.check(clientAddress, name);
        if (inSlot.limited) return { kind: 'limited', name, retryAfterMs: inSlot.retryAfterMs };
        const matches = await passwordMatches(credentials.password, user);
        if (!user || !matches) {
          await guard.recordFailure(clientAddress, name);
          return { kind: 'wrong', name };
        }
        await guard.recordSuccess(clientAddress, name);
        return { kind: 'ok', user };
      });
      if (outcome === 'busy') return { kind: 'busy', name, retryAfterMs: BUSY_RETRY_MS };
      if (outcome.kind === 'ok') {
        if (verified.size >= MAX_CACHED) verified.clear();
        verified.set(key, { user: outcome.user, expiresAtMs: now() + VERIFIED_TTL_MS });
      }
      return outcome;
    },
  };
}

export function roleOf(res: Response): DashboardRole {
  // Set by basicAuth below; anything else would be a wiring bug, and viewer is the safe reading.
  return res.locals.dashboardRole === 'operator' ? 'operator' : 'viewer';
}

export interface BasicAuthOptions {
  logger: Logger;
  onFailure?: (reason: LoginFailureReason) => void;
}

/**
 * 401 with a Basic challenge unless the request carries a known user's credentials; 429 with
 * Retry-After once the address has used up its failures. The client address is Express's req.ip,
 * which follows X-Forwarded-For only as far as `trust proxy` allows.
 */
export function basicAuth(authenticator: Authenticator, { logger, onFailure = () => {} }: BasicAuthOptions): RequestHandler {
  return (req, res, next) => {
    const clientAddress = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    authenticator
      .authenticate(req.headers.authorization, clientAddress)
      .then((result) => {
        if (result.kind === 'ok') {
          res.locals.dashboardUser = result.user.name;
          res.locals.dashboardRole = result.user.role;
          next();
          return;
        }
        onFailure(result.kind);
        if (result.kind === 'missing') {
          challenge(res);
          return;
        }
        // The user name as sent (cut to a sane length), the address; never the password.
        logger.warn({ user: result.name.slice(0, 128), clientAddress, reason: result.kind }, 'dashboard sign-in failed');
        if (result.kind === 'wrong') {
          challenge(res);
          return;
        }
        const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
        const message =
          result.kind === 'limited'
            ? `Too many failed sign-ins from your address; try again in ${seconds} s.`
            : `Too many sign-ins are being checked right now; try again in ${seconds} s.`;
        res
          .status(result.kind === 'limited' ? 429 : 503)
          .set('Retry-After', String(seconds))
          .type('text/plain')
          .send(message);
      })
      .catch(next);
  };
}

function challenge(res: Response): void {
  res
    .status(401)
    .set('WWW-Authenticate', `Basic realm="${DASHBOARD_REALM}", charset="UTF-8"`)
    .type('text/plain')
    .send('Authentication required: sign in with your dashboard user.');
}
