// Secrets at rest: AES-256-GCM values with a key id, bound to their account and setting (v2), key
// rotation, the v1 values of earlier versions, and errors that never show a key or a secret.
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import {
  SecretEncryptionError,
  decryptSecret,
  encryptSecret,
  encryptedKeyId,
  isEncryptedSecret,
  secretFormat,
  type SecretBinding,
  type SecretLocation,
} from '../../src/secrets/encrypted-secret';
import { SecretKeyringError, parseKeyring } from '../../src/secrets/secret-keyring';
import { encryptSecretV1 } from '../support/legacy-secrets';
import { decryptionError } from '../support/secret-errors';

const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
const SECRET = 'Xq8~client-secret-Value.4711';
const ACC_1: SecretLocation = { accountId: 'acc-1', setting: 'account.clientSecret' };

/** Written by encryptSecret() of version 0.1.0 (format v1) under this key; it must stay readable. */
const V1_KEY = Buffer.alloc(32, 0x11).toString('base64');
const V1_VALUE = 'enc:v1:k1:UugieWztNsh54Gpf:xpAmC6VpDVCIal6Af0t8xzI-pM3sY-0CibShunhT4axWrXeMCBU';
const V1_PLAINTEXT = 'legacy-secret-Value~v1';

describe('encryptSecret / decryptSecret', () => {
  it('round-trips any text, and the stored value names its key but not the secret', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: 'grapheme' }), (plaintext) => {
        fc.pre(!plaintext.startsWith('enc:'));
        const stored = encryptSecret(plaintext, `k1:${K1}`, ACC_1);
        expect(decryptSecret(stored, parseKeyring(`k1:${K1}`), ACC_1)).toBe(plaintext);
      }),
      { numRuns: 50 },
    );
    const stored = encryptSecret(SECRET, `k1:${K1}`, ACC_1);
    expect(stored).toMatch(/^enc:v2:k1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/);
    expect(secretFormat(stored)).toBe('v2');
    expect(stored).not.toContain(SECRET);
    expect(isEncryptedSecret(stored)).toBe(true);
    expect(encryptedKeyId(stored)).toBe('k1');
  });

  it('uses a fresh IV each time, so the same secret never encrypts to the same value', () => {
    expect(encryptSecret(SECRET, `k1:${K1}`, ACC_1)).not.toBe(encryptSecret(SECRET, `k1:${K1}`, ACC_1));
  });

  it('encrypts under the first key and still decrypts values under the older ones', () => {
    const old = encryptSecret(SECRET, `k1:${K1}`, ACC_1);
    const rotated = parseKeyring(`k2:${K2},k1:${K1}`);
    expect(encryptedKeyId(encryptSecret(SECRET, rotated, ACC_1))).toBe('k2');
    expect(decryptSecret(old, rotated, ACC_1)).toBe(SECRET);
  });

  it('names an unknown key id, without quoting the value', () => {
    const stored = encryptSecret(SECRET, `k1:${K1}`, ACC_1);
    const err = decryptionError(() => decryptSecret(stored, parseKeyring(`k2:${K2}`), ACC_1));
    expect(err).toMatchObject({ problem: 'unknown-key', keyId: 'k1' });
    expect(err.message).not.toContain(stored);
  });

  it('detects a wrong key under the right id and an altered value', () => {
    const stored = encryptSecret(SECRET, `k1:${K1}`, ACC_1);
    expect(decryptionError(() => decryptSecret(stored, parseKeyring(`k1:${K2}`), ACC_1)).problem).toBe('tampered');
    const data = stored.split(':')[4]!;
    const altered = stored.replace(data, `${data[0] === 'A' ? 'B' : 'A'}${data.slice(1)}`);
    expect(decryptionError(() => decryptSecret(altered, parseKeyring(`k1:${K1}`), ACC_1)).problem).toBe('tampered');
  });

  it('binds the ciphertext to its key id: relabelling it under another configured key fails', () => {
    const stored = encryptSecret(SECRET, `k1:${K1}`, ACC_1);
    const relabelled = stored.replace('enc:v2:k1:', 'enc:v2:k2:');
    expect(decryptionError(() => decryptSecret(relabelled, parseKeyring(`k2:${K1}`), ACC_1)).problem).toBe('tampered');
  });

  it('says so when no key is configured, and when the value is not in the format', () => {
    const stored = encryptSecret(SECRET, `k1:${K1}`, ACC_1);
    expect(decryptionError(() => decryptSecret(stored, undefined, ACC_1))).toMatchObject({ problem: 'no-keys', keyId: 'k1' });
    expect(decryptionError(() => decryptSecret('enc:v2:k1:short', parseKeyring(`k1:${K1}`), ACC_1)).problem).toBe('malformed');
    expect(decryptionError(() => decryptSecret('enc:v9:k1:a:b', parseKeyring(`k1:${K1}`), ACC_1)).problem).toBe('unsupported-version');
  });

  it('refuses to encrypt a value twice', () => {
    expect(() => encryptSecret(encryptSecret(SECRET, `k1:${K1}`, ACC_1), `k1:${K1}`, ACC_1)).toThrow('already encrypted');
  });
});

