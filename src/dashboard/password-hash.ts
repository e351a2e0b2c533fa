// Dashboard passwords: scrypt hashes (plain text only when a demo opts in), always compared in constant time.
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** `scrypt:N:r:p:<salt>:<hash>` with base64url salt and hash; no `$`, so .env files and compose leave it alone. */
export const PASSWORD_HASH_PREFIX = 'scrypt:';

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/** 128 MiB and about a second of one core per check (docs/dashboard.md): costly for a guesser, once per 5 minutes for a user. */
export const DEFAULT_SCRYPT_COST: ScryptCost = { N: 2 ** 17, r: 8, p: 1 };
/** Weaker hashes are refused: a person makes a new one with hash-password. */
export const MINIMUM_SCRYPT_N = 2 ** 15;
const MINIMUM_SCRYPT_R = 8;
/**
 * Twelve characters: with scrypt at N=2^17 and the sign-in limits, guessing online is hopeless and
 * guessing a leaked hash offline costs 128 MiB and about a second of one core per try; a generated 12-character password
 * (e.g. `openssl rand -base64 9`) holds 72 bits.
 */
export const MIN_PASSWORD_LENGTH = 12;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

/** How a person makes a hash; quoted by every message that asks for one. */
export const HASH_PASSWORD_COMMAND = `read -rs PW && printf '%s\\n' "$PW" | npm run --silent ops -- hash-password`;

export type PasswordSecret =
  | ({ kind: 'scrypt'; salt: Buffer; hash: Buffer } & ScryptCost)
  /** Only the SHA-256 digest is kept, so the comparison is constant-time whatever the length. */
  | { kind: 'plain'; digest: Buffer };

export class PasswordHashError extends Error {
  override name = 'PasswordHashError';
}

function deriveKey(password: string, salt: Buffer, keyBytes: number, cost: ScryptCost): Promise<Buffer> {
  // scrypt needs about 128 * N * r bytes; allow twice that so strong costs are not refused.
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyBytes, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Hashes a password for DASHBOARD_USERS (`npm run ops -- hash-password`). */
export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await deriveKey(password, salt, KEY_BYTES, cost);
  return `${PASSWORD_HASH_PREFIX}${cost.N}:${cost.r}:${cost.p}:${salt.toString('base64url')}:${hash.toString('base64url')}`;
}

/** A hash nobody's password matches, with the given cost: what an unknown user name is checked against. */
export function decoySecret(cost: ScryptCost): PasswordSecret {
  return { kind: 'scrypt', ...cost, salt: randomBytes(SALT_BYTES), hash: randomBytes(KEY_BYTES) };
}

const isPowerOfTwo = (n: number) => Number.isInteger(n) && n > 1 && (n & (n - 1)) === 0;

function parseScryptHash(spec: string, minimumN: number): PasswordSecret {
  const parts = spec.slice(PASSWORD_HASH_PREFIX.length).split(':');
  if (parts.length !== 5) throw new PasswordHashError('a hash must look like scrypt:N:r:p:<salt>:<hash>');
  const [N, r, p] = parts.slice(0, 3).map(Number) as [number, number, number];
  if (!isPowerOfTwo(N) || N < 1024 || N > 2 ** 20) throw new PasswordHashError('scrypt N must be a power of two from 1024 to 1048576');
  if (!Number.isInteger(r) || r < 1 || r > 32) throw new PasswordHashError('scrypt r must be 1 to 32');
  if (!Number.isInteger(p) || p < 1 || p > 16) throw new PasswordHashError('scrypt p must be 1 to 16');
  const weakness =
    N < minimumN
      ? `N=${N}, weaker than the minimum N=${minimumN}`
      : r < MINIMUM_SCRYPT_R
        ? `r=${r}, weaker than the minimum r=${MINIMUM_SCRYPT_R}`
        : undefined;
  if (weakness !== undefined)
    throw new PasswordHashError(`the hash uses scrypt ${weakness}; make a new one with: ${HASH_PASSWORD_COMMAND}`);
  const salt = Buffer.from(parts[3] ?? '', 'base64url');
  const hash = Buffer.from(parts[4] ?? '', 'base64url');
  if (salt.length < 8) throw new PasswordHashError('the salt is shorter than 8 bytes');
  if (hash.length < 16) throw new PasswordHashError('the hash is shorter than 16 bytes');
  return { kind: 'scrypt', N, r, p, salt, hash };
}

export interface SecretRules {
  /** Plain-text passwords are for demos only (DASHBOARD_ALLOW_PLAINTEXT_PASSWORDS=true). */
  allowPlaintext?: boolean;
  /** Default MINIMUM_SCRYPT_N; tests lower it to keep hashing cheap. */
  minimumScryptN?: number;
  /** Default MIN_PASSWORD_LENGTH. */
  minimumPlaintextLength?: number;
}

/**
 * Reads a stored secret: a `scrypt:` hash, or a plain password where allowed. Throws
 * PasswordHashError, whose message never quotes the secret.
 */
export function parsePasswordSecret(
  spec: string,
  { allowPlaintext = false, minimumScryptN = MINIMUM_SCRYPT_N, minimumPlaintextLength = MIN_PASSWORD_LENGTH }: SecretRules = {},
): PasswordSecret {
  if (spec.startsWith(PASSWORD_HASH_PREFIX)) return parseScryptHash(spec, minimumScryptN);
  if (spec.length === 0) throw new PasswordHashError('the password is empty');
  if (!allowPlaintext) {
    throw new PasswordHashError(
      `a plain-text password is refused; store a hash: ${HASH_PASSWORD_COMMAND} (a demo may set DASHBOARD_ALLOW_PLAINTEXT_PASSWORDS=true instead)`,
    );
  }
  if (spec.length < minimumPlaintextLength)
    throw new PasswordHashError(`the password is shorter than ${minimumPlaintextLength} characters`);
  return { kind: 'plain', digest: sha256(spec) };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** True when `password` matches; the comparison takes the same time whichever byte differs. */
export async function verifyPassword(password: string, secret: PasswordSecret): Promise<boolean> {
  if (secret.kind === 'plain') return timingSafeEqual(sha256(password), secret.digest);
  const key = await deriveKey(password, secret.salt, secret.hash.length, secret);
  return timingSafeEqual(key, secret.hash);
}
