// Opens the secrets in an account's settings as they are read: decrypts encrypted values where they
// are stored (account and setting), and warns once per account and setting about a plaintext
// secret, or refuses it when SETTINGS_REQUIRE_ENCRYPTED is set.
import type { Logger } from 'pino';
import { DeliveryError, type Failure } from '../delivery/failure';
import {
  SecretDecryptionError,
  decryptSecret,
  encryptedKeyId,
  isEncryptedSecret,
  secretFormat,
  type SecretFormat,
} from '../secrets/encrypted-secret';
import type { SecretKeyring } from '../secrets/secret-keyring';
import type { SecretSetting } from './document-shape';

export const SECRET_LABELS: Record<SecretSetting, string> = {
  'account.clientSecret': 'Client secret',
  'account.certificatePrivateKey': 'Certificate private key',
};

const SETTINGS_PAGE = 'Settings > Account > Profile > Microsoft Graph settings';
const MAX_WARNED = 10_000;

export interface SettingsSecretsOptions {
  /** The keys from SETTINGS_ENCRYPTION_KEYS; without them, encrypted settings cannot be read. */
  keyring?: SecretKeyring;
  /** SETTINGS_REQUIRE_ENCRYPTED: a secret stored in plaintext is a settings failure instead of a warning. */
  requireEncrypted?: boolean;
  /** Where the one-time plaintext warning goes. */
  logger?: Logger;
}

export interface OpenedSecret {
  value: string;
  /** The key the value was encrypted under; undefined when it is stored in plaintext. */
  keyId?: string;
  /** v1 values are not bound to their account; undefined when stored in plaintext. */
  format?: SecretFormat;
}

/** The call that stores a secret where the worker reads it, spelled out for this account and setting. */
export function encryptSecretCall(accountId: string, setting: SecretSetting): string {
  return `encryptSecret(value, keys, { accountId: '${accountId}', setting: '${setting}' })`;
}

export class SettingsSecrets {
  private readonly warned = new Set<string>();

  constructor(private readonly options: SettingsSecretsOptions = {}) {}

  /**
   * The usable value of a secret stored in `accountId`'s `setting` (the account's `_id` as text);
   * a value that cannot be decrypted there, or plaintext when it is refused, is a permanent `settings` failure.
   */
  open(stored: string, accountId: string, setting: SecretSetting): OpenedSecret {
    if (!isEncryptedSecret(stored)) {
      if (this.options.requireEncrypted) throw new DeliveryError(plaintextRefused(accountId, setting));
      this.warnPlaintextOnce(accountId, setting);
      return { value: stored };
    }
    try {
      const value = decryptSecret(stored, this.options.keyring, { accountId, setting });
      return { value, keyId: encryptedKeyId(stored), format: secretFormat(stored) };
    } catch (err: unknown) {
      if (!(err instanceof SecretDecryptionError)) throw err;
      throw new DeliveryError(decryptionFailure(err, accountId, setting, this.options.keyring), { cause: err });
    }
  }

  private warnPlaintextOnce(accountId: string, setting: SecretSetting): void {
    const key = `${accountId}\0${setting}`;
    if (!this.options.logger || this.warned.has(key)) return;
    if (this.warned.size >= MAX_WARNED) this.warned.clear();
    this.warned.add(key);
    this.options.logger.warn(
      { accountId, setting },
      `${SECRET_LABELS[setting]} of account ${accountId} is stored in plaintext; store it encrypted with ` +
        `${encryptSecretCall(accountId, setting)} (SETTINGS_ENCRYPTION_KEYS), or run npm run ops -- settings reencrypt --encrypt-plaintext`,
    );
  }
}

function plaintextRefused(accountId: string, setting: SecretSetting): Failure {
  const label = SECRET_LABELS[setting];
  return {
    category: 'settings',
    code: 'SecretNotEncrypted',
    reason:
      `Account ${accountId}'s ${label} is stored in plaintext, and SETTINGS_REQUIRE_ENCRYPTED=true refuses it. ` +
      `Encrypt it with npm run ops -- settings reencrypt --encrypt-plaintext, have the ERP store ${encryptSecretCall(accountId, setting)}, ` +
      `or re-enter the ${label} at ${SETTINGS_PAGE}.`,
  };
}

function decryptionFailure(
  err: SecretDecryptionError,
  accountId: string,
  setting: SecretSetting,
  keyring: SecretKeyring | undefined,
): Failure {
  const label = SECRET_LABELS[setting];
  const subject = `Account ${accountId}'s ${label}`;
  const reenter = `or re-enter the ${label} at ${SETTINGS_PAGE}`;
  switch (err.problem) {
    case 'no-keys':
      return {
        category: 'settings',
        code: 'SecretKeyMissing',
        reason:
          `${subject} is stored encrypted (key id "${err.keyId}"), but this worker has no encryption keys. ` +
          `Set SETTINGS_ENCRYPTION_KEYS to the keys the ERP encrypts with, ${reenter}.`,
      };
    case 'unknown-key':
      return {
        category: 'settings',
        code: 'SecretKeyUnknown',
        reason:
          `${subject} was encrypted with key id "${err.keyId}", which is not in SETTINGS_ENCRYPTION_KEYS (ids: ${keyring?.keyIds.join(', ')}). ` +
          `Add that key back (keep old keys until npm run ops -- settings reencrypt has moved every secret to the current key), ${reenter}.`,
      };
    case 'tampered':
      // A v2 value that fails here may be one copied from elsewhere: GCM cannot tell that from a wrong key.
      return err.format === 'v2'
        ? {
            category: 'settings',
            code: 'SecretDecryptionFailed',
            reason:
              `${subject} does not decrypt as this account's ${label} with key "${err.keyId}": the stored value was encrypted for ` +
              `another account or setting (copied here), SETTINGS_ENCRYPTION_KEYS holds a different key under id "${err.keyId}" than the ` +
              `ERP used, or the value was altered. Re-enter it: have the ERP store ${encryptSecretCall(accountId, setting)}, ${reenter}.`,
          }
        : {
            category: 'settings',
            code: 'SecretDecryptionFailed',
            reason:
              `${subject} does not decrypt with key "${err.keyId}": SETTINGS_ENCRYPTION_KEYS holds a different key under that id than the ERP ` +
              `used, or the stored value was altered. Put the ERP's key under id "${err.keyId}", ${reenter}.`,
          };
    default:
      return {
        category: 'settings',
        code: 'SecretMalformed',
        reason: `${subject} starts with "enc:" but is not a value written by encryptSecret() (${err.message}); ${reenter}.`,
      };
  }
}
