// Re-encryption after a key rotation, against the memory store: counts, dry run, plaintext, v1
// upgrades, failures.
import { randomBytes } from 'node:crypto';
import { encryptSecret, encryptedKeyId } from '../../src/secrets/encrypted-secret';
import { reencryptSettings } from '../../src/secrets/reencrypt-settings';
import { parseKeyring } from '../../src/secrets/secret-keyring';
import { DEFAULT_DOCUMENT_SHAPE } from '../../src/settings/document-shape';
import { MemorySettingsStore } from '../../src/settings/memory-settings-store';
import { encryptSecretV1 } from '../support/legacy-secrets';

const [K0, K1, K2] = [0, 1, 2].map(() => randomBytes(32).toString('base64'));
const OLD = parseKeyring(`k1:${K1}`);
const STRAY = parseKeyring(`k0:${K0}`);
/** After the rotation: k2 is new and current, k1 is kept to decrypt what it encrypted. */
const rotatedKeyring = () => parseKeyring(`k2:${K2},k1:${K1}`);

function documents() {
  const graph = (extra: Record<string, unknown>) => ({
    emailProvider: 'microsoft-graph',
    microsoftGraph: { tenantId: 't', clientId: 'c', senderEmail: 'info@contoso.example', ...extra },
  });
  return {
    accounts: [
      { _id: 'acc-old', ...graph({ clientSecret: encryptSecretV1('secret-old', OLD) }) },
      {
        _id: 'acc-cert',
        ...graph({
          certificate: { privateKey: encryptSecret('PEM-old', OLD, { accountId: 'acc-cert', setting: 'account.certificatePrivateKey' }) },
        }),
      },
      { _id: 'acc-plain', ...graph({ clientSecret: 'secret-plain' }) },
      {
        _id: 'acc-lost',
        ...graph({ clientSecret: encryptSecret('secret-lost', STRAY, { accountId: 'acc-lost', setting: 'account.clientSecret' }) }),
      },
      { _id: 'acc-none', ...graph({}) },
    ],
    users: [],
  };
}

describe('reencryptSettings', () => {
  it('moves every encrypted secret to the current key, leaving plaintext and undecryptable values alone', async () => {
    const keyring = rotatedKeyring();
    const store = new MemorySettingsStore(documents(), DEFAULT_DOCUMENT_SHAPE, { keyring });
    const report = await reencryptSettings(store, { keyring });

    expect(report).toEqual({
      dryRun: false,
      currentKeyId: 'k2',
      scanned: 4,
      reencrypted: 2,
      upgraded: 0,
      alreadyCurrent: 0,
      plaintext: 1,
      encryptedPlaintext: 0,
      written: 2,
      conflicts: 0,
      failed: [{ accountId: 'acc-lost', setting: 'account.clientSecret', keyId: 'k0', problem: expect.stringContaining('"k0"') }],
    });
    expect(await store.findAccount('acc-old')).toMatchObject({
      clientSecret: 'secret-old',
      encryptionKeyIds: { 'account.clientSecret': 'k2' },
      encryptionFormats: { 'account.clientSecret': 'v2' },
    });
    expect(await store.findAccount('acc-cert')).toMatchObject({ certificatePrivateKey: 'PEM-old' });
  });

  it('afterwards the old key can be retired: the moved secrets read with the new key alone', async () => {
    const docs = documents();
    await reencryptSettings(new MemorySettingsStore(docs, DEFAULT_DOCUMENT_SHAPE), { keyring: rotatedKeyring() });
    const withoutOldKey = new MemorySettingsStore(docs, DEFAULT_DOCUMENT_SHAPE, { keyring: parseKeyring(`k2:${K2}`) });
    expect((await withoutOldKey.findAccount('acc-old'))?.clientSecret).toBe('secret-old');
    expect((await withoutOldKey.findAccount('acc-cert'))?.certificatePrivateKey).toBe('PEM-old');
  });

  it('a second run finds nothing left to move', async () => {
    const keyring = rotatedKeyring();
    const store = new MemorySettingsStore(documents(), DEFAULT_DOCUMENT_SHAPE, { keyring });
    await reencryptSettings(store, { keyring });
    expect(await reencryptSettings(store, { keyring })).toMatchObject({ reencrypted: 0, alreadyCurrent: 2, written: 0 });
  });

  it('upgrades a v1 value under the current key to v2, and checks current values where they are stored', async () => {
    const keyring = rotatedKeyring();
    const current = encryptSecret('secret-current', keyring, { accountId: 'acc-current', setting: 'account.clientSecret' });
    const docs = {
      accounts: [
        { _id: 'acc-v1', emailProvider: 'microsoft-graph', microsoftGraph: { clientSecret: encryptSecretV1('secret-v1', keyring) } },
        { _id: 'acc-current', emailProvider: 'microsoft-graph', microsoftGraph: { clientSecret: current } },
        { _id: 'acc-copy', emailProvider: 'microsoft-graph', microsoftGraph: { clientSecret: current } },
      ],
      users: [],
    };
    const store = new MemorySettingsStore(docs, DEFAULT_DOCUMENT_SHAPE, { keyring });
    const report = await reencryptSettings(store, { keyring });
    expect(report).toMatchObject({ reencrypted: 0, upgraded: 1, alreadyCurrent: 1, written: 1 });
    expect(report.failed).toEqual([
      {
        accountId: 'acc-copy',
        setting: 'account.clientSecret',
        keyId: 'k2',
        problem: expect.stringContaining('another account or setting'),
      },
    ]);
    expect(await store.findAccount('acc-v1')).toMatchObject({
      clientSecret: 'secret-v1',
      encryptionFormats: { 'account.clientSecret': 'v2' },
    });
  });

  it('in a dry run counts what would move and writes nothing', async () => {
    const keyring = rotatedKeyring();
    const docs = documents();
    const before = JSON.stringify(docs);
    const report = await reencryptSettings(new MemorySettingsStore(docs, DEFAULT_DOCUMENT_SHAPE), {
      keyring,
      dryRun: true,
      encryptPlaintext: true,
    });
    expect(report).toMatchObject({ dryRun: true, reencrypted: 2, encryptedPlaintext: 1, written: 0 });
    expect(JSON.stringify(docs)).toBe(before);
  });

  it('with encryptPlaintext also encrypts plaintext secrets under the current key', async () => {
    const keyring = rotatedKeyring();
    const docs = documents();
    const store = new MemorySettingsStore(docs, DEFAULT_DOCUMENT_SHAPE, { keyring });
    expect(await reencryptSettings(store, { keyring, encryptPlaintext: true })).toMatchObject({ encryptedPlaintext: 1, written: 3 });
    const stored = (docs.accounts[2]!.microsoftGraph as unknown as { clientSecret: string }).clientSecret;
    expect(encryptedKeyId(stored)).toBe('k2');
    expect((await store.findAccount('acc-plain'))?.clientSecret).toBe('secret-plain');
  });

  it('never puts a secret in its report', async () => {
    const keyring = rotatedKeyring();
    const report = JSON.stringify(await reencryptSettings(new MemorySettingsStore(documents(), DEFAULT_DOCUMENT_SHAPE), { keyring }));
    for (const secret of ['secret-old', 'PEM-old', 'secret-plain', 'secret-lost']) expect(report).not.toContain(secret);
  });
});
