// Expiry warnings: days left from the dates the admin recorded (or the certificate itself), and the
// daily check that logs them and keeps the numbers for /metrics.
import { credentialExpiry, describeCredentialExpiry } from '../../src/diagnostics/credential-expiry';
import { checkCredentialExpiry, startCredentialExpiryChecks } from '../../src/diagnostics/expiry-monitor';
import { capturedLogger } from '../support/captured-logger';
import { DEFAULT_DOCUMENT_SHAPE } from '../../src/settings/document-shape';
import { MemorySettingsStore } from '../../src/settings/memory-settings-store';
import { createAppCertificate } from '../../tools/graph-simulator/app-certificates';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const DAY = 24 * 3600_000;
const account = (extra: Record<string, unknown>) => ({ accountId: 'acc-1', clientSecret: 's', ...extra });

describe('credentialExpiry', () => {
  it.each([
    ['31 days ahead is fine', 31 * DAY, 'ok', 31],
    ['29 days ahead warns', 29 * DAY + 3600_000, 'expiring', 29],
    ['an hour ahead still warns, with 0 days left', 3600_000, 'expiring', 0],
    ['a day ago has expired', -DAY, 'expired', -1],
  ])('a client secret expiring %s', (_case, offsetMs, status, daysLeft) => {
    expect(credentialExpiry(account({ clientSecretExpiresAt: new Date(NOW + offsetMs) }), NOW, 30)).toMatchObject({
      accountId: 'acc-1',
      credential: 'client-secret',
      status,
      daysLeft,
    });
  });

  it('says nothing when no date is recorded, and flags one that is not a date', () => {
    expect(credentialExpiry(account({}), NOW)).toBeUndefined();
    expect(credentialExpiry(account({ clientSecretExpiresAt: new Date('soon') }), NOW)).toMatchObject({ status: 'unreadable' });
  });

  it("reads a certificate's expiry from the certificate itself when none is recorded", async () => {
    const cert = await createAppCertificate({ notBefore: new Date(NOW - DAY), notAfter: new Date(NOW + 10 * DAY) });
    expect(credentialExpiry({ accountId: 'acc-1', certificatePrivateKey: 'k', certificatePem: cert.certificatePem }, NOW)).toMatchObject({
      credential: 'certificate',
      status: 'expiring',
      daysLeft: 10,
    });
  });

  it('tells the admin what to renew and where', () => {
    const expiry = credentialExpiry(account({ clientSecretExpiresAt: new Date(NOW + 12 * DAY + 1000) }), NOW)!;
    expect(describeCredentialExpiry(expiry)).toBe(
      'The client secret of account acc-1 expires in 12 days (2025-06-13). Before then, create a new client secret in Entra admin center > ' +
        'App registrations > (your app) > Certificates & secrets, paste its Value as Client secret in Settings > Account > Profile > ' +
        'Microsoft Graph settings and record its new expiry date.',
    );
  });
});

describe('the daily expiry check', () => {
  const documents = () => ({
    accounts: [
      { _id: 'acc-soon', emailProvider: 'microsoft-graph', microsoftGraph: { clientSecret: 's', clientSecretExpiresAt: '2025-06-20' } },
      {
        _id: 'acc-late',
        emailProvider: 'microsoft-graph',
        microsoftGraph: { clientSecret: 's', clientSecretExpiresAt: new Date(NOW + 90 * DAY) },
      },
      { _id: 'acc-gone', emailProvider: 'microsoft-graph', microsoftGraph: { clientSecret: 's', clientSecretExpiresAt: '2025-05-01' } },
      {
        _id: 'acc-broken',
        emailProvider: 'microsoft-graph',
        microsoftGraph: { clientSecret: 'enc:v1:k9:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA' },
      },
      { _id: 'acc-smtp', emailProvider: 'smtp', microsoftGraph: { clientSecretExpiresAt: '2025-06-02' } },
    ],
    users: [],
  });

  it('warns 30 days ahead, errors once expired, and logs an account it cannot read', async () => {
    const { logger, entries } = capturedLogger();
    const settings = new MemorySettingsStore(documents(), DEFAULT_DOCUMENT_SHAPE);
    const expiries = await checkCredentialExpiry({ settings, logger, warningDays: 30, now: () => NOW });

    expect(expiries.map((e) => [e.accountId, e.status])).toEqual([
      ['acc-soon', 'expiring'],
      ['acc-late', 'ok'],
      ['acc-gone', 'expired'],
    ]);
    expect(entries().map((e) => [e.level, e.accountId, e.daysLeft])).toEqual([
      [40, 'acc-soon', 18],
      [50, 'acc-gone', -32],
      [50, 'acc-broken', undefined],
    ]);
    expect(String(entries()[0]!.msg)).toContain('expires in 18 days (2025-06-20)');
    expect(String(entries()[2]!.reason)).toContain('encryption keys');
  });

  it('keeps days left per account for /metrics, and stops cleanly', async () => {
    const { logger } = capturedLogger();
    const checks = startCredentialExpiryChecks({
      settings: new MemorySettingsStore(documents(), DEFAULT_DOCUMENT_SHAPE),
      logger,
      now: () => NOW,
    });
    await checks.checkNow();
    expect(checks.daysLeft()).toEqual([
      { accountId: 'acc-soon', credential: 'client-secret', daysLeft: 18 },
      { accountId: 'acc-late', credential: 'client-secret', daysLeft: 90 },
      { accountId: 'acc-gone', credential: 'client-secret', daysLeft: -32 },
    ]);
    checks.stop();
  });
});
