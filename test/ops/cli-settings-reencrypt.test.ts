// `ops settings reencrypt`: after a key rotation every stored secret moves to the new key, values of
// format v1 are upgraded to v2, and nothing of the secret reaches the output.
import { randomBytes } from 'node:crypto';
import { encryptSecret } from '../../src/secrets/encrypted-secret';
import { parseKeyring } from '../../src/secrets/secret-keyring';
import { DEFAULT_DOCUMENT_SHAPE } from '../../src/settings/document-shape';
import { MemorySettingsStore } from '../../src/settings/memory-settings-store';
import { encryptSecretV1 } from '../support/legacy-secrets';
import { runCli } from './support/run-cli';

const oldKey = `k1:${randomBytes(32).toString('base64')}`;
const newKey = `k2:${randomBytes(32).toString('base64')}`;
const secret = 'client-secret-Value~rotate-me';

function storeWith(keys: string) {
  const keyring = parseKeyring(keys);
  const account = (id: string, clientSecret: string) => ({
    _id: id,
    emailProvider: 'microsoft-graph',
    microsoftGraph: { tenantId: 't', clientId: 'c', clientSecret, senderEmail: 'info@contoso.example' },
  });
  const store = new MemorySettingsStore(
    {
      accounts: [
        account('acc-old', encryptSecret(secret, parseKeyring(oldKey), { accountId: 'acc-old', setting: 'account.clientSecret' })),
        account('acc-plain', secret),
        account('acc-v1', encryptSecretV1(secret, keyring)),
      ],
      users: [],
    },
    DEFAULT_DOCUMENT_SHAPE,
    { keyring },
  );
  return { store, keyring };
}

describe('ops settings reencrypt', () => {
  it('moves secrets under an old key to the current key, and --dry-run writes nothing', async () => {
    const { store, keyring } = storeWith(`${newKey},${oldKey}`);
    const dry = await runCli(['settings', 'reencrypt', '--dry-run', '--json'], { settingsSecrets: { rewriter: store, keyring } });
    expect(dry.code).toBe(0);
    expect(dry.json()).toMatchObject({ dryRun: true, currentKeyId: 'k2', reencrypted: 1, upgraded: 1, plaintext: 1, written: 0 });

    const run = await runCli(['settings', 'reencrypt'], { settingsSecrets: { rewriter: store, keyring } });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /3 secret\(s\) scanned; 1 moved to key k2, 1 upgraded from format v1 to v2 \(bound to their account\), 0 already current, 1 in plaintext; 2 written/,
    );

    expect((await store.findAccount('acc-old'))?.clientSecret).toBe(secret);
    const again = await runCli(['settings', 'reencrypt', '--json'], { settingsSecrets: { rewriter: store, keyring } });
    expect((await store.findAccount('acc-v1'))?.encryptionFormats).toEqual({ 'account.clientSecret': 'v2' });
    expect(again.json()).toMatchObject({ reencrypted: 0, upgraded: 0, alreadyCurrent: 2 });
    expect(`${run.stdout}${run.stderr}${again.stdout}`).not.toContain(secret);
  });

  it('explains that keys are needed when none are configured', async () => {
    const { store } = storeWith(oldKey);
    const run = await runCli(['settings', 'reencrypt'], { settingsSecrets: { rewriter: store, keyring: undefined } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('SETTINGS_ENCRYPTION_KEYS is not set');
  });
});
