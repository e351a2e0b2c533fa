// What every settings store does for secrets at rest: opens each secret as the account it is stored
// in (a value copied from another account does not decrypt), refuses plaintext when asked to, lists
// Graph accounts for the expiry check, and rewrites secrets in place for re-encryption without
// clobbering the ERP's other fields.
import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import { DeliveryError, type Failure } from '@omikai/graph-mailer-client';
import { decryptSecret, encryptSecret, encryptedKeyId, secretFormat } from '../../src/secrets/encrypted-secret';
import { reencryptSettings, type SecretRewriter, type StoredSecret } from '../../src/secrets/reencrypt-settings';
import { parseKeyring } from '../../src/secrets/secret-keyring';
import { DEFAULT_DOCUMENT_SHAPE } from '../../src/settings/document-shape';
import type { SettingsDocuments } from '../../src/settings/memory-settings-store';
import type { SettingsSecretsOptions } from '../../src/settings/settings-secrets';
import type { GraphAccountLister, SettingsStore } from '../../src/settings/settings-store';
import { encryptSecretV1 } from '../support/legacy-secrets';
import { describeEachTarget, type StoreTarget } from './store-targets';

const [K1, K2] = [randomBytes(32).toString('base64'), randomBytes(32).toString('base64')];
const OLD = parseKeyring(`k1:${K1}`);
const NEW_ONLY = parseKeyring(`k2:${K2}`);
const ROTATED = parseKeyring(`k2:${K2},k1:${K1}`);
const OBJECT_ID_ACCOUNT = '64b7f0c2a1b2c3d4e5f60799';
const clientSecretOf = (accountId: string) => ({ accountId, setting: 'account.clientSecret' as const });

const graph = (extra: Record<string, unknown>) => ({
  emailProvider: 'microsoft-graph',
  name: 'kept as it is',
  microsoftGraph: { tenantId: 't', clientId: 'c', senderEmail: 'info@contoso.example', ...extra },
});

/** Written before v2: acc-legacy (v1, old key) and acc-v1-current (v1, current key). */
function documents(): SettingsDocuments {
  return {
    accounts: [
      { _id: 'acc-legacy', ...graph({ clientSecret: encryptSecretV1('secret-1', OLD) }) },
      {
        _id: new Types.ObjectId(OBJECT_ID_ACCOUNT),
        ...graph({
          certificate: {
            privateKey: encryptSecret('PEM-2', OLD, {
              accountId: new Types.ObjectId(OBJECT_ID_ACCOUNT),
              setting: 'account.certificatePrivateKey',
            }),
            thumbprintSha256: 'AB',
          },
        }),
      },
      { _id: 'acc-plain', ...graph({ clientSecret: 'secret-3' }) },
      {
        _id: 'acc-smtp',
        emailProvider: 'smtp',
        microsoftGraph: { clientSecret: encryptSecret('secret-4', OLD, clientSecretOf('acc-smtp')) },
      },
      { _id: 'acc-v1-current', ...graph({ clientSecret: encryptSecretV1('secret-5', NEW_ONLY) }) },
      // acc-smtp's secret, copied here by someone who can write the settings.
      { _id: 'acc-copied', ...graph({ clientSecret: encryptSecret('secret-4', NEW_ONLY, clientSecretOf('acc-smtp')) }) },
    ],
    users: [],
  };
}

type MaintainedStore = SettingsStore & GraphAccountLister & SecretRewriter;

