// What every settings store does for secrets at rest: lists Graph accounts for the expiry check,
// and rewrites secrets in place for re-encryption without clobbering the ERP's other fields.
import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { DeliveryError } from '../../src/delivery/failure';
import { decryptSecret, encryptSecret, encryptedKeyId } from '../../src/secrets/encrypted-secret';
import { reencryptSettings, type SecretRewriter, type StoredSecret } from '../../src/secrets/reencrypt-settings';
import { parseKeyring } from '../../src/secrets/secret-keyring';
import { DEFAULT_DOCUMENT_SHAPE } from '../../src/settings/document-shape';
import type { SettingsDocuments } from '../../src/settings/memory-settings-store';
import type { GraphAccountLister, SettingsStore } from '../../src/settings/settings-store';
import { describeEachTarget, type StoreTarget } from './store-targets';

const [K1, K2] = [randomBytes(32).toString('base64'), randomBytes(32).toString('base64')];
const OLD = parseKeyring(`k1:${K1}`);
const ROTATED = parseKeyring(`k2:${K2},k1:${K1}`);
const OBJECT_ID_ACCOUNT = '64b7f0c2a1b2c3d4e5f60799';

function documents(): SettingsDocuments {
  const graph = (extra: Record<string, unknown>) => ({
    emailProvider: 'microsoft-graph',
    name: 'kept as it is',
    microsoftGraph: { tenantId: 't', clientId: 'c', senderEmail: 'info@contoso.example', ...extra },
  });
  return {
    accounts: [
      { _id: 'acc-secret', ...graph({ clientSecret: encryptSecret('secret-1', OLD) }) },
      {
        _id: new Types.ObjectId(OBJECT_ID_ACCOUNT),
        ...graph({ certificate: { privateKey: encryptSecret('PEM-2', OLD), thumbprintSha256: 'AB' } }),
      },
      { _id: 'acc-plain', ...graph({ clientSecret: 'secret-3' }) },
      { _id: 'acc-smtp', emailProvider: 'smtp', microsoftGraph: { clientSecret: encryptSecret('secret-4', OLD) } },
    ],
    users: [],
  };
}

type MaintainedStore = SettingsStore & GraphAccountLister & SecretRewriter;

async function maintainedStore(target: StoreTarget): Promise<MaintainedStore> {
  const store = (await target.settingsStore(documents(), DEFAULT_DOCUMENT_SHAPE)) as Partial<MaintainedStore> & SettingsStore;
  if (typeof store.listGraphAccountIds !== 'function' || typeof store.rewriteAccountSecrets !== 'function') {
    throw new Error(`the ${target.name} settings store lacks listGraphAccountIds or rewriteAccountSecrets`);
  }
  return store as MaintainedStore;
}

/** The stored values, read through the rewriter without changing anything. */
async function storedSecrets(store: SecretRewriter): Promise<StoredSecret[]> {
  const seen: StoredSecret[] = [];
  await store.rewriteAccountSecrets((secret) => {
    seen.push(secret);
    return undefined;
  });
  return seen.sort((a, b) => a.accountId.localeCompare(b.accountId));
}

describeEachTarget('settings store secrets contract', (target) => {
  test('lists the accounts whose e-mail provider is Microsoft Graph, ObjectIds as hex', async () => {
    const store = await maintainedStore(target);
    expect((await store.listGraphAccountIds()).sort()).toEqual([OBJECT_ID_ACCOUNT, 'acc-plain', 'acc-secret'].sort());
  });

  test('lists an account whose provider has spaces around it, as the send path reads it, and one with a numeric _id', async () => {
    const graph = { tenantId: 't', clientId: 'c', senderEmail: 'info@contoso.example' };
    const store = (await target.settingsStore(
      {
        accounts: [
          { _id: 'acc-spaced', emailProvider: 'microsoft-graph ', microsoftGraph: graph },
          { _id: 'acc-tab', emailProvider: '\tmicrosoft-graph', microsoftGraph: graph },
          { _id: 42, emailProvider: 'microsoft-graph', microsoftGraph: graph },
          { _id: 'acc-other', emailProvider: 'microsoft-graph-legacy', microsoftGraph: graph },
          { _id: 'acc-none', microsoftGraph: graph },
        ],
        users: [],
      },
      DEFAULT_DOCUMENT_SHAPE,
    )) as SettingsStore & GraphAccountLister;

    expect((await store.listGraphAccountIds()).sort()).toEqual(['42', 'acc-spaced', 'acc-tab']);
    // The send path (findAccount, then resolveSender) agrees: the provider reads as Microsoft Graph.
    expect((await store.findAccount('acc-spaced'))?.emailProvider).toBe('microsoft-graph');
  });

  test('shows every stored secret of every account to the rewriter', async () => {
    const store = await maintainedStore(target);
    expect((await storedSecrets(store)).map(({ accountId, setting }) => `${accountId} ${setting}`)).toEqual([
      `${OBJECT_ID_ACCOUNT} account.certificatePrivateKey`,
      'acc-plain account.clientSecret',
      'acc-secret account.clientSecret',
      'acc-smtp account.clientSecret',
    ]);
  });

  test('re-encryption moves secrets to the current key in place and keeps the other fields', async () => {
    const store = await maintainedStore(target);
    const report = await reencryptSettings(store, { keyring: ROTATED });

    expect(report).toMatchObject({ scanned: 4, reencrypted: 3, plaintext: 1, written: 3, conflicts: 0, failed: [] });
    const after = await storedSecrets(store);
    expect(after.map((s) => encryptedKeyId(s.value) ?? 'plaintext')).toEqual(['k2', 'plaintext', 'k2', 'k2']);
    expect(after.map((s) => (encryptedKeyId(s.value) ? decryptSecret(s.value, parseKeyring(`k2:${K2}`)) : s.value))).toEqual([
      'PEM-2',
      'secret-3',
      'secret-1',
      'secret-4',
    ]);
    // Only the secret paths were set: the documents still read as the same Graph accounts.
    expect((await store.listGraphAccountIds()).sort()).toEqual([OBJECT_ID_ACCOUNT, 'acc-plain', 'acc-secret'].sort());
  });

  test('a dry run writes nothing', async () => {
    const store = await maintainedStore(target);
    const before = await storedSecrets(store);
    expect(await reencryptSettings(store, { keyring: ROTATED, dryRun: true })).toMatchObject({ reencrypted: 3, written: 0 });
    expect(await storedSecrets(store)).toEqual(before);
  });

  test('without keys, reading an encrypted secret is a settings failure that names the key id', async () => {
    const store = await maintainedStore(target);
    await expect(store.findAccount('acc-secret')).rejects.toThrow(DeliveryError);
    await expect(store.findAccount('acc-secret')).rejects.toMatchObject({ failure: { category: 'settings', code: 'SecretKeyMissing' } });
    expect((await store.findAccount('acc-plain'))?.clientSecret).toBe('secret-3');
  });
});
