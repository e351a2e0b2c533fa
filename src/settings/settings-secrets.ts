// Opens the secrets in an account's settings as they are read: decrypts encrypted values, and
// warns once per account and setting about a secret still stored in plaintext.
import type { Logger } from 'pino';
import { DeliveryError } from '../delivery/failure';
import { SecretDecryptionError, decryptSecret, encryptedKeyId, isEncryptedSecret } from '../secrets/encrypted-secret';
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
  /** Where the one-time plaintext warning goes. */
  logger?: Logger;
}

export interface OpenedSecret {
  value: string;
  /** The key the value was encrypted under; undefined when it is stored in plaintext. */
  keyId?: string;
}

export class SettingsSecrets {
  private readonly warned = new Set<string>();

  constructor(private readonly options: SettingsSecretsOptions = {}) {}

  /** The usable value of a stored secret; a value that cannot be decrypted is a permanent `settings` failure. */
  open(stored: string, accountId: string, setting: SecretSetting): OpenedSecret {
    if (!isEncryptedSecret(stored)) {
      this.warnPlaintextOnce(accountId, setting);
      return { value: stored };
    }
    try {
      return { value: decryptSecret(stored, this.options.keyring), keyId: encryptedKeyId(stored) };
    } catch (err: unknown) {
      if (!(err instanceof SecretDecryptionError)) throw err;
      throw new DeliveryError(decryptionFailure(err, accountId, SECRET_LABELS[setting], this.options.keyring), { cause: err });
    }
  }

  private warnPlaintextOnce(accountId: string, setting: SecretSetting): void {
    const key = `${accountId}\0${setting}`;
    if (!this.options.logger || this.warned.has(key)) return;
    if (this.warned.size >= MAX_WARNED) this.warned.clear();
    this.warned.add(key);
    this.options.logger.warn(
      { accountId, setting },
      `${SECRET_LABELS[setting]} of account ${accountId} is stored in plaintext; store it encrypted with encryptSecret() ` +
        '(SETTINGS_ENCRYPTION_KEYS), or run npm run ops -- settings reencrypt --encrypt-plaintext',
    );
  }
}

function decryptionFailure(err: SecretDecryptionError, accountId: string, label: string, keyring: SecretKeyring | undefined) {
  const subject = `Account ${accountId}'s ${label}`;
  const reenter = `or re-enter the ${label} at ${SETTINGS_PAGE}`;
  switch (err.problem) {
    case 'no-keys':
      return {
        category: 'settings' as const,
        code: 'SecretKeyMissing',
        reason:
          `${subject} is stored encrypted (key id "${err.keyId}"), but this worker has no encryption keys. ` +
          `Set SETTINGS_ENCRYPTION_KEYS to the keys the ERP encrypts with, ${reenter}.`,
      };
    case 'unknown-key':
      return {
        category: 'settings' as const,
        code: 'SecretKeyUnknown',
        reason:
          `${subject} was encrypted with key id "${err.keyId}", which is not in SETTINGS_ENCRYPTION_KEYS (ids: ${keyring?.keyIds.join(', ')}). ` +
          `Add that key back (keep old keys until npm run ops -- settings reencrypt has moved every secret to the current key), ${reenter}.`,
      };
    case 'tampered':
      return {
        category: 'settings' as const,
        code: 'SecretDecryptionFailed',
        reason:
          `${subject} does not decrypt with key "${err.keyId}": SETTINGS_ENCRYPTION_KEYS holds a different key under that id than the ERP ` +
          `used, or the stored value was altered. Put the ERP's key under id "${err.keyId}", ${reenter}.`,
      };
    default:
      return {
        category: 'settings' as const,
        code: 'SecretMalformed',
        reason: `${subject} starts with "enc:" but is not a value written by encryptSecret() (${err.message}); ${reenter}.`,
      };
  }
}
