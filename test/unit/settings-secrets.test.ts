// Secrets are opened as settings are read: decrypted with the configured keys, plaintext still
// accepted with a one-time warning, and an unreadable value a permanent settings failure.
import { randomBytes } from 'node:crypto';
import { DeliveryError, type Failure } from '../../src/delivery/failure';
import { capturedLogger } from '../support/captured-logger';
import { encryptSecret } from '../../src/secrets/encrypted-secret';
import { parseKeyring } from '../../src/secrets/secret-keyring';
import { DEFAULT_DOCUMENT_SHAPE } from '../../src/settings/document-shape';
import { MemorySettingsStore } from '../../src/settings/memory-settings-store';

const KEYS = `k2:${randomBytes(32).toString('base64')},k1:${randomBytes(32).toString('base64')}`;
const keyring = parseKeyring(KEYS);
const SECRET = 'Secret-Value~8Q.abc';

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
      { accounts: [account('acc-1', { clientSecret: encryptSecret(SECRET, keyring) })], users: [] },
      DEFAULT_DOCUMENT_SHAPE,
      { keyring },
    );
    expect(await store.findAccount('acc-1')).toMatchObject({ clientSecret: SECRET, encryptionKeyIds: { 'account.clientSecret': 'k2' } });
  });

  it('decrypts a certificate private key the same way', async () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n';
    const store = new MemorySettingsStore(
      { accounts: [account('acc-1', { certificate: { privateKey: encryptSecret(pem, keyring) } })], users: [] },
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
      'does not decrypt with key "k2"',
    ],
  ])('fails for good with a settings reason when %s, without quoting the value', async (_case, storeKeys, code, says) => {
    const stored = encryptSecret(SECRET, keyring);
    const store = new MemorySettingsStore(
      { accounts: [account('acc-1', { clientSecret: stored })], users: [] },
      DEFAULT_DOCUMENT_SHAPE,
      storeKeys ? { keyring: storeKeys } : {},
    );
    const failure = await failureOf(store.findAccount('acc-1'));
    expect(failure).toMatchObject({ category: 'settings', code });
    expect(failure.reason).toContain("Account acc-1's Client secret");
    expect(failure.reason).toContain(says);
    expect(failure.reason).toContain('re-enter the Client secret at Settings > Account > Profile > Microsoft Graph settings');
    expect(failure.reason).not.toContain(stored);
    expect(failure.reason).not.toContain(SECRET);
  });

  it('lists the accounts that use Microsoft Graph', async () => {
    const store = new MemorySettingsStore(
      { accounts: [account('acc-1', {}), { _id: 'acc-smtp', emailProvider: 'smtp' }], users: [] },
      DEFAULT_DOCUMENT_SHAPE,
    );
    expect(await store.listGraphAccountIds()).toEqual(['acc-1']);
  });
});
