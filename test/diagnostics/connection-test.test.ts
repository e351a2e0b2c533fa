// The connection test against the simulator: a clean setup passes every step, and each setup
// mistake fails (or warns) at its step with the reason and the setup step that fixes it.
import { randomBytes } from 'node:crypto';
import { encryptSecret } from '../../src/secrets/encrypted-secret';
import { parseKeyring } from '../../src/secrets/secret-keyring';
import { encryptSecretV1 } from '../support/legacy-secrets';
import { startGraphSimulator, type GraphSimulator } from '../../tools/graph-simulator/graph-simulator';
import {
  APPS,
  MAILBOXES,
  SECRET,
  accountDocument,
  diagnosticsFixture,
  statuses,
  stepOf,
  verifyAgainst,
  withAccount,
  type DiagnosticsFixture,
} from './diagnostics-kit';

const DAY = 24 * 3600_000;
const CLIENT_SECRET = { accountId: 'acc-1', setting: 'account.clientSecret' } as const;
const keyring = parseKeyring(`k2:${randomBytes(32).toString('base64')},k1:${randomBytes(32).toString('base64')}`);
let fixture: DiagnosticsFixture;
let simulator: GraphSimulator;

beforeAll(async () => {
  fixture = await diagnosticsFixture();
  simulator = await startGraphSimulator({ tenants: fixture.tenants });
});
afterAll(() => simulator.close());
beforeEach(() => {
  simulator.reset();
  simulator.setClockSkewSeconds(0);
});

describe('a correct setup', () => {
  it('passes every step and the test message is accepted from the account sender', async () => {
    const report = await verifyAgainst(
      simulator,
      withAccount({ clientSecret: encryptSecret(SECRET, keyring, CLIENT_SECRET), clientSecretExpiresAt: new Date(Date.now() + 200 * DAY) }),
      { keyring, sendTestTo: 'admin@fabrikam.example' },
    );

    expect(statuses(report)).toEqual([
      'settings:ok',
      'secret-at-rest:ok',
      'expiry:ok',
      'token:ok',
      'permissions:ok',
      'send-mode:ok',
      'test-send:ok',
    ]);
    expect(report).toMatchObject({ ok: true, sender: MAILBOXES.info, senderSource: 'account' });
    expect(stepOf(report, 'test-send').graphRequestId).toEqual(expect.any(String));
    expect(simulator.sent).toEqual([expect.objectContaining({ mailbox: MAILBOXES.info, appId: APPS.good.clientId })]);
    expect(JSON.stringify(report)).not.toContain(SECRET);
  });

  it('signs in with a certificate the app has uploaded', async () => {
    const { certificate } = fixture;
    const report = await verifyAgainst(
      simulator,
      withAccount({
        ...APPS.certificate,
        clientSecret: undefined,
        certificate: {
          privateKey: encryptSecret(certificate.privateKeyPem, keyring, { accountId: 'acc-1', setting: 'account.certificatePrivateKey' }),
          pem: certificate.certificatePem,
        },
      }),
      { keyring, sendTestTo: 'admin@fabrikam.example' },
    );

    expect(statuses(report)).toEqual([
      'settings:ok',
      'secret-at-rest:ok',
      'expiry:ok',
      'token:ok',
      'permissions:ok',
      'send-mode:ok',
      'test-send:ok',
    ]);
    expect(stepOf(report, 'settings').reason).toContain(`certificate ${certificate.thumbprintSha256}`);
    expect(stepOf(report, 'secret-at-rest').reason).toContain('Certificate private key is stored encrypted');
    expect(JSON.stringify(report)).not.toContain(certificate.privateKeyPem.split('\n')[1]!);
  });

  it('checks a user with a sender of their own, and explains when the account sender stands in', async () => {
    const documents = {
      accounts: [accountDocument('acc-1')],
      users: [
        { _id: 'u-anna', accountId: 'acc-1', emailProvider: 'microsoft-graph', microsoftGraph: { senderEmail: MAILBOXES.anna } },
        { _id: 'u-bob', accountId: 'acc-1', emailProvider: 'microsoft-graph', microsoftGraph: {} },
      ],
    };
    const anna = await verifyAgainst(simulator, documents, { userId: 'u-anna', sendTestTo: 'admin@fabrikam.example' });
    expect(anna).toMatchObject({ ok: true, sender: MAILBOXES.anna, senderSource: 'user' });
    const bob = await verifyAgainst(simulator, documents, { userId: 'u-bob' });
    expect(stepOf(bob, 'settings')).toMatchObject({ status: 'warning', code: 'UserSenderNotUsed' });
    expect(stepOf(bob, 'settings').reason).toContain('user u-bob has no Sender e-mail');
    expect(stepOf(bob, 'settings').fix).toContain('Setup step 6');
  });

  it("reports a user sender outside the account's allowed sender domains, and that the account sender stands in", async () => {
    const documents = {
      accounts: [accountDocument('acc-1', { allowedSenderDomains: ['contoso.example'] })],
      users: [
        { _id: 'u-eve', accountId: 'acc-1', emailProvider: 'microsoft-graph', microsoftGraph: { senderEmail: 'ceo@fabrikam.example' } },
      ],
    };
    const eve = await verifyAgainst(simulator, documents, { userId: 'u-eve' });
    expect(eve).toMatchObject({ sender: 'info@contoso.example', senderSource: 'account' });
    const settings = stepOf(eve, 'settings');
    expect(settings).toMatchObject({ status: 'warning', code: 'SenderNotAllowed' });
    expect(settings.reason).toContain("outside the account's allowed sender domains (contoso.example)");
    expect(settings.reason).not.toContain('ceo@fabrikam.example');
    expect(settings.fix).toContain('microsoftGraph.allowedSenderDomains');
  });

  it('without --send-test, says what only a test message can show', async () => {
    const report = await verifyAgainst(simulator, withAccount({}));
    expect(stepOf(report, 'test-send')).toMatchObject({ status: 'skipped' });
    expect(stepOf(report, 'test-send').reason).toContain('--send-test <address>');
    expect(simulator.stats.sendMailRequests).toBe(0);
  });
});

