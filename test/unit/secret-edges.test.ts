// The edges of secrets at rest: what counts as encrypted, the exact stored form, each refusal's words,
// and key lists written in every way the documentation allows.
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import {
  decryptSecret,
  encryptSecret,
  encryptedKeyId,
  isEncryptedSecret,
  secretFormat,
  type SecretLocation,
} from '../../src/secrets/encrypted-secret';
import { SecretKeyring, SecretKeyringError, parseKeyring } from '../../src/secrets/secret-keyring';
import { encryptSecretV1 } from '../support/legacy-secrets';
import { decryptionError } from '../support/secret-errors';

const K1 = randomBytes(32);
const ACC: SecretLocation = { accountId: 'acc-1', setting: 'account.clientSecret' };
const keyring = new SecretKeyring([{ id: 'k1', key: K1 }]);

describe('what counts as an encrypted value', () => {
  it('is decided by the enc: prefix only', () => {
    expect(isEncryptedSecret('enc:anything')).toBe(true);
    expect(isEncryptedSecret('xenc:v2:k1:a:b')).toBe(false);
    expect(isEncryptedSecret('plain secret')).toBe(false);
  });

  it('reads the format and key id of v1 and v2 values, and neither of plaintext or an unknown version', () => {
    expect(secretFormat('enc:v2:k1:a:b')).toBe('v2');
    expect(secretFormat('enc:v1:k1:a:b')).toBe('v1');
    expect(secretFormat('enc:v3:k1:a:b')).toBeUndefined();
    expect(secretFormat('v2:k1:a:b')).toBeUndefined();
    expect(encryptedKeyId('enc:v2:key-7:a:b')).toBe('key-7');
    expect(encryptedKeyId('enc:v3:key-7:a:b')).toBeUndefined();
    expect(encryptedKeyId('plain:v2:key-7')).toBeUndefined();
    expect(encryptedKeyId('enc:v2::a:b')).toBeUndefined();
  });
});

