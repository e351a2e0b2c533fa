// Secrets are opened as settings are read: decrypted with the configured keys where they are
// stored, plaintext accepted with a one-time warning (or refused with SETTINGS_REQUIRE_ENCRYPTED),
// and an unreadable value a permanent settings failure.
import { randomBytes } from 'node:crypto';
import { DeliveryError, type Failure } from '@omikai/graph-mailer-client';
import { capturedLogger } from '../support/captured-logger';
import { encryptSecret } from '../../src/secrets/encrypted-secret';
import { parseKeyring } from '../../src/secrets/secret-keyring';
import { encryptSecretV1 } from '../support/legacy-secrets';
import { DEFAULT_DOCUMENT_SHAPE } from '../../src/settings/document-shape';
import { MemorySettingsStore } from '../../src/settings/memory-settings-store';

const KEYS = `k2:${randomBytes(32).toString('base64')},k1:${randomBytes(32).toString('base64')}`;
const keyring = parseKeyring(KEYS);
const SECRET = 'Secret-Value~8Q.abc';
const CLIENT_SECRET_OF = (accountId: string) => ({ accountId, setting: 'account.clientSecret' as const });

function account(id: string, microsoftGraph: Record<string, unknown>) {
  return {
    _id: id,
    emailProvider: 'microsoft-graph',
    microsoftGraph: { tenantId: 't', clientId: 'c', senderEmail: 'info@contoso.example', ...microsoftGraph },
  };
}

async function failureOf(read: Promise<unknown>): Promise<Failure> {
  try {
    await read;
  } catch (err: unknown) {
    if (err instanceof DeliveryError) return err.failure;
    throw err;
  }
  throw new Error('expected a DeliveryError');
}