describe('binding to the account and setting (format v2)', () => {
  const keyring = parseKeyring(`k1:${K1}`);

  it.each<[string, SecretLocation]>([
    ['another account', { accountId: 'acc-2', setting: 'account.clientSecret' }],
    ['another setting of the same account', { accountId: 'acc-1', setting: 'account.certificatePrivateKey' }],
  ])('a value copied to %s does not decrypt there', (_case, elsewhere) => {
    const stored = encryptSecret(SECRET, keyring, ACC_1);
    const err = decryptionError(() => decryptSecret(stored, keyring, elsewhere));
    expect(err).toMatchObject({ problem: 'tampered', keyId: 'k1', format: 'v2' });
    expect(err.message).toContain(`account ${elsewhere.accountId}'s ${elsewhere.setting}`);
    expect(err.message).not.toContain(stored);
    expect(decryptSecret(stored, keyring, ACC_1)).toBe(SECRET);
  });

  it('binds an ObjectId account by its hex id, as the settings stores read it', () => {
    const objectId = { toHexString: () => '64b7f0c2a1b2c3d4e5f60799' };
    const stored = encryptSecret(SECRET, keyring, { accountId: objectId, setting: 'account.clientSecret' });
    expect(decryptSecret(stored, keyring, { accountId: '64b7f0c2a1b2c3d4e5f60799', setting: 'account.clientSecret' })).toBe(SECRET);
  });

  it.each([
    ['no binding', undefined, 'needs the account and the setting'],
    ['an empty account id', { accountId: '', setting: 'account.clientSecret' }, 'account id is empty'],
    ['a document path instead of the setting name', { accountId: 'acc-1', setting: 'microsoftGraph.clientSecret' }, 'not a secret setting'],
  ])('refuses to encrypt with %s, saying what to pass', (_case, binding, says) => {
    const encrypt = () => encryptSecret(SECRET, keyring, binding as unknown as SecretBinding);
    expect(encrypt).toThrow(SecretEncryptionError);
    expect(encrypt).toThrow(says);
    expect(encrypt).toThrow("setting: 'account.clientSecret'");
  });

  it('still reads values of format v1, which earlier versions wrote, wherever they are stored', () => {
    const v1Keyring = parseKeyring(`k1:${V1_KEY}`);
    expect(secretFormat(V1_VALUE)).toBe('v1');
    expect(encryptedKeyId(V1_VALUE)).toBe('k1');
    expect(decryptSecret(V1_VALUE, v1Keyring, ACC_1)).toBe(V1_PLAINTEXT);
    expect(decryptSecret(V1_VALUE, v1Keyring, { accountId: 'acc-2', setting: 'account.certificatePrivateKey' })).toBe(V1_PLAINTEXT);
    // The test helper writes exactly that format.
    expect(decryptSecret(encryptSecretV1(V1_PLAINTEXT, v1Keyring), v1Keyring, ACC_1)).toBe(V1_PLAINTEXT);
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
