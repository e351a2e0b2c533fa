// Secrets at rest: AES-256-GCM values with a key id, key rotation, and errors that never show a key or a secret.
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { SecretDecryptionError, decryptSecret, encryptSecret, encryptedKeyId, isEncryptedSecret } from '../../src/secrets/encrypted-secret';
import { SecretKeyringError, parseKeyring } from '../../src/secrets/secret-keyring';

const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
const SECRET = 'Xq8~client-secret-Value.4711';

function decryptionError(run: () => unknown): SecretDecryptionError {
  try {
    run();
  } catch (err: unknown) {
    if (err instanceof SecretDecryptionError) return err;
    throw err;
  }
  throw new Error('expected a SecretDecryptionError');
}

describe('encryptSecret / decryptSecret', () => {
  it('round-trips any text, and the stored value names its key but not the secret', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: 'grapheme' }), (plaintext) => {
        fc.pre(!plaintext.startsWith('enc:'));
        const stored = encryptSecret(plaintext, `k1:${K1}`);
        expect(decryptSecret(stored, parseKeyring(`k1:${K1}`))).toBe(plaintext);
      }),
      { numRuns: 50 },
    );
    const stored = encryptSecret(SECRET, `k1:${K1}`);
    expect(stored).toMatch(/^enc:v1:k1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/);
    expect(stored).not.toContain(SECRET);
    expect(isEncryptedSecret(stored)).toBe(true);
    expect(encryptedKeyId(stored)).toBe('k1');
  });

  it('uses a fresh IV each time, so the same secret never encrypts to the same value', () => {
    expect(encryptSecret(SECRET, `k1:${K1}`)).not.toBe(encryptSecret(SECRET, `k1:${K1}`));
  });

  it('encrypts under the first key and still decrypts values under the older ones', () => {
    const old = encryptSecret(SECRET, `k1:${K1}`);
    const rotated = parseKeyring(`k2:${K2},k1:${K1}`);
    expect(encryptedKeyId(encryptSecret(SECRET, rotated))).toBe('k2');
    expect(decryptSecret(old, rotated)).toBe(SECRET);
  });

  it('names an unknown key id, without quoting the value', () => {
    const stored = encryptSecret(SECRET, `k1:${K1}`);
    const err = decryptionError(() => decryptSecret(stored, parseKeyring(`k2:${K2}`)));
    expect(err).toMatchObject({ problem: 'unknown-key', keyId: 'k1' });
    expect(err.message).not.toContain(stored);
  });

  it('detects a wrong key under the right id and an altered value', () => {
    const stored = encryptSecret(SECRET, `k1:${K1}`);
    expect(decryptionError(() => decryptSecret(stored, parseKeyring(`k1:${K2}`))).problem).toBe('tampered');
    const data = stored.split(':')[4]!;
    const altered = stored.replace(data, `${data[0] === 'A' ? 'B' : 'A'}${data.slice(1)}`);
    expect(decryptionError(() => decryptSecret(altered, parseKeyring(`k1:${K1}`))).problem).toBe('tampered');
  });

  it('binds the ciphertext to its key id: relabelling it under another configured key fails', () => {
    const stored = encryptSecret(SECRET, `k1:${K1}`);
    const relabelled = stored.replace('enc:v1:k1:', 'enc:v1:k2:');
    expect(decryptionError(() => decryptSecret(relabelled, parseKeyring(`k2:${K1}`))).problem).toBe('tampered');
  });

  it('says so when no key is configured, and when the value is not in the format', () => {
    const stored = encryptSecret(SECRET, `k1:${K1}`);
    expect(decryptionError(() => decryptSecret(stored, undefined))).toMatchObject({ problem: 'no-keys', keyId: 'k1' });
    expect(decryptionError(() => decryptSecret('enc:v1:k1:short', parseKeyring(`k1:${K1}`))).problem).toBe('malformed');
    expect(decryptionError(() => decryptSecret('enc:v9:k1:a:b', parseKeyring(`k1:${K1}`))).problem).toBe('unsupported-version');
  });

  it('refuses to encrypt a value twice', () => {
    expect(() => encryptSecret(encryptSecret(SECRET, `k1:${K1}`), `k1:${K1}`)).toThrow('already encrypted');
  });
});

describe('parseKeyring', () => {
  it('reads "id:key" lists (first encrypts) and a lone key under the default id', () => {
    expect(parseKeyring(`k2:${K2}, k1:${K1}`).toJSON()).toEqual({ currentKeyId: 'k2', keyIds: ['k2', 'k1'] });
    expect(parseKeyring(K1, 'main').currentKeyId).toBe('main');
  });

  it.each([
    ['a short key', `k1:${randomBytes(16).toString('base64')}`, 'has 16 bytes'],
    ['a duplicate id', `k1:${K1},k1:${K2}`, 'listed twice'],
    ['an entry without an id among several', `k1:${K1},${K2}`, 'has no key id'],
    ['text that is not base64', 'k1:not base64!', 'is not base64'],
  ])('refuses %s without echoing key material', (_case, spec, says) => {
    let error: unknown;
    try {
      parseKeyring(spec);
    } catch (err: unknown) {
      error = err;
    }
    expect(error).toBeInstanceOf(SecretKeyringError);
    expect((error as Error).message).toContain(says);
    expect((error as Error).message).not.toContain(K1);
    expect((error as Error).message).not.toContain(K2);
  });

  it('shows only key ids when printed or serialised', () => {
    const keyring = parseKeyring(`k2:${K2},k1:${K1}`);
    for (const shown of [JSON.stringify({ keyring }), inspect({ keyring }), String(inspect(keyring))]) {
      expect(shown).toContain('k2');
      expect(shown).not.toContain(K1);
      expect(shown).not.toContain(K2);
    }
  });
});
