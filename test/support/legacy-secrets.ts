// Writes secrets in the format v1 that earlier versions of encryptSecret() stored (bound to the key id
// only), so tests can show such values are still read and that `settings reencrypt` upgrades them.
import { createCipheriv, randomBytes } from 'node:crypto';
import { parseKeyring, type SecretKeyring } from '../../src/secrets/secret-keyring';

/** `enc:v1:<keyId>:<iv>:<ciphertext+tag>`, as encryptSecret(plaintext, keys) wrote it before v2. */
export function encryptSecretV1(plaintext: string, keys: SecretKeyring | string): string {
  const keyring = typeof keys === 'string' ? parseKeyring(keys) : keys;
  const keyId = keyring.currentKeyId;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyring.keyFor(keyId)!, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(`enc:v1:${keyId}`));
  const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `enc:v1:${keyId}:${iv.toString('base64url')}:${sealed.toString('base64url')}`;
}
