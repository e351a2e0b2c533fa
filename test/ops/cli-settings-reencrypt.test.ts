// `ops settings reencrypt`: after a key rotation every stored secret moves to the new key, and
// nothing of the secret reaches the output.
import { randomBytes } from 'node:crypto';
import { encryptSecret } from '../../src/secrets/encrypted-secret';
import { parseKeyring } from '../../src/secrets/secret-keyring';
import { DEFAULT_DOCUMENT_SHAPE } from '../../src/settings/document-shape';
import { MemorySettingsStore } from '../../src/settings/memory-settings-store';
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
    { accounts: [account('acc-old', encryptSecret(secret, parseKeyring(oldKey))), account('acc-plain', secret)], users: [] },
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
    expect(dry.json()).toMatchObject({ dryRun: true, currentKeyId: 'k2', reencrypted: 1, plaintext: 1, written: 0 });

    const run = await runCli(['settings', 'reencrypt'], { settingsSecrets: { rewriter: store, keyring } });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/2 secret\(s\) scanned; 1 moved to key k2, 0 already on it, 1 in plaintext; 1 written/);

    expect((await store.findAccount('acc-old'))?.clientSecret).toBe(secret);
    const again = await runCli(['settings', 'reencrypt', '--json'], { settingsSecrets: { rewriter: store, keyring } });
    expect(again.json()).toMatchObject({ reencrypted: 0, alreadyCurrent: 1 });
    expect(`${run.stdout}${run.stderr}${again.stdout}`).not.toContain(secret);
  });

  it('explains that keys are needed when none are configured', async () => {
    const { store } = storeWith(oldKey);
    const run = await runCli(['settings', 'reencrypt'], { settingsSecrets: { rewriter: store, keyring: undefined } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('SETTINGS_ENCRYPTION_KEYS is not set');
  });
});