describe('secrets at rest and expiry', () => {
  it('warns about a plaintext secret, and still goes on', async () => {
    const report = await verifyAgainst(simulator, withAccount({}), { keyring });
    expect(stepOf(report, 'secret-at-rest')).toMatchObject({ status: 'warning', code: 'SecretNotEncrypted' });
    expect(stepOf(report, 'secret-at-rest').fix).toContain(
      "encryptSecret(value, keys, { accountId: 'acc-1', setting: 'account.clientSecret' })",
    );
    expect(report.ok).toBe(true);
  });

  it('warns about a secret in format v1, which is not bound to its account, and names the command that upgrades it', async () => {
    const report = await verifyAgainst(simulator, withAccount({ clientSecret: encryptSecretV1(SECRET, keyring) }), { keyring });
    expect(stepOf(report, 'secret-at-rest')).toMatchObject({ status: 'warning', code: 'SecretNotBound' });
    expect(stepOf(report, 'secret-at-rest').reason).toContain('format v1, which does not bind it to this account');
    expect(stepOf(report, 'secret-at-rest').fix).toContain('npm run ops -- settings reencrypt');
    expect(report.ok).toBe(true);
  });

  it('fails at the settings step for a secret copied from another account, saying what to do', async () => {
    const copied = encryptSecret(SECRET, keyring, { accountId: 'acc-other', setting: 'account.clientSecret' });
    const report = await verifyAgainst(simulator, withAccount({ clientSecret: copied }), { keyring });
    expect(stepOf(report, 'settings')).toMatchObject({ status: 'failed', code: 'SecretDecryptionFailed' });
    expect(stepOf(report, 'settings').reason).toContain('encrypted for another account or setting');
    expect(stepOf(report, 'settings').fix).toContain('re-enter the secret');
    expect(JSON.stringify(report)).not.toContain(copied);
    expect(simulator.stats.tokenRequests).toBe(0);
  });

  it('warns about a secret under a key that is no longer current', async () => {
    const old = parseKeyring(`k1:${randomBytes(32).toString('base64')}`);
    const both = parseKeyring(`k2:${randomBytes(32).toString('base64')},k1:${Buffer.from(old.keyFor('k1')!).toString('base64')}`);
    const report = await verifyAgainst(simulator, withAccount({ clientSecret: encryptSecret(SECRET, old, CLIENT_SECRET) }), {
      keyring: both,
    });
    expect(stepOf(report, 'secret-at-rest')).toMatchObject({ status: 'warning', code: 'SecretUnderOldKey' });
    expect(stepOf(report, 'secret-at-rest').fix).toContain('npm run ops -- settings reencrypt');
  });

  it('fails at the settings step when the secret cannot be decrypted, naming the key id and skipping the rest', async () => {
    const other = parseKeyring(`k7:${randomBytes(32).toString('base64')}`);
    const report = await verifyAgainst(simulator, withAccount({ clientSecret: encryptSecret(SECRET, other, CLIENT_SECRET) }), { keyring });
    expect(statuses(report)).toEqual([
      'settings:failed',
      'secret-at-rest:skipped',
      'expiry:skipped',
      'token:skipped',
      'permissions:skipped',
      'send-mode:skipped',
      'test-send:skipped',
    ]);
    expect(stepOf(report, 'settings')).toMatchObject({ code: 'SecretKeyUnknown' });
    expect(stepOf(report, 'settings').reason).toContain('encrypted with key id "k7"');
    expect(simulator.stats.tokenRequests).toBe(0);
  });

  it.each([
    ['warns 30 days before the secret expires', 20, 'warning', 'expires in 19 days'],
    ['fails once it has expired', -3, 'failed', 'expired on'],
    ['is quiet while it is far off', 120, 'ok', 'is valid until'],
  ])('%s', async (_case, days, status, says) => {
    const report = await verifyAgainst(simulator, withAccount({ clientSecretExpiresAt: new Date(Date.now() + days * DAY - 60_000) }));
    expect(stepOf(report, 'expiry')).toMatchObject({ status });
    expect(stepOf(report, 'expiry').reason).toContain(says);
  });

  it('asks for the expiry date when none is recorded', async () => {
    const report = await verifyAgainst(simulator, withAccount({}));
    expect(stepOf(report, 'expiry')).toMatchObject({ status: 'skipped' });
    expect(stepOf(report, 'expiry').fix).toContain('Expires column');
  });
});

