// Dashboard passwords: scrypt hashes (plain text tolerated for development), always compared in constant time.
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** `scrypt:N:r:p:<salt>:<hash>` with base64url salt and hash; no `$`, so .env files and compose leave it alone. */
export const PASSWORD_HASH_PREFIX = 'scrypt:';

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT_COST: ScryptCost = { N: 16384, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;

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

const isPowerOfTwo = (n: number) => Number.isInteger(n) && n > 1 && (n & (n - 1)) === 0;

function parseScryptHash(spec: string): PasswordSecret {
  const parts = spec.slice(PASSWORD_HASH_PREFIX.length).split(':');
  if (parts.length !== 5) throw new PasswordHashError('a hash must look like scrypt:N:r:p:<salt>:<hash>');
  const [N, r, p] = parts.slice(0, 3).map(Number) as [number, number, number];
  if (!isPowerOfTwo(N) || N < 1024 || N > 2 ** 20) throw new PasswordHashError('scrypt N must be a power of two from 1024 to 1048576');
  if (!Number.isInteger(r) || r < 1 || r > 32) throw new PasswordHashError('scrypt r must be 1 to 32');
  if (!Number.isInteger(p) || p < 1 || p > 16) throw new PasswordHashError('scrypt p must be 1 to 16');
  const salt = Buffer.from(parts[3] ?? '', 'base64url');
  const hash = Buffer.from(parts[4] ?? '', 'base64url');
  if (salt.length < 8) throw new PasswordHashError('the salt is shorter than 8 bytes');
  if (hash.length < 16) throw new PasswordHashError('the hash is shorter than 16 bytes');
  return { kind: 'scrypt', N, r, p, salt, hash };
}

/** Reads a stored secret: a `scrypt:` hash, or else a plain password. Throws PasswordHashError for a bad hash. */
export function parsePasswordSecret(spec: string): PasswordSecret {
  if (spec.startsWith(PASSWORD_HASH_PREFIX)) return parseScryptHash(spec);
  if (spec.length === 0) throw new PasswordHashError('the password is empty');
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
