// Opens the secrets in an account's settings as they are read: decrypts encrypted values where they
// are stored (account and setting), and warns once per account and setting about a plaintext
// secret, or refuses it when SETTINGS_REQUIRE_ENCRYPTED is set.
import type { Logger } from 'pino';
import { DeliveryError, clipText, type Failure } from '@omikai/graph-mailer-client';
import { ERP_GRAPH_SETTINGS_PAGE } from './erp-pages';
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

/** The ways to store `setting` encrypted where the worker reads it, one per line. */
function encryptSteps(accountId: string, setting: SecretSetting): string[] {
  return [
    `- Have the ERP store ${encryptSecretCall(accountId, setting)} with the keys of SETTINGS_ENCRYPTION_KEYS (docs/setup.md).`,
    '- Or encrypt what is stored now: npm run ops -- settings reencrypt --encrypt-plaintext (add --dry-run first to see what changes).',
    `- Or re-enter the ${SECRET_LABELS[setting]} at ${ERP_GRAPH_SETTINGS_PAGE}.`,
    'Then: npm run verify -- --account <id>, and ops retry --category settings --force.',
  ];
}

function plaintextRefused(accountId: string, setting: SecretSetting): Failure {
  const label = SECRET_LABELS[setting];
  return {
    category: 'settings',
    code: 'SecretNotEncrypted',
    reason:
      `Account ${accountId}'s ${label} is stored in plaintext, and SETTINGS_REQUIRE_ENCRYPTED=true refuses it. ` +
      'Fix: npm run ops -- settings reencrypt --encrypt-plaintext, or store it with encryptSecret().',
    procedure: encryptSteps(accountId, setting).join('\n'),
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
  const reenter = `or re-enter the ${label} in the ERP`;
  const keyId = clipText(err.keyId ?? '', 32);
  const failure = (code: string, reason: string, steps: string[]): Failure => ({
    category: 'settings',
    code,
    reason,
    procedure: [...steps, ...encryptSteps(accountId, setting)].join('\n'),
  });
  switch (err.problem) {
    case 'no-keys':
      return failure(
        'SecretKeyMissing',
        `${subject} is stored encrypted (key id "${keyId}"), but this worker has no encryption keys. ` +
          `Fix: set SETTINGS_ENCRYPTION_KEYS to the keys the ERP encrypts with, ${reenter}.`,
        [`Set SETTINGS_ENCRYPTION_KEYS on the worker (and for verify and ops) to the ERP's keys, "${keyId}" among them, and restart it.`],
      );
    case 'unknown-key':
      return failure(
        'SecretKeyUnknown',
        `${subject} was encrypted with key id "${keyId}", which is not in SETTINGS_ENCRYPTION_KEYS ` +
          `(ids: ${clipText(keyring?.keyIds.join(', ') ?? '', 80)}). Fix: add that key back, ${reenter}.`,
        [
          `Add key "${keyId}" back to SETTINGS_ENCRYPTION_KEYS (after the current key: "<current>:<key>,${keyId}:<key>") and restart the worker.`,
          'Keep old keys until npm run ops -- settings reencrypt has moved every secret to the current key.',
        ],
      );
    case 'tampered':
      // A v2 value that fails here may be one copied from elsewhere: GCM cannot tell that from a wrong key.
      return err.format === 'v2'
        ? failure(
            'SecretDecryptionFailed',
            `${subject} does not decrypt with key "${keyId}": it was encrypted for another account or setting (copied here), ` +
              `under another key with this id, or altered. Fix: re-enter it in the ERP.`,
            [
              `The value is bound to the account and setting it was encrypted for: a copy from another account never decrypts here.`,
              `If SETTINGS_ENCRYPTION_KEYS holds a different key under id "${keyId}" than the ERP used, put the ERP's key there.`,
            ],
          )
        : failure(
            'SecretDecryptionFailed',
            `${subject} does not decrypt with key "${keyId}": SETTINGS_ENCRYPTION_KEYS holds a different key under that id than the ERP ` +
              `used, or the value was altered. Fix: put the ERP's key under id "${keyId}", ${reenter}.`,
            [`Put the key the ERP encrypted with under id "${keyId}" in SETTINGS_ENCRYPTION_KEYS and restart the worker.`],
          );
    default:
      return failure(
        'SecretMalformed',
        `${subject} starts with "enc:" but is not a value written by encryptSecret() (${clipText(err.message, 80)}); ${reenter}.`,
        [],
      );
  }
}
