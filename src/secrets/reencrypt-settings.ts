// Moves every stored secret to the current encryption key (after a key rotation), optionally
// encrypting secrets still stored in plaintext. Reports counts; never the values.
import { SecretDecryptionError, decryptSecret, encryptSecret, encryptedKeyId, isEncryptedSecret } from './encrypted-secret';
import type { SecretKeyring } from './secret-keyring';

export interface StoredSecret {
  accountId: string;
  /** The setting name, e.g. "account.clientSecret". */
  setting: string;
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
  /** Encrypted under an older key: moved (or, in a dry run, to be moved) to the current key. */
  reencrypted: number;
  alreadyCurrent: number;
  /** Stored in plaintext; encrypted only with `encryptPlaintext`. */
  plaintext: number;
  encryptedPlaintext: number;
  /** Values written (0 in a dry run); reencrypted + encryptedPlaintext minus conflicts. */
  written: number;
  /** Changed by someone else between read and write, so not written; run again. */
  conflicts: number;
  /** Values that could not be decrypted (unknown key, altered value); left as they are. */
  failed: { accountId: string; setting: string; keyId?: string; problem: string }[];
}

/** Re-encrypts every account's secrets under `keyring.currentKeyId`; see ReencryptReport for what is counted. */
export async function reencryptSettings(
  store: SecretRewriter,
  { keyring, dryRun = false, encryptPlaintext = false }: ReencryptOptions,
): Promise<ReencryptReport> {
  const report: ReencryptReport = {
    dryRun,
    currentKeyId: keyring.currentKeyId,
    scanned: 0,
    reencrypted: 0,
    alreadyCurrent: 0,
    plaintext: 0,
    encryptedPlaintext: 0,
    written: 0,
    conflicts: 0,
    failed: [],
  };
  const { written, conflicts } = await store.rewriteAccountSecrets(({ accountId, setting, value }) => {
    report.scanned += 1;
    if (!isEncryptedSecret(value)) {
      report.plaintext += 1;
      if (!encryptPlaintext) return undefined;
      report.encryptedPlaintext += 1;
      return dryRun ? undefined : encryptSecret(value, keyring);
    }
    if (encryptedKeyId(value) === keyring.currentKeyId) {
      report.alreadyCurrent += 1;
      return undefined;
    }
    let plaintext: string;
    try {
      plaintext = decryptSecret(value, keyring);
    } catch (err: unknown) {
      if (!(err instanceof SecretDecryptionError)) throw err;
      report.failed.push({ accountId, setting, ...(err.keyId ? { keyId: err.keyId } : {}), problem: err.message });
      return undefined;
    }
    report.reencrypted += 1;
    return dryRun ? undefined : encryptSecret(plaintext, keyring);
  });
  report.written = written;
  report.conflicts = conflicts;
  return report;
}