describe('the stored form', () => {
  it('is enc:v2:<key id>:<12-byte iv>:<ciphertext and 16-byte tag>, base64url', () => {
    const stored = encryptSecret('abc', keyring, ACC);
    const [prefix, version, keyId, iv, data, ...rest] = stored.split(':');
    expect([prefix, version, keyId, rest]).toEqual(['enc', 'v2', 'k1', []]);
    expect(Buffer.from(iv!, 'base64url')).toHaveLength(12);
    expect(Buffer.from(data!, 'base64url')).toHaveLength(3 + 16);
    expect(`${iv}${data}`).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('decrypts text with every kind of character, under the key it names', () => {
    const text = 'p@ss:wörd,🙂\n';
    expect(decryptSecret(encryptSecret(text, keyring, ACC), keyring, ACC)).toBe(text);
  });
});

describe('each refusal says what is wrong', () => {
  const stored = () => encryptSecret('abc', keyring, ACC);

  it.each([
    ['an unknown version', 'enc:v7:k1:a:b', 'unsupported-version', 'The value uses encryption format "v7"; this version reads v1 and v2.'],
    ['no version at all', 'enc:', 'unsupported-version', 'The value uses encryption format ""; this version reads v1 and v2.'],
    ['a missing key id', 'enc:v2::a:b', 'malformed', 'The value is not in the form enc:v2:<keyId>:<iv>:<data>.'],
    ['a missing data part', 'enc:v1:k1:a', 'malformed', 'The value is not in the form enc:v1:<keyId>:<iv>:<data>.'],
    ['an extra part', 'enc:v2:k1:a:b:c', 'malformed', 'The value is not in the form enc:v2:<keyId>:<iv>:<data>.'],
  ])('%s', (_case, value, problem, message) => {
    expect(decryptionError(() => decryptSecret(value, keyring, ACC))).toMatchObject({ problem, message });
  });

  it('a value too short to hold an iv and a tag', () => {
    const [, , , iv] = stored().split(':');
    const short = `enc:v2:k1:${iv}:${Buffer.alloc(15).toString('base64url')}`;
    expect(decryptionError(() => decryptSecret(short, keyring, ACC))).toMatchObject({
      problem: 'malformed',
      keyId: 'k1',
      format: 'v2',
      message: 'The value is too short to be an encrypted secret.',
    });
    const shortIv = `enc:v2:k1:${Buffer.alloc(11).toString('base64url')}:${Buffer.alloc(32).toString('base64url')}`;
    expect(decryptionError(() => decryptSecret(shortIv, keyring, ACC)).problem).toBe('malformed');
  });

  it('no keys, or not the key the value names', () => {
    expect(decryptionError(() => decryptSecret(stored(), undefined, ACC))).toMatchObject({
      problem: 'no-keys',
      format: 'v2',
      message: 'The value is encrypted under key "k1" and no key is configured.',
    });
    const other = new SecretKeyring([{ id: 'k2', key: randomBytes(32) }]);
    expect(decryptionError(() => decryptSecret(stored(), other, ACC))).toMatchObject({
      problem: 'unknown-key',
      keyId: 'k1',
      format: 'v2',
      message: 'The value is encrypted under key "k1", which is not configured.',
    });
  });

  it('a wrong key under the right id: v2 names where it was read, v1 does not', () => {
    const wrong = new SecretKeyring([{ id: 'k1', key: randomBytes(32) }]);
    expect(decryptionError(() => decryptSecret(stored(), wrong, ACC)).message).toBe(
      'The value does not decrypt as account acc-1\'s account.clientSecret with key "k1": it was encrypted for another account or setting, ' +
        'the key is not the one it was encrypted with, or the value was altered.',
    );
    const v1 = encryptSecretV1('abc', keyring);
    expect(decryptionError(() => decryptSecret(v1, wrong, ACC))).toMatchObject({
      problem: 'tampered',
      format: 'v1',
      message: 'The value does not decrypt with key "k1": the key is not the one it was encrypted with, or the value was altered.',
    });
  });

  it('an altered tag', () => {
    const value = stored();
    const data = Buffer.from(value.split(':')[4]!, 'base64url');
    data[data.length - 1]! ^= 1;
    const altered = value.split(':').slice(0, 4).concat(data.toString('base64url')).join(':');
    expect(decryptionError(() => decryptSecret(altered, keyring, ACC)).problem).toBe('tampered');
  });
});

describe('key lists', () => {
  it('accept spaces around entries and ids, base64url keys, and a lone key under the default id k1', () => {
    const key = randomBytes(32);
    const ring = parseKeyring(` k2 : ${key.toString('base64url')} , k1:${K1.toString('base64')} ,`);
    expect(ring.toJSON()).toEqual({ currentKeyId: 'k2', keyIds: ['k2', 'k1'] });
    expect(ring.keyFor('k2')).toEqual(key);
    expect(ring.keyFor('k1')).toEqual(K1);
    expect(ring.keyFor('k3')).toBeUndefined();
    expect(parseKeyring(K1.toString('base64')).toJSON()).toEqual({ currentKeyId: 'k1', keyIds: ['k1'] });
  });

  it('encrypt under the first key', () => {
    const ring = parseKeyring(`new:${randomBytes(32).toString('base64')},k1:${K1.toString('base64')}`);
    expect(encryptedKeyId(encryptSecret('abc', ring, ACC))).toBe('new');
  });

  it.each([
    ['nothing', ' , ', 'No key is given.'],
    ['an id with a character outside the pattern', `k.1:${K1.toString('base64')}`, 'Entry 1 does not start with a key id'],
    ['an id longer than 32 characters', `${'k'.repeat(33)}:${K1.toString('base64')}`, 'Entry 1 does not start with a key id'],
    ['a second entry that is not base64', `k1:${K1.toString('base64')},k2:***`, 'Entry 2 (key "k2") is not base64'],
  ])('refuse %s, naming the entry', (_case, spec, says) => {
    expect(() => parseKeyring(spec)).toThrow(SecretKeyringError);
    expect(() => parseKeyring(spec)).toThrow(says);
  });

  it('refuse an empty list and a bad id when built directly', () => {
    expect(() => new SecretKeyring([])).toThrow('At least one encryption key is needed.');
    expect(() => new SecretKeyring([{ id: 'a b', key: K1 }])).toThrow('A key id must be 1-32 letters, digits, - or _.');
    expect(() => new SecretKeyring([{ id: 'k1', key: randomBytes(31) }])).toThrow('Key "k1" has 31 bytes; AES-256 needs 32.');
  });

  it('keep their own copy of each key: changing the caller’s buffer afterwards changes nothing', () => {
    const key = Buffer.from(K1);
    const ring = new SecretKeyring([{ id: 'k1', key }]);
    const value = encryptSecret('abc', ring, ACC);
    key.fill(0);
    expect(decryptSecret(value, ring, ACC)).toBe('abc');
  });

  it('print as their ids only', () => {
    expect(
      inspect(
        new SecretKeyring([
          { id: 'k2', key: K1 },
          { id: 'k1', key: randomBytes(32) },
        ]),
      ),
    ).toBe("SecretKeyring { currentKeyId: 'k2', keyIds: ['k2', 'k1'] }");
  });
});