describe('settings with encrypted secrets', () => {
  it('decrypts the client secret and records the key it was encrypted under', async () => {
    const store = new MemorySettingsStore(
      { accounts: [account('acc-1', { clientSecret: encryptSecret(SECRET, keyring, CLIENT_SECRET_OF('acc-1')) })], users: [] },
      DEFAULT_DOCUMENT_SHAPE,
      { keyring },
    );
    expect(await store.findAccount('acc-1')).toMatchObject({
      clientSecret: SECRET,
      encryptionKeyIds: { 'account.clientSecret': 'k2' },
      encryptionFormats: { 'account.clientSecret': 'v2' },
    });
  });

  it('decrypts a certificate private key the same way', async () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n';
    const store = new MemorySettingsStore(
      {
        accounts: [
          account('acc-1', {
            certificate: { privateKey: encryptSecret(pem, keyring, { accountId: 'acc-1', setting: 'account.certificatePrivateKey' }) },
          }),
        ],
        users: [],
      },
      DEFAULT_DOCUMENT_SHAPE,
      { keyring },
    );
    expect(await store.findAccount('acc-1')).toMatchObject({
      certificatePrivateKey: pem,
      encryptionKeyIds: { 'account.certificatePrivateKey': 'k2' },
    });
  });

  it('accepts a plaintext secret and warns once per account, naming neither the secret nor the key', async () => {
    const { logger, text } = capturedLogger('debug');
    const store = new MemorySettingsStore(
      { accounts: [account('acc-1', { clientSecret: SECRET }), account('acc-2', { clientSecret: SECRET })], users: [] },
      DEFAULT_DOCUMENT_SHAPE,
      { keyring, logger },
    );
    for (let i = 0; i < 3; i += 1) expect((await store.findAccount('acc-1'))?.clientSecret).toBe(SECRET);
    await store.findAccount('acc-2');
    const warnings = text().trim().split('\n');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('Client secret of account acc-1 is stored in plaintext');
    expect(text()).not.toContain(SECRET);
    expect(text()).not.toContain(KEYS.split(',')[0]!.slice(3));
  });

  it.each([
    ['no key is configured', undefined, 'SecretKeyMissing', 'this worker has no encryption keys'],
    [
      'the key id is not configured',
      parseKeyring(`k9:${randomBytes(32).toString('base64')}`),
      'SecretKeyUnknown',
      'not in SETTINGS_ENCRYPTION_KEYS (ids: k9)',
    ],
    [
      'another key sits under the same id',
      parseKeyring(`k2:${randomBytes(32).toString('base64')}`),
      'SecretDecryptionFailed',
      'with key "k2"',
    ],
  ])('fails for good with a settings reason when %s, without quoting the value', async (_case, storeKeys, code, says) => {
    const stored = encryptSecret(SECRET, keyring, CLIENT_SECRET_OF('acc-1'));
    const store = new MemorySettingsStore(
      { accounts: [account('acc-1', { clientSecret: stored })], users: [] },
      DEFAULT_DOCUMENT_SHAPE,
      storeKeys ? { keyring: storeKeys } : {},
    );
    const failure = await failureOf(store.findAccount('acc-1'));
    expect(failure).toMatchObject({ category: 'settings', code });
    expect(failure.reason).toContain("Account acc-1's Client secret");
    expect(failure.reason).toContain(says);
    expect(failure.reason).toMatch(/re-enter (the Client secret|it) in the ERP/);
    // The reason stays short; the record's procedure says where and how.
    expect(failure.procedure).toContain('re-enter the Client secret at Settings > Account > Profile > Microsoft Graph settings');
    expect(failure.procedure).not.toContain(stored);
    expect(failure.reason).not.toContain(stored);
    expect(failure.reason).not.toContain(SECRET);
  });

  it('reads a value of format v1 (earlier versions), and records that it is not bound to the account', async () => {
    const store = new MemorySettingsStore(
      { accounts: [account('acc-1', { clientSecret: encryptSecretV1(SECRET, keyring) })], users: [] },
      DEFAULT_DOCUMENT_SHAPE,
      { keyring },
    );
    expect(await store.findAccount('acc-1')).toMatchObject({ clientSecret: SECRET, encryptionFormats: { 'account.clientSecret': 'v1' } });
  });

  it.each([
    ['copied from another account', () => encryptSecret(SECRET, keyring, CLIENT_SECRET_OF('acc-2'))],
    [
      "copied from the account's certificate key",
      () => encryptSecret(SECRET, keyring, { accountId: 'acc-1', setting: 'account.certificatePrivateKey' }),
    ],
  ])('a value %s fails for good, naming the setting and what to do, without quoting it', async (_case, swapped) => {
    const stored = swapped();
    const store = new MemorySettingsStore({ accounts: [account('acc-1', { clientSecret: stored })], users: [] }, DEFAULT_DOCUMENT_SHAPE, {
      keyring,
    });
    const failure = await failureOf(store.findAccount('acc-1'));
    expect(failure).toMatchObject({ category: 'settings', code: 'SecretDecryptionFailed' });
    expect(failure.reason).toContain("Account acc-1's Client secret does not decrypt with key");
    expect(failure.reason).toContain('encrypted for another account or setting');
    expect(failure.reason).toContain('Fix: re-enter it in the ERP');
    expect(failure.procedure).toContain("encryptSecret(value, keys, { accountId: 'acc-1', setting: 'account.clientSecret' })");
    expect(failure.procedure).toContain('re-enter the Client secret at Settings > Account > Profile > Microsoft Graph settings');
    expect(failure.reason).not.toContain(stored);
    expect(failure.reason).not.toContain(SECRET);
  });

  it('with requireEncrypted, refuses a plaintext secret for good, saying how to encrypt it, without quoting it', async () => {
    const { logger, text } = capturedLogger('debug');
    const store = new MemorySettingsStore(
      {
        accounts: [
          account('acc-plain', { clientSecret: SECRET }),
          account('acc-enc', { clientSecret: encryptSecret(SECRET, keyring, CLIENT_SECRET_OF('acc-enc')) }),
        ],
        users: [],
      },
      DEFAULT_DOCUMENT_SHAPE,
      { keyring, logger, requireEncrypted: true },
    );
    const failure = await failureOf(store.findAccount('acc-plain'));
    expect(failure).toMatchObject({ category: 'settings', code: 'SecretNotEncrypted' });
    expect(failure.reason).toContain(
      "Account acc-plain's Client secret is stored in plaintext, and SETTINGS_REQUIRE_ENCRYPTED=true refuses it",
    );
    expect(failure.reason).toContain('npm run ops -- settings reencrypt --encrypt-plaintext');
    expect(failure.reason).not.toContain(SECRET);
    expect((await store.findAccount('acc-enc'))?.clientSecret).toBe(SECRET);
    expect(text()).not.toContain(SECRET);
  });

  it('lists the accounts that use Microsoft Graph', async () => {
    const store = new MemorySettingsStore(
      { accounts: [account('acc-1', {}), { _id: 'acc-smtp', emailProvider: 'smtp' }], users: [] },
      DEFAULT_DOCUMENT_SHAPE,
    );
    expect(await store.listGraphAccountIds()).toEqual(['acc-1']);
  });
});
