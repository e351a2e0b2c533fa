// Moves every stored secret to the current encryption key (after a key rotation) and to format v2
// (bound to its account and setting), optionally encrypting secrets still stored in plaintext.
// Reports counts; never the values.
import type { SecretSetting } from '../settings/document-shape';
import { SecretDecryptionError, decryptSecret, encryptSecret, encryptedKeyId, isEncryptedSecret, secretFormat } from './encrypted-secret';
import type { SecretKeyring } from './secret-keyring';

export interface StoredSecret {
  /** The account document's `_id` as text (an ObjectId as hex): what the value is bound to. */
  accountId: string;
  setting: SecretSetting;
  value: string;
}

/** Implemented by the settings stores; the only write this project makes to the ERP's settings. */
export interface SecretRewriter {
  /**
   * Calls `rewrite` for every secret stored in any account and writes back each value it returns,
   * only where the stored value is still the one it was shown (a concurrent edit by the ERP wins).
   */
  rewriteAccountSecrets(rewrite: (secret: StoredSecret) => string | undefined): Promise<{ written: number; conflicts: number }>;
}

export interface ReencryptOptions {
  keyring: SecretKeyring;
  /** Count what would change, write nothing. */
  dryRun?: boolean;
  /** Also encrypt secrets that are stored in plaintext. */
  encryptPlaintext?: boolean;
}

export interface ReencryptReport {
  dryRun: boolean;
  currentKeyId: string;
  /** Secret values looked at. */
  scanned: number;
  /** Encrypted under an older key: moved (or, in a dry run, to be moved) to the current key, as format v2. */
  reencrypted: number;
  /** Under the current key but in format v1 (not bound to its account): rewritten as v2 (or, in a dry run, to be). */
  upgraded: number;
  /** Under the current key, in format v2: nothing to do. */
  alreadyCurrent: number;
  /** Stored in plaintext; encrypted only with `encryptPlaintext`. */
  plaintext: number;
  encryptedPlaintext: number;
  /** Values written (0 in a dry run); reencrypted + upgraded + encryptedPlaintext minus conflicts. */
  written: number;
  /** Changed by someone else between read and write, so not written; run again. */
  conflicts: number;
  /** Values that could not be decrypted (unknown key, altered value); left as they are. */
  failed: { accountId: string; setting: string; keyId?: string; problem: string }[];
}

/** Re-encrypts every account's secrets under `keyring.currentKeyId` as format v2; see ReencryptReport for what is counted. */
export async function reencryptSettings(
  store: SecretRewriter,
  { keyring, dryRun = false, encryptPlaintext = false }: ReencryptOptions,
): Promise<ReencryptReport> {
  const report: ReencryptReport = {
    dryRun,
    currentKeyId: keyring.currentKeyId,
    scanned: 0,
    reencrypted: 0,
    upgraded: 0,
    alreadyCurrent: 0,
    plaintext: 0,
    encryptedPlaintext: 0,
    written: 0,
    conflicts: 0,
    failed: [],
  };
  const { written, conflicts } = await store.rewriteAccountSecrets(({ accountId, setting, value }) => {
    report.scanned += 1;
    const binding = { accountId, setting };
    if (!isEncryptedSecret(value)) {
      report.plaintext += 1;
      if (!encryptPlaintext) return undefined;
      report.encryptedPlaintext += 1;
      return dryRun ? undefined : encryptSecret(value, keyring, binding);
    }
    let plaintext: string;
    try {
      // Every value is decrypted where it is stored, current ones too: a v2 value copied from
      // another account fails here, is reported, and is left for a person to re-enter.
      plaintext = decryptSecret(value, keyring, binding);
    } catch (err: unknown) {
      if (!(err instanceof SecretDecryptionError)) throw err;
      report.failed.push({ accountId, setting, ...(err.keyId ? { keyId: err.keyId } : {}), problem: err.message });
      return undefined;
    }
    const onCurrentKey = encryptedKeyId(value) === keyring.currentKeyId;
    if (onCurrentKey && secretFormat(value) === 'v2') {
      report.alreadyCurrent += 1;
      return undefined;
    }
    if (onCurrentKey) report.upgraded += 1;
    else report.reencrypted += 1;
    return dryRun ? undefined : encryptSecret(plaintext, keyring, binding);
  });
  report.written = written;
  report.conflicts = conflicts;
  return report;
}
