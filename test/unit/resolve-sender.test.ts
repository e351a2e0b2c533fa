import { resolveSender, type ResolveSenderInput } from '../../src/settings/resolve-sender';
import { DeliveryError } from '@omikai/graph-mailer-client';
import { EMAIL_ADDRESS_PATTERN, isEmailAddress } from '../../src/settings/email-address';
import type { AccountSettings } from '../../src/settings/settings-store';
import { createAppCertificate, type AppCertificate } from '../../tools/graph-simulator/app-certificates';

const account: AccountSettings = {
  accountId: 'acc-1',
  emailProvider: 'microsoft-graph',
  tenantId: 'tenant',
  clientId: 'client',
  clientSecret: 'secret',
  senderEmail: 'info@contoso.example',
};
const base: ResolveSenderInput = { accountId: 'acc-1', account, user: null, graphProviderValue: 'microsoft-graph' };

function failureOf(input: ResolveSenderInput) {
  try {
    resolveSender(input);
  } catch (err: unknown) {
    if (err instanceof DeliveryError) return err.failure;
    throw err;
  }
  throw new Error('resolveSender did not throw');
}

describe('resolveSender', () => {
  it('sends as the account with the account credentials when no user is named', () => {
    expect(resolveSender(base)).toEqual({
      sender: 'info@contoso.example',
      senderSource: 'account',
      credentials: { tenantId: 'tenant', clientId: 'client', clientSecret: 'secret' },
    });
  });

  it("sends as the user with the account's credentials when the user uses Microsoft Graph with a sender", () => {
    const route = resolveSender({
      ...base,
      userId: 'u-1',
      user: { userId: 'u-1', accountId: 'acc-1', emailProvider: 'microsoft-graph', senderEmail: 'anna@contoso.example' },
    });
    expect(route).toMatchObject({ sender: 'anna@contoso.example', senderSource: 'user', credentials: { clientId: 'client' } });
  });

  it.each([
    ['the user is unknown', null, 'user u-1 was not found'],
    [
      'the user uses another provider',
      { userId: 'u-1', emailProvider: 'smtp', senderEmail: 'anna@contoso.example' },
      'does not use Microsoft Graph',
    ],
    ['the user has no sender e-mail', { userId: 'u-1', emailProvider: 'microsoft-graph' }, 'has no Sender e-mail'],
  ])('falls back to the account when %s, and says why', (_case, user, why) => {
    const route = resolveSender({ ...base, userId: 'u-1', user });
    expect(route.sender).toBe('info@contoso.example');
    expect(route.senderSource).toBe('account');
    expect(route.fallbackReason).toContain(why);
  });

  it('refuses an unknown account', () => {
    expect(failureOf({ ...base, account: null })).toMatchObject({ category: 'settings', code: 'AccountNotFound' });
  });

  it('refuses an account whose provider is not Microsoft Graph and says where to change it', () => {
    const failure = failureOf({ ...base, account: { ...account, emailProvider: 'smtp' } });
    expect(failure.reason).toContain('E-mail provider is smtp');
    expect(failure.reason).toContain('Settings > Account > Profile');
  });

  it('names every missing setting and where an admin sets it', () => {
    const failure = failureOf({ ...base, account: { ...account, clientSecret: undefined, senderEmail: undefined } });
    expect(failure).toMatchObject({ category: 'settings', code: 'MissingAccountSetting' });
    expect(failure.reason).toBe(
      'Account acc-1 is missing Client secret, Sender e-mail; an admin fills them in at Settings > Account > Profile > Microsoft Graph settings.',
    );
  });

  it('refuses a user of another account instead of sending as them', () => {
    const failure = failureOf({
      ...base,
      userId: 'u-9',
      user: { userId: 'u-9', accountId: 'acc-2', emailProvider: 'microsoft-graph', senderEmail: 'eve@other.example' },
    });
    expect(failure.code).toBe('UserAccountMismatch');
  });

  it('refuses a sender e-mail that is not an address', () => {
    expect(failureOf({ ...base, account: { ...account, senderEmail: 'info@' } }).code).toBe('InvalidSenderEmail');
  });
});

