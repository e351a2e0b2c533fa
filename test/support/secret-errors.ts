// The SecretDecryptionError a decryption throws, for tests that inspect its problem and message.
import { SecretDecryptionError } from '../../src/secrets/encrypted-secret';

export function decryptionError(run: () => unknown): SecretDecryptionError {
  try {
    run();
  } catch (err: unknown) {
    if (err instanceof SecretDecryptionError) return err;
    throw err;
  }
  throw new Error('expected a SecretDecryptionError');
}
