// Secrets at rest: AES-256-GCM, stored as `enc:v2:<keyId>:<iv>:<ciphertext+tag>` (iv and data
// base64url), bound to the account and setting they belong to; `enc:v1:` values are still read.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SECRET_SETTINGS, type SecretSetting } from '../settings/document-shape';
import { parseKeyring, type SecretKeyring } from './secret-keyring';

const PREFIX = 'enc:';
/** v1: bound to its key id only. v2: also to its account id and setting name. */
export type SecretFormat = 'v1' | 'v2';
const CURRENT_FORMAT: SecretFormat = 'v2';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** An account's `_id` as text, or the ObjectId itself (read as its hex string, as the stores read it). */
export type AccountIdInput = string | { toHexString(): string };

/** Where a secret is stored, as the stores read it: the account's `_id` as text, and the setting's name. */
export interface SecretLocation {
  accountId: string;
  /** The setting's name (the SETTINGS_FIELDS key), not its document path, so moving the field keeps it readable. */
  setting: SecretSetting;
}

/** What encryptSecret binds a value to: a value encrypted for one account and setting decrypts nowhere else. */
export interface SecretBinding extends Omit<SecretLocation, 'accountId'> {
  accountId: AccountIdInput;
}

export type SecretDecryptionProblem = 'malformed' | 'unsupported-version' | 'no-keys' | 'unknown-key' | 'tampered';

/** A stored value that could not be decrypted; carries the key id and format, never the value. */
export class SecretDecryptionError extends Error {
  override name = 'SecretDecryptionError';
  /** Undefined when the version is not one this code reads. */
  readonly format: SecretFormat | undefined;

  constructor(
    readonly problem: SecretDecryptionProblem,
    message: string,
    readonly keyId?: string,
    options?: { cause?: unknown; format?: SecretFormat },
  ) {
    super(message, options);
    this.format = options?.format;
  }
}

/** encryptSecret() was called without a usable binding; the message says what to pass. */
export class SecretEncryptionError extends Error {
  override name = 'SecretEncryptionError';
}

/** True for a value written by encryptSecret (any version); everything else is plaintext. */
export function isEncryptedSecret(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** The format of an encrypted value, or undefined for plaintext or a version this code does not know. */
export function secretFormat(value: string): SecretFormat | undefined {
  if (!isEncryptedSecret(value)) return undefined;
  const version = value.split(':', 2)[1];
  return version === 'v1' || version === 'v2' ? version : undefined;
}

/** The key id an encrypted value names, or undefined for plaintext or an unreadable value. */
export function encryptedKeyId(value: string): string | undefined {
  if (secretFormat(value) === undefined) return undefined;
  return value.split(':', 3)[2] || undefined;
}

const USAGE = "encryptSecret(value, keys, { accountId: account._id, setting: 'account.clientSecret' })";

function accountIdText(accountId: AccountIdInput): string {
  return typeof accountId === 'string' ? accountId : accountId.toHexString();
}

function checkedBinding(binding: SecretBinding | undefined): SecretLocation {
  if (binding === null || typeof binding !== 'object') {
    throw new SecretEncryptionError(`encryptSecret() needs the account and the setting the value is stored in: ${USAGE}.`);
  }
  const isIdObject = typeof binding.accountId === 'object' && binding.accountId !== null && 'toHexString' in binding.accountId;
  const accountId = typeof binding.accountId === 'string' || isIdObject ? accountIdText(binding.accountId) : '';
  if (accountId === '') throw new SecretEncryptionError(`The account id is empty; pass the account's _id: ${USAGE}.`);
  if (!(SECRET_SETTINGS as readonly string[]).includes(binding.setting)) {
    throw new SecretEncryptionError(
      // Not echoed: whatever was passed by mistake might be the secret itself.
      `The setting given is not a secret setting; pass its name (${SECRET_SETTINGS.join(' or ')}), ` + `not its document path: ${USAGE}.`,
    );
  }
  return { accountId, setting: binding.setting };
}

/**
 * The authenticated data: v1 binds the ciphertext to its format and key id; v2 also to the account
 * and setting, as a JSON array so no choice of ids can make two bindings read alike.
 */
function aadFor(format: SecretFormat, keyId: string, binding: SecretLocation): Buffer {
  if (format === 'v1') return Buffer.from(`${PREFIX}v1:${keyId}`);
  return Buffer.from(JSON.stringify([`${PREFIX}v2`, keyId, binding.accountId, binding.setting]));
}

/**
 * Encrypts a client secret or certificate private key for the ERP's settings under the current key,
 * bound to the account and setting it is stored in (a copy elsewhere does not decrypt).
 * `keys` is a SecretKeyring or the SETTINGS_ENCRYPTION_KEYS text ("k2:<base64>,k1:<base64>").
 *
 * @example encryptSecret(typedByAdmin, process.env.SETTINGS_ENCRYPTION_KEYS!, { accountId: account._id, setting: 'account.clientSecret' })
 */
export function encryptSecret(plaintext: string, keys: SecretKeyring | string, binding: SecretBinding): string {
  if (isEncryptedSecret(plaintext))
    throw new SecretEncryptionError('The value is already encrypted (it starts with "enc:"); store it as it is.');
  const bound = checkedBinding(binding);
  const keyring = typeof keys === 'string' ? parseKeyring(keys) : keys;
  const keyId = keyring.currentKeyId;
  const key = keyring.keyFor(keyId)!;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aadFor(CURRENT_FORMAT, keyId, bound));
  const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${PREFIX}${CURRENT_FORMAT}:${keyId}:${iv.toString('base64url')}:${sealed.toString('base64url')}`;
}

/**
 * The plaintext of a value written by encryptSecret, read where it is stored (`binding`, which v1
 * values ignore); throws SecretDecryptionError saying why not.
 */
export function decryptSecret(stored: string, keyring: SecretKeyring | undefined, binding: SecretLocation): string {
  const [, version, keyId, ivText, sealedText, ...rest] = stored.split(':');
  if (version !== 'v1' && version !== 'v2') {
    throw new SecretDecryptionError(
      'unsupported-version',
      `The value uses encryption format "${version ?? ''}"; this version reads v1 and v2.`,
    );
  }
  const format: SecretFormat = version;
  if (!keyId || ivText === undefined || sealedText === undefined || rest.length > 0) {
    throw new SecretDecryptionError('malformed', `The value is not in the form enc:${format}:<keyId>:<iv>:<data>.`, undefined, { format });
  }
  if (!keyring) {
    throw new SecretDecryptionError('no-keys', `The value is encrypted under key "${keyId}" and no key is configured.`, keyId, { format });
  }
  const key = keyring.keyFor(keyId);
  if (!key) {
    throw new SecretDecryptionError('unknown-key', `The value is encrypted under key "${keyId}", which is not configured.`, keyId, {
      format,
    });
  }
  const iv = Buffer.from(ivText, 'base64url');
  const sealed = Buffer.from(sealedText, 'base64url');
  if (iv.length !== IV_BYTES || sealed.length < TAG_BYTES) {
    throw new SecretDecryptionError('malformed', 'The value is too short to be an encrypted secret.', keyId, { format });
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aadFor(format, keyId, binding));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch (err: unknown) {
    const as = format === 'v2' ? ` as account ${binding.accountId}'s ${binding.setting}` : '';
    const copied = format === 'v2' ? 'it was encrypted for another account or setting, ' : '';
    throw new SecretDecryptionError(
      'tampered',
      `The value does not decrypt${as} with key "${keyId}": ${copied}the key is not the one it was encrypted with, or the value was altered.`,
      keyId,
      { cause: err, format },
    );
  }
}