describe('resolveSender with certificates and national clouds', () => {
  let cert: AppCertificate;
  beforeAll(async () => {
    cert = await createAppCertificate();
  });

  it('uses a certificate credential (thumbprint and x5c from the certificate) instead of the secret', () => {
    const route = resolveSender({
      ...base,
      account: { ...account, clientSecret: undefined, certificatePrivateKey: cert.privateKeyPem, certificatePem: cert.certificatePem },
    });
    expect(route.credentials).toEqual({
      tenantId: 'tenant',
      clientId: 'client',
      certificate: { privateKeyPem: cert.privateKeyPem, thumbprintSha256: cert.thumbprintSha256, x5c: cert.certificatePem },
    });
  });

  it('prefers the certificate when both a certificate and a secret are set', () => {
    const route = resolveSender({
      ...base,
      account: { ...account, certificatePrivateKey: cert.privateKeyPem, certificateThumbprint: cert.thumbprintSha256 },
    });
    expect(route.credentials.certificate?.thumbprintSha256).toBe(cert.thumbprintSha256);
    expect(route.credentials.clientSecret).toBeUndefined();
  });

  it('asks for the private key when only part of a certificate is set', () => {
    const failure = failureOf({ ...base, account: { ...account, clientSecret: undefined, certificateThumbprint: cert.thumbprintSha256 } });
    expect(failure.reason).toContain('missing Certificate private key');
  });

  it('names a certificate mistake and where to correct it, without quoting the key', () => {
    const failure = failureOf({
      ...base,
      account: { ...account, certificatePrivateKey: cert.privateKeyPem, certificateThumbprint: cert.thumbprintSha1 },
    });
    expect(failure).toMatchObject({ category: 'settings', code: 'CertificateThumbprintSha1' });
    expect(failure.reason).toMatch(
      /^Account acc-1's certificate thumbprint is a SHA-1 thumbprint .* Fix it at Settings > Account > Profile > Microsoft Graph settings\.$/,
    );
    expect(failure.reason).not.toContain(cert.privateKeyPem.slice(40, 80));
  });

  it("carries the account's cloud in the credentials, and refuses one that does not exist", () => {
    expect(resolveSender({ ...base, account: { ...account, cloud: 'USGov' } }).credentials.cloud).toBe('usgov');
    expect(resolveSender(base).credentials).not.toHaveProperty('cloud');
    expect(failureOf({ ...base, account: { ...account, cloud: 'mars' } })).toMatchObject({ category: 'settings', code: 'InvalidCloud' });
  });
});

describe('resolveSender: sender values of any size', () => {
  afterEach(() => jest.restoreAllMocks());

  const MEGABYTE_ADDRESS = `${'a'.repeat(1_000_000)}@contoso.example`;

  it.each([
    ['account', { ...base, account: { ...account, senderEmail: MEGABYTE_ADDRESS } }],
    [
      'user',
      {
        ...base,
        userId: 'u-1',
        user: { userId: 'u-1', accountId: 'acc-1', emailProvider: 'microsoft-graph', senderEmail: MEGABYTE_ADDRESS },
      },
    ],
  ] as const)('a 1 MB %s Sender e-mail is refused by its length before any pattern runs', (_whose, input) => {
    const pattern = jest.spyOn(EMAIL_ADDRESS_PATTERN, 'test');
    const exec = jest.spyOn(EMAIL_ADDRESS_PATTERN, 'exec');
    const failure = failureOf(input);
    expect(failure).toMatchObject({ category: 'settings', code: 'InvalidSenderEmail' });
    expect(failure.reason).toContain('longer than 320 characters');
    // Only the account's (valid, short) sender went through the pattern; the megabyte never did.
    for (const call of [...pattern.mock.calls, ...exec.mock.calls]) expect(String(call[0]).length).toBeLessThanOrEqual(320);
  });

  it('refuses a domain with an empty label (labels hold no dot, which keeps the pattern linear)', () => {
    for (const value of [`a@${'a.'.repeat(150)}`, `${'a.'.repeat(150)}@`, `a@a${'.a'.repeat(150)}.`]) {
      expect(isEmailAddress(value)).toBe(false);
    }
    expect(isEmailAddress(`a@${'a.'.repeat(150)}example`)).toBe(true);
  });
});

describe('resolveSender never quotes a setting it refuses', () => {
  // What an admin pastes into the wrong field: the app's client secret.
  const PASTED_SECRET = 'Xy78Q~aVeryS3cretClientSecretValue.abcd';

  it.each([
    ['the account’s Sender e-mail', { ...base, account: { ...account, senderEmail: PASTED_SECRET } }],
    [
      'a user’s Sender e-mail',
      { ...base, userId: 'u-1', user: { userId: 'u-1', accountId: 'acc-1', emailProvider: 'microsoft-graph', senderEmail: PASTED_SECRET } },
    ],
    ['the account’s cloud', { ...base, account: { ...account, cloud: PASTED_SECRET } }],
  ] as const)('%s: the reason names the setting, its length and a masked prefix only', (_setting, input) => {
    const failure = failureOf(input);
    expect(failure.category).toBe('settings');
    expect(failure.reason).not.toContain(PASTED_SECRET);
    expect(failure.reason).not.toContain(PASTED_SECRET.slice(0, 8));
    expect(failure.reason).toContain(`${PASTED_SECRET.length} characters, begins "Xy7…"`);
  });
});

