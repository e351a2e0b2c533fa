// Secrets at rest: AES-256-GCM, stored as `enc:v1:<keyId>:<iv>:<ciphertext+tag>` (iv and data base64url).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { parseKeyring, type SecretKeyring } from './secret-keyring';

const PREFIX = 'enc:';
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export type SecretDecryptionProblem = 'malformed' | 'unsupported-version' | 'no-keys' | 'unknown-key' | 'tampered';

/** A stored value that could not be decrypted; carries the key id, never the value. */
export class SecretDecryptionError extends Error {
  override name = 'SecretDecryptionError';

  constructor(
    readonly problem: SecretDecryptionProblem,
    message: string,
    readonly keyId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for a value written by encryptSecret (any version); everything else is plaintext. */
export function isEncryptedSecret(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** The key id an encrypted value names, or undefined for plaintext or an unreadable value. */
export function encryptedKeyId(value: string): string | undefined {
  if (!isEncryptedSecret(value)) return undefined;
  const [, version, keyId] = value.split(':');
  return version === VERSION && keyId ? keyId : undefined;
}

/** The authenticated data binds the ciphertext to its format and key id. */
const aadFor = (keyId: string) => Buffer.from(`${PREFIX}${VERSION}:${keyId}`);

/**
 * Encrypts a client secret or private key for the ERP's settings under the current key.
 * `keys` is a SecretKeyring or the SETTINGS_ENCRYPTION_KEYS text ("k2:<base64>,k1:<base64>").
 */
export function encryptSecret(plaintext: string, keys: SecretKeyring | string): string {
  if (isEncryptedSecret(plaintext)) throw new Error('The value is already encrypted (it starts with "enc:"); store it as it is.');
  const keyring = typeof keys === 'string' ? parseKeyring(keys) : keys;
  const keyId = keyring.currentKeyId;
  const key = keyring.keyFor(keyId)!;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aadFor(keyId));
  const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${PREFIX}${VERSION}:${keyId}:${iv.toString('base64url')}:${sealed.toString('base64url')}`;
}

/** The plaintext of a value written by encryptSecret; throws SecretDecryptionError saying why not. */
export function decryptSecret(stored: string, keyring: SecretKeyring | undefined): string {
  const [, version, keyId, ivText, sealedText, ...rest] = stored.split(':');
  if (version !== VERSION) {
    throw new SecretDecryptionError(
      'unsupported-version',
      `The value uses encryption format "${version ?? ''}"; this version reads ${VERSION}.`,
    );
  }
  if (!keyId || ivText === undefined || sealedText === undefined || rest.length > 0) {
    throw new SecretDecryptionError('malformed', `The value is not in the form enc:${VERSION}:<keyId>:<iv>:<data>.`);
  }
  if (!keyring) throw new SecretDecryptionError('no-keys', `The value is encrypted under key "${keyId}" and no key is configured.`, keyId);
  const key = keyring.keyFor(keyId);
  if (!key) {
    throw new SecretDecryptionError('unknown-key', `The value is encrypted under key "${keyId}", which is not configured.`, keyId);
  }
  const iv = Buffer.from(ivText, 'base64url');
  const sealed = Buffer.from(sealedText, 'base64url');
  if (iv.length !== IV_BYTES || sealed.length < TAG_BYTES) {
    throw new SecretDecryptionError('malformed', 'The value is too short to be an encrypted secret.', keyId);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aadFor(keyId));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch (err: unknown) {
    throw new SecretDecryptionError(
      'tampered',
      `The value does not decrypt with key "${keyId}": the key is not the one it was encrypted with, or the value was altered.`,
      keyId,
      { cause: err },
    );
  }
}