async function maintainedStore(
  target: StoreTarget,
  secrets: SettingsSecretsOptions = {},
  docs: SettingsDocuments = documents(),
): Promise<MaintainedStore> {
  const store = (await target.settingsStore(docs, DEFAULT_DOCUMENT_SHAPE, secrets)) as Partial<MaintainedStore> & SettingsStore;
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

async function failureOf(read: Promise<unknown>): Promise<Failure> {
  try {
    await read;
  } catch (err: unknown) {
    if (err instanceof DeliveryError) return err.failure;
    throw err;
  }
  throw new Error('expected a DeliveryError');
}

const GRAPH_ACCOUNTS = [OBJECT_ID_ACCOUNT, 'acc-copied', 'acc-legacy', 'acc-plain', 'acc-v1-current'].sort();

describeEachTarget('settings store secrets contract', (target) => {
  test('lists the accounts whose e-mail provider is Microsoft Graph, ObjectIds as hex', async () => {
    const store = await maintainedStore(target);
    expect((await store.listGraphAccountIds()).sort()).toEqual(GRAPH_ACCOUNTS);
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

  test('shows every stored secret of every account to the rewriter, ObjectIds as hex', async () => {
    const store = await maintainedStore(target);
    expect((await storedSecrets(store)).map(({ accountId, setting }) => `${accountId} ${setting}`)).toEqual([
      `${OBJECT_ID_ACCOUNT} account.certificatePrivateKey`,
      'acc-copied account.clientSecret',
      'acc-legacy account.clientSecret',
      'acc-plain account.clientSecret',
      'acc-smtp account.clientSecret',
      'acc-v1-current account.clientSecret',
    ]);
  });

  test('opens v2 secrets as the account they are stored in (an ObjectId account by its hex id) and v1 secrets anywhere', async () => {
    const store = await maintainedStore(target, { keyring: ROTATED });
    expect(await store.findAccount(OBJECT_ID_ACCOUNT)).toMatchObject({
      certificatePrivateKey: 'PEM-2',
      encryptionKeyIds: { 'account.certificatePrivateKey': 'k1' },
      encryptionFormats: { 'account.certificatePrivateKey': 'v2' },
    });
    expect(await store.findAccount('acc-legacy')).toMatchObject({
      clientSecret: 'secret-1',
      encryptionFormats: { 'account.clientSecret': 'v1' },
    });
  });

  test('a v2 secret copied from another account fails with a settings reason naming the setting, never the value', async () => {
    const store = await maintainedStore(target, { keyring: ROTATED });
    const failure = await failureOf(store.findAccount('acc-copied'));
    expect(failure).toMatchObject({ category: 'settings', code: 'SecretDecryptionFailed' });
    expect(failure.reason).toContain("Account acc-copied's Client secret does not decrypt with key");
    expect(failure.procedure).toContain("setting: 'account.clientSecret'");
    expect(failure.procedure).not.toContain('secret-4');
    expect(failure.reason).not.toContain('secret-4');
    const [copied] = (await storedSecrets(store)).filter((s) => s.accountId === 'acc-copied');
    expect(failure.reason).not.toContain(copied!.value);
  });

  test('with requireEncrypted, a plaintext secret fails with a settings reason; encrypted ones still open', async () => {
    const store = await maintainedStore(target, { keyring: ROTATED, requireEncrypted: true });
    expect(await failureOf(store.findAccount('acc-plain'))).toMatchObject({ category: 'settings', code: 'SecretNotEncrypted' });
    expect((await store.findAccount('acc-legacy'))?.clientSecret).toBe('secret-1');
  });

  test('re-encryption moves secrets to the current key as v2, upgrades v1 ones, reports copied ones, and keeps the other fields', async () => {
    const store = await maintainedStore(target);
    const report = await reencryptSettings(store, { keyring: ROTATED });

    expect(report).toMatchObject({ scanned: 6, reencrypted: 3, upgraded: 1, alreadyCurrent: 0, plaintext: 1, written: 4, conflicts: 0 });
    expect(report.failed).toEqual([expect.objectContaining({ accountId: 'acc-copied', setting: 'account.clientSecret', keyId: 'k2' })]);
    const after = await storedSecrets(store);
    expect(after.map((s) => `${s.accountId} ${encryptedKeyId(s.value) ?? 'plaintext'} ${secretFormat(s.value) ?? '-'}`)).toEqual([
      `${OBJECT_ID_ACCOUNT} k2 v2`,
      'acc-copied k2 v2',
      'acc-legacy k2 v2',
      'acc-plain plaintext -',
      'acc-smtp k2 v2',
      'acc-v1-current k2 v2',
    ]);
    const readable = after.filter((s) => s.accountId !== 'acc-copied');
    expect(readable.map((s) => (encryptedKeyId(s.value) ? decryptSecret(s.value, NEW_ONLY, s) : s.value))).toEqual([
      'PEM-2',
      'secret-1',
      'secret-3',
      'secret-4',
      'secret-5',
    ]);
    // Only the secret paths were set: the documents still read as the same Graph accounts.
    expect((await store.listGraphAccountIds()).sort()).toEqual(GRAPH_ACCOUNTS);
  });

  test('a v1 value copied to another account decrypts there; once re-encrypted as v2, the copy no longer does', async () => {
    const legacy = encryptSecretV1('secret-1', NEW_ONLY);
    const withCopy = (value: string): SettingsDocuments => ({
      accounts: [
        { _id: 'acc-victim', ...graph({ clientSecret: value }) },
        { _id: 'acc-thief', ...graph({ clientSecret: value }) },
      ],
      users: [],
    });
    const before = await maintainedStore(target, { keyring: NEW_ONLY }, withCopy(legacy));
    expect((await before.findAccount('acc-thief'))?.clientSecret).toBe('secret-1');

    const victimOnly = await maintainedStore(
      target,
      {},
      { accounts: [{ _id: 'acc-victim', ...graph({ clientSecret: legacy }) }], users: [] },
    );
    expect(await reencryptSettings(victimOnly, { keyring: NEW_ONLY })).toMatchObject({ upgraded: 1, written: 1 });
    const [upgraded] = await storedSecrets(victimOnly);

    const after = await maintainedStore(target, { keyring: NEW_ONLY }, withCopy(upgraded!.value));
    expect((await after.findAccount('acc-victim'))?.clientSecret).toBe('secret-1');
    expect(await failureOf(after.findAccount('acc-thief'))).toMatchObject({ category: 'settings', code: 'SecretDecryptionFailed' });
  });

  test('a dry run writes nothing', async () => {
    const store = await maintainedStore(target);
    const before = await storedSecrets(store);
    expect(await reencryptSettings(store, { keyring: ROTATED, dryRun: true })).toMatchObject({ reencrypted: 3, upgraded: 1, written: 0 });
    expect(await storedSecrets(store)).toEqual(before);
  });

  test('without keys, reading an encrypted secret is a settings failure that names the key id', async () => {
    const store = await maintainedStore(target);
    await expect(store.findAccount('acc-legacy')).rejects.toThrow(DeliveryError);
    await expect(store.findAccount('acc-legacy')).rejects.toMatchObject({ failure: { category: 'settings', code: 'SecretKeyMissing' } });
    expect((await store.findAccount('acc-plain'))?.clientSecret).toBe('secret-3');
  });
});
