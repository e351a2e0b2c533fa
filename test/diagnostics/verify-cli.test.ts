// `npm run verify` as a real process: the checklist as text and as JSON, exit codes, and no secret,
// private key or encryption key anywhere in what it prints.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionReport } from '../../src/diagnostics/connection-test';
import { encryptSecret } from '../../src/secrets/encrypted-secret';
import { startGraphSimulator, type GraphSimulator } from '../../tools/graph-simulator/graph-simulator';
import { APPS, MAILBOXES, SECRET, accountDocument, diagnosticsFixture, type DiagnosticsFixture } from './diagnostics-kit';

const VERIFY_ENTRY = join(__dirname, '../../workers/verify.ts');
const KEY = randomBytes(32).toString('base64');
const KEYS = `k1:${KEY}`;
const clientSecretOf = (accountId: string) => ({ accountId, setting: 'account.clientSecret' as const });

let fixture: DiagnosticsFixture;
let simulator: GraphSimulator;
let dir: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function verify(...args: string[]): Promise<Run> {
  return verifyWith({}, ...args);
}

function verifyWith(env: Record<string, string>, ...args: string[]): Promise<Run> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', VERIFY_ENTRY, ...args], {
    env: {
      PATH: process.env.PATH,
      NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS,
      STORE: 'memory',
      SETTINGS_FILE: join(dir, 'settings.json'),
      MS_GRAPH_BASE_URL: simulator.url,
      MS_LOGIN_BASE_URL: simulator.url,
      SETTINGS_ENCRYPTION_KEYS: KEYS,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

function expectNoSecrets(run: Run): void {
  for (const text of [run.stdout, run.stderr]) {
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(fixture.certificate.privateKeyPem.split('\n')[1]!);
  }
}

beforeAll(async () => {
  fixture = await diagnosticsFixture();
  simulator = await startGraphSimulator({ tenants: fixture.tenants });
  dir = await mkdtemp(join(tmpdir(), 'omikai-verify-'));
  const { certificate } = fixture;
  const settings = {
    accounts: [
      accountDocument('acc-1', { clientSecret: encryptSecret(SECRET, KEYS, clientSecretOf('acc-1')), clientSecretExpiresAt: '2999-01-01' }),
      accountDocument('acc-plain', {}),
      accountDocument('acc-blocked', {
        clientSecret: encryptSecret(SECRET, KEYS, clientSecretOf('acc-blocked')),
        senderEmail: MAILBOXES.blocked,
      }),
      accountDocument('acc-cert', {
        ...APPS.certificate,
        clientSecret: undefined,
        certificate: {
          privateKey: encryptSecret(certificate.privateKeyPem, KEYS, { accountId: 'acc-cert', setting: 'account.certificatePrivateKey' }),
          pem: certificate.certificatePem,
        },
      }),
    ],
    users: [],
  };
  await writeFile(join(dir, 'settings.json'), JSON.stringify(settings));
});
afterAll(async () => {
  await simulator.close();
  await rm(dir, { recursive: true, force: true });
});

describe('npm run verify', () => {
  it('prints the checklist and exits 0 when the connection works, test message included', async () => {
    const run = await verify('--account', 'acc-1', '--send-test', 'admin@fabrikam.example');

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Microsoft Graph connection test for account acc-1 (sender info@contoso.example)');
    expect(run.stdout).toContain('[ ok ] Microsoft Entra issues a token');
    expect(run.stdout).toContain('[ ok ] Test message is accepted by Graph');
    expect(run.stdout).toMatch(/Result: OK\n$/);
    expect(simulator.sent.some((m) => m.mailbox === MAILBOXES.info)).toBe(true);
    expectNoSecrets(run);
  });

  it('prints the report as JSON with --json, and nothing else on stdout', async () => {
    const run = await verify('--account', 'acc-cert', '--json');
    const report = JSON.parse(run.stdout) as ConnectionReport;

    expect(run.code).toBe(0);
    expect(report).toMatchObject({ accountId: 'acc-cert', ok: true });
    expect(report.steps.map((s) => [s.step, s.status])).toEqual([
      ['settings', 'ok'],
      ['secret-at-rest', 'ok'],
      ['expiry', 'ok'],
      ['token', 'ok'],
      ['permissions', 'ok'],
      ['send-mode', 'ok'],
      ['test-send', 'skipped'],
    ]);
    expectNoSecrets(run);
  });

  it('exits 1 and shows the blocked mailbox with the PowerShell to allow it', async () => {
    const run = await verify('--account', 'acc-blocked', '--send-test', 'admin@fabrikam.example');

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('[FAIL] Test message is accepted by Graph');
    expect(run.stdout).toContain(`Sender ${MAILBOXES.blocked} is blocked by an Exchange application access policy`);
    expect(run.stdout).toContain('Fix: Setup step 7');
    // The procedure follows the fix, one command per line, so each can be copied whole.
    expect(run.stdout).toMatch(
      new RegExp(
        `\\n {9}  3\\. New-ManagementRoleAssignment -App ${APPS.good.clientId} -Role "Application Mail\\.Send" -CustomResourceScope "Omikai ERP senders"\\n`,
      ),
    );
    expect(run.stdout).toContain('       Steps:\n');
    expect(run.stdout).toMatch(/Result: FAILED \(1 failed\)\n$/);
    expectNoSecrets(run);
  });

  it('warns about a plaintext secret in the checklist and once in the log', async () => {
    const run = await verify('--account', 'acc-plain');

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('[warn] Secret is stored encrypted');
    expect(run.stderr.match(/is stored in plaintext/g)).toHaveLength(1);
    expectNoSecrets(run);
  });

  it('with SETTINGS_REQUIRE_ENCRYPTED=true, fails a plaintext secret at the settings step with the fix, and exits 1', async () => {
    const run = await verifyWith({ SETTINGS_REQUIRE_ENCRYPTED: 'true' }, '--account', 'acc-plain');

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('[FAIL] Settings resolve to a sender and credentials');
    expect(run.stdout).toContain(
      "Account acc-plain's Client secret is stored in plaintext, and SETTINGS_REQUIRE_ENCRYPTED=true refuses it",
    );
    expect(run.stdout).toContain(
      'Fix: Server configuration (environment of the worker and of npm run verify): run npm run ops -- settings reencrypt --encrypt-plaintext',
    );
    expectNoSecrets(run);
  });

  it('exits 2 with the usage when --account is missing', async () => {
    const run = await verify('--json');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Usage: npm run verify -- --account <id>');
  });
});