describe('resolveSender with an allow-list of sender domains', () => {
  const restricted: AccountSettings = { ...account, allowedSenderDomains: ['contoso.example', 'contoso.de'] };
  const userSending = (senderEmail: string, settings = restricted): ResolveSenderInput => ({
    ...base,
    account: settings,
    userId: 'u-1',
    user: { userId: 'u-1', accountId: 'acc-1', emailProvider: 'microsoft-graph', senderEmail },
  });

  it("falls back to the account's sender, with reason sender-not-allowed, for a user sender outside the list", () => {
    const route = resolveSender(userSending('ceo@fabrikam.example'));
    expect(route).toMatchObject({ sender: 'info@contoso.example', senderSource: 'account', fallbackReason: 'sender-not-allowed' });
  });

  it('sends as a user whose domain is on the list, whatever its casing', () => {
    expect(resolveSender(userSending('Anna@Contoso.DE'))).toMatchObject({ sender: 'Anna@Contoso.DE', senderSource: 'user' });
  });

  it('takes a domain literally: a subdomain or a look-alike is not on the list', () => {
    for (const sender of ['anna@sales.contoso.example', 'anna@contoso.example.evil.example', 'anna@xcontoso.example']) {
      expect(resolveSender(userSending(sender)).fallbackReason).toBe('sender-not-allowed');
    }
  });

  it('without a list, any user sender is used (as before)', () => {
    expect(resolveSender(userSending('ceo@fabrikam.example', account))).toMatchObject({ senderSource: 'user' });
  });
});

describe('resolveSender: what reaches Graph as the From address', () => {
  const graphUser = { userId: 'u-1', accountId: 'acc-1', emailProvider: 'microsoft-graph' };

  it("refuses a user's Sender e-mail that is not an address, naming the user and where to correct it, instead of sending as it", () => {
    const failure = failureOf({ ...base, userId: 'u-1', user: { ...graphUser, senderEmail: 'anna at contoso' } });
    expect(failure).toMatchObject({ category: 'settings', code: 'InvalidSenderEmail' });
    expect(failure.reason).toMatch(
      /^User u-1's Sender e-mail \(.*\) is not an e-mail address; correct it at Settings > User > \(the user\) > E-mail provider\.$/,
    );
  });

  it("says when an account's Sender e-mail is too long, and where the admin corrects it", () => {
    const failure = failureOf({ ...base, account: { ...account, senderEmail: `${'a'.repeat(400)}@contoso.example` } });
    expect(failure.code).toBe('InvalidSenderEmail');
    expect(failure.reason).toMatch(
      /^Account acc-1's Sender e-mail \(.*\) is longer than \d+ characters; correct it at Settings > Account > Profile > Microsoft Graph settings\.$/,
    );
  });

  it('says "it" for one missing setting and names it', () => {
    expect(failureOf({ ...base, account: { ...account, tenantId: undefined } }).reason).toBe(
      'Account acc-1 is missing Tenant ID; an admin fills it in at Settings > Account > Profile > Microsoft Graph settings.',
    );
    expect(failureOf({ ...base, account: { ...account, clientId: '' } }).reason).toContain('is missing Client ID;');
  });

  it('names the account that was not found and what to check', () => {
    expect(failureOf({ ...base, account: null }).reason).toBe(
      "Account acc-1 was not found in the ERP's settings; check the job's accountId.",
    );
  });

  it('describes a provider that is not a plain word without quoting it', () => {
    const failure = failureOf({ ...base, account: { ...account, emailProvider: 'sk-secret-pasted-here\n' } });
    expect(failure.code).toBe('ProviderNotGraph');
    expect(failure.reason).not.toContain('sk-secret-pasted-here');
    expect(failureOf({ ...base, account: { ...account, emailProvider: undefined } }).reason).toContain('(E-mail provider is not set)');
  });

  it('says which user is not found or not on Graph in the fallback reason', () => {
    expect(resolveSender({ ...base, userId: 'u-7', user: null }).fallbackReason).toBe('user u-7 was not found');
    expect(
      resolveSender({ ...base, userId: 'u-1', user: { ...graphUser, emailProvider: 'smtp', senderEmail: 'a@contoso.example' } })
        .fallbackReason,
    ).toBe('user u-1 does not use Microsoft Graph');
    expect(resolveSender({ ...base, userId: 'u-1', user: graphUser }).fallbackReason).toBe('user u-1 has no Sender e-mail');
  });

  it('sends as a user whose record names no account (older ERP records)', () => {
    const route = resolveSender({
      ...base,
      userId: 'u-1',
      user: { userId: 'u-1', emailProvider: 'microsoft-graph', senderEmail: 'anna@contoso.example' },
    });
    expect(route).toEqual({
      sender: 'anna@contoso.example',
      senderSource: 'user',
      credentials: { tenantId: 'tenant', clientId: 'client', clientSecret: 'secret' },
    });
  });

  it('says which user belongs to which account when the ERP mixes them up', () => {
    const failure = failureOf({
      ...base,
      userId: 'u-9',
      user: { ...graphUser, userId: 'u-9', accountId: 'acc-2', senderEmail: 'eve@other.example' },
    });
    expect(failure.reason).toBe('User u-9 belongs to account acc-2, not acc-1; the ERP enqueued the wrong user or account.');
  });
});