describe('the token roles', () => {
  it('only warns when Mail.Send is missing from the token (RBAC for Applications grants it without a role)', async () => {
    const report = await verifyAgainst(simulator, withAccount(APPS.delegatedOnly));
    expect(stepOf(report, 'permissions')).toMatchObject({ status: 'warning', code: 'MailSendRoleMissing' });
    expect(stepOf(report, 'permissions').reason).toContain('RBAC for Applications');
    expect(stepOf(report, 'permissions').fix).toContain('Setup step 2');
    expect(report.ok).toBe(true);
  });
});

describe('send mode', () => {
  it('reports direct mode without any draft call', async () => {
    const report = await verifyAgainst(simulator, withAccount({}));
    expect(stepOf(report, 'send-mode')).toMatchObject({ status: 'ok', reason: expect.stringContaining('Send mode direct') });
    expect(simulator.stats.draftRequests).toBe(0);
  });

  it('confirms draft mode by creating a draft and deleting it again', async () => {
    simulator.reset();
    const report = await verifyAgainst(simulator, withAccount({ ...APPS.readWrite, sendMode: 'draft', maxSendSizeMb: 50 }));
    expect(stepOf(report, 'send-mode')).toMatchObject({
      status: 'ok',
      reason: expect.stringMatching(/^Send mode draft \(max 50 MB.*holds Mail\.ReadWrite/),
    });
    expect(simulator.stats).toMatchObject({ draftsCreated: 1, draftsDeleted: 1 });
    expect(simulator.items.messages.size).toBe(0);
  });

  it('fails draft mode without Mail.ReadWrite, with the permission and how to scope it', async () => {
    const report = await verifyAgainst(simulator, withAccount({ sendMode: 'auto' }));
    const sendMode = stepOf(report, 'send-mode');
    expect(sendMode).toMatchObject({ status: 'failed', code: 'MailReadWriteMissing' });
    expect(sendMode.procedure).toContain('Application Mail.ReadWrite');
    expect(report.ok).toBe(false);
  });
});
