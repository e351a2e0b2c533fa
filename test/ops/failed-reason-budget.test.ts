// Every failure the classifiers can produce fits BullMQ's failedReason in 400 characters, reads back
// unchanged, and points to a runbook section that exists; the long procedures travel apart.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { type Failure, MAX_FAILED_REASON_CHARS, describeFailure, parseEmailJob, parseFailedReason } from '@omikai/graph-mailer-client';
import { classifySendResult } from '../../src/graph/classify-send-result';
import type { GraphSendResult } from '../../src/graph/graph-mail-client';
import { checkTenantId, classifyTokenError } from '../../src/graph/token-errors';
import { encryptSecret } from '../../src/secrets/encrypted-secret';
import { parseKeyring } from '../../src/secrets/secret-keyring';
import { decideRetry } from '../../src/sending/retry-policy';
import { invalidPayloadFailure, sentButNotRecorded, unexpectedFailure } from '../../src/sending/send-email-job';
import { resolveSender } from '../../src/settings/resolve-sender';
import { SettingsSecrets } from '../../src/settings/settings-secrets';
import { STORE_ERROR_CODES, classifyStoreError } from '../../src/storage/store-errors';
import type { AccountSettings } from '../../src/settings/settings-store';
import { encryptSecretV1 } from '../support/legacy-secrets';
import { createAppCertificate } from '../../tools/graph-simulator/app-certificates';

// Long but real values: a 64-character mailbox, GUIDs, MongoDB ObjectIds, Graph's own long messages.
const SENDER = 'accounts-receivable.central-europe@contoso-industrial-group.example';
const CLIENT_ID = '3f9e2c1a-7b4d-4e8f-9a0b-1c2d3e4f5a6b';
const TENANT_ID = '8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d';
const REQUEST_ID = 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e';
const ACCOUNT_ID = '665f1c2e9b1e8a3d4c5b6a79';
const USER_ID = '665f1c2e9b1e8a3d4c5b6a80';
const THUMBPRINT = 'A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F90';
const LONG_TEXT = 'The service could not process the request because of an internal condition that is described at length here. '.repeat(5);
const route = { sender: SENDER, credentials: { tenantId: TENANT_ID, clientId: CLIENT_ID, clientSecret: 's' } };
const now = Date.parse('2026-11-26T10:00:00Z');

function graphFailures(): [string, Failure][] {
  const cases: [number, string | undefined, string][] = [
    [429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.'],
    [503, 'ServiceUnavailable', LONG_TEXT],
    [500, undefined, LONG_TEXT],
    [504, 'GatewayTimeout', LONG_TEXT],
    [400, 'ErrorInvalidRecipients', LONG_TEXT],
    [400, 'InvalidInternetMessageHeader', LONG_TEXT],
    [400, 'InvalidInternetMessageHeaderCollection', LONG_TEXT],
    [400, 'RequestBodyRead', 'The maximum request length supported is 4MB.'],
    [413, undefined, LONG_TEXT],
    [401, 'NoPermissionsInAccessToken', LONG_TEXT],
    [401, 'InvalidAuthenticationToken', LONG_TEXT],
    [403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.'],
    [403, 'ErrorAccessDenied', 'Access to OData is disabled.'],
    [403, 'ErrorSendAsDenied', LONG_TEXT],
    [404, 'ErrorInvalidUser', `The requested user '${SENDER}' is invalid.`],
    [404, 'MailboxNotEnabledForRESTAPI', LONG_TEXT],
    [404, 'ResourceNotFound', LONG_TEXT],
    [507, 'ErrorQuotaExceeded', LONG_TEXT],
    [400, 'ErrorSomethingNew', LONG_TEXT],
    [418, undefined, LONG_TEXT],
  ];
  const answers: [string, GraphSendResult][] = cases.map(([status, errorCode, errorMessage]) => [
    `Graph ${status} ${errorCode ?? ''}`,
    { kind: 'response', status, requestId: REQUEST_ID, ...(errorCode ? { errorCode } : {}), errorMessage, retryAfter: '30' },
  ]);
  answers.push(
    ['no answer after sending', { kind: 'no-response', requestSent: true, code: 'ECONNRESET', message: LONG_TEXT, cause: null }],
    ['no connection', { kind: 'no-response', requestSent: false, code: 'ECONNREFUSED', message: LONG_TEXT, cause: null }],
    ['untrusted TLS', { kind: 'no-response', requestSent: false, code: 'SELF_SIGNED_CERT_IN_CHAIN', message: LONG_TEXT, cause: null }],
  );
  return answers.map(([name, answer]) => {
    const result = classifySendResult(answer, route, now);
    if (result.kind !== 'failed') throw new Error(`${name} was not a failure`);
    return [name, result.failure];
  });
}

function tokenFailures(): [string, Failure][] {
  const context = { clientId: CLIENT_ID, tenantId: TENANT_ID, cloud: 'usgov-dod', certificate: { thumbprintSha256: THUMBPRINT } };
  const aadsts = ['7000215', '7000222', '700016', '90002', '900023', '7000229', '700027', '700024', '50126', '90033'];
  const failures: [string, Failure][] = aadsts.map((code) => [
    `AADSTS${code}`,
    classifyTokenError(
      {
        errorCode: 'invalid_client',
        status: 401,
        errorMessage: `AADSTS${code}: ${LONG_TEXT} Trace ID: ${REQUEST_ID} Correlation ID: ${REQUEST_ID}`,
      },
      context,
    ),
  ]);
  failures.push(
    ['token 429', classifyTokenError({ status: 429, errorMessage: LONG_TEXT }, context)],
    ['token 503', classifyTokenError({ status: 503, errorMessage: LONG_TEXT }, context)],
    ['token network', classifyTokenError({ errorCode: 'network_error', errorMessage: LONG_TEXT }, context)],
    ['token 400 without AADSTS', classifyTokenError({ errorCode: 'invalid_request', status: 400, errorMessage: LONG_TEXT }, context)],
    ['token unexpected', classifyTokenError(new Error(LONG_TEXT), context)],
    ['tenant id not a name', checkTenantId(`contoso tenant ${'x'.repeat(300)}`)!],
  );
  return failures;
}

function settingsFailure(account: AccountSettings | null, user: Parameters<typeof resolveSender>[0]['user'] = null): Failure {
  try {
    resolveSender({ accountId: ACCOUNT_ID, userId: USER_ID, account, user, graphProviderValue: 'microsoft-graph' });
  } catch (err: unknown) {
    return (err as { failure: Failure }).failure;
  }
  throw new Error('expected a settings failure');
}

function secretFailure(open: () => unknown): Failure {
  try {
    open();
  } catch (err: unknown) {
    return (err as { failure: Failure }).failure;
  }
  throw new Error('expected a secret failure');
}

async function settingsFailures(): Promise<[string, Failure][]> {
  const good: AccountSettings = {
    accountId: ACCOUNT_ID,
    emailProvider: 'microsoft-graph',
    tenantId: TENANT_ID,
    clientId: CLIENT_ID,
    clientSecret: 's',
    senderEmail: SENDER,
  };
  const certificate = await createAppCertificate();
  const other = await createAppCertificate();
  const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const withKey = (fields: Partial<AccountSettings>): AccountSettings => ({
    ...good,
    clientSecret: undefined,
    certificatePrivateKey: certificate.privateKeyPem,
    ...fields,
  });
  const keyIds = ['previous-key-2025-rotation-00001', 'previous-key-2024-rotation-00002', 'current-key-2026-rotation-000003'];
  const key = () => Buffer.alloc(32, 7).toString('base64');
  const keyring = parseKeyring(keyIds.map((id) => `${id}:${key()}`).join(','));
  const foreign = parseKeyring(`unknown-key-id-from-the-erp-0001:${key()}`);
  const setting = 'account.certificatePrivateKey' as const;
  const encrypted = encryptSecret('secret', keyring, { accountId: ACCOUNT_ID, setting });
  const strict = new SettingsSecrets({ keyring, requireEncrypted: true });
  return [
    ['account not found', settingsFailure(null)],
    ['provider not Graph', settingsFailure({ ...good, emailProvider: `smtp-relay-${'y'.repeat(300)}` })],
    ['everything missing', settingsFailure({ accountId: ACCOUNT_ID, emailProvider: 'microsoft-graph', certificateThumbprint: THUMBPRINT })],
    ['cloud unknown', settingsFailure({ ...good, cloud: `azure-${'z'.repeat(300)}` })],
    ['sender not an address', settingsFailure({ ...good, senderEmail: `info at ${'w'.repeat(300)}` })],
    ['user in another account', settingsFailure(good, { userId: USER_ID, accountId: '665f1c2e9b1e8a3d4c5b6a81' })],
    [
      'user sender not an address',
      settingsFailure(good, { userId: USER_ID, emailProvider: 'microsoft-graph', senderEmail: `anna at ${'v'.repeat(300)}` }),
    ],
    ['key unreadable', settingsFailure(withKey({ certificatePrivateKey: 'not a key' }))],
    [
      'key encrypted',
      settingsFailure(
        withKey({ certificatePrivateKey: '-----BEGIN ENCRYPTED PRIVATE KEY-----\nabc\n-----END ENCRYPTED PRIVATE KEY-----' }),
      ),
    ],
    ['key not RSA', settingsFailure(withKey({ certificatePrivateKey: ecKey, certificateThumbprint: THUMBPRINT }))],
    ['certificate unreadable', settingsFailure(withKey({ certificatePem: 'not a certificate' }))],
    ['key of another certificate', settingsFailure(withKey({ certificatePem: other.certificatePem }))],
    [
      'thumbprint of another certificate',
      settingsFailure(withKey({ certificatePem: certificate.certificatePem, certificateThumbprint: other.thumbprintSha256 })),
    ],
    ['thumbprint missing', settingsFailure(withKey({}))],
    ['thumbprint SHA-1', settingsFailure(withKey({ certificateThumbprint: certificate.thumbprintSha1 }))],
    ['thumbprint invalid', settingsFailure(withKey({ certificateThumbprint: 'abc' }))],
    ['plaintext refused', secretFailure(() => strict.open('plain', ACCOUNT_ID, setting))],
    ['no keys', secretFailure(() => new SettingsSecrets().open(encrypted, ACCOUNT_ID, setting))],
    [
      'unknown key',
      secretFailure(() => strict.open(encryptSecret('secret', foreign, { accountId: ACCOUNT_ID, setting }), ACCOUNT_ID, setting)),
    ],
    ['copied v2 value', secretFailure(() => strict.open(encrypted, '665f1c2e9b1e8a3d4c5b6a81', setting))],
    [
      'v1 under another key',
      secretFailure(() =>
        strict.open(encryptSecretV1('secret', parseKeyring(`${keyIds[0]}:${Buffer.alloc(32, 9).toString('base64')}`)), ACCOUNT_ID, setting),
      ),
    ],
    ['malformed value', secretFailure(() => strict.open(`enc:v2:${keyIds[0]}:abc`, ACCOUNT_ID, setting))],
    ['unsupported version', secretFailure(() => strict.open(`enc:v9:${keyIds[0]}:abc:def`, ACCOUNT_ID, setting))],
  ];
}

function workerFailures(): [string, Failure][] {
  return [
    [
      'job data off the contract',
      invalidPayloadFailure(
        (() => {
          try {
            parseEmailJob({ to: 'x'.repeat(500), subject: 5, attachments: 'no', headers: [1, 2, 3] });
          } catch (err: unknown) {
            return err;
          }
          throw new Error('expected the job to be refused');
        })(),
      ),
    ],
    ['unexpected error', unexpectedFailure(new TypeError(LONG_TEXT))],
  ];
}

/** What the retry policy makes of the retryable failures when it gives up. */
function finalFailures(retryable: Failure[]): [string, Failure][] {
  const policy = { baseDelayMs: 1000, maxDelayMs: 60_000, outcomeUnknown: 'fail' as const, maxThrottleDeferrals: 20 };
  return retryable.flatMap((failure): [string, Failure][] => {
    const decisions = [
      decideRetry(failure, policy, { attempt: 10, maxAttempts: 10, random: 0 }),
      decideRetry(failure, policy, { attempt: 1, maxAttempts: 10, random: 0, throttlePause: { waitMs: 1000, deferrals: 21 } }),
    ];
    return decisions.flatMap((decision) =>
      decision.action === 'fail' ? [[`gave up on ${failure.category} ${failure.code}`, decision.failure]] : [],
    );
  });
}

/** What classifyStoreError makes of every permanent MongoDB code, for both stores. */
function storeFailures(): [string, Failure][] {
  return [...STORE_ERROR_CODES].flatMap(([code, { name, advice }]): [string, Failure][] =>
    advice === undefined
      ? []
      : (['settings', 'deliveries'] as const).flatMap((store): [string, Failure][] => {
          const answer = classifyStoreError(store, new mongoose.mongo.MongoServerError({ code, codeName: name, errmsg: LONG_TEXT }));
          if (answer.kind !== 'permanent') return [];
          return [
            [`store ${store} ${name}`, answer.failure],
            [`store ${store} ${name} after the send`, sentButNotRecorded(answer.failure)],
          ];
        }),
  );
}

async function everyFailure(): Promise<[string, Failure][]> {
  const first = [...graphFailures(), ...tokenFailures(), ...(await settingsFailures()), ...workerFailures(), ...storeFailures()];
  const retryable = first.map(([, failure]) => failure).filter((f) => ['throttled', 'transient', 'unknown-outcome'].includes(f.category));
  return [...first, ...finalFailures(retryable)];
}

/** GitHub's heading anchors (lower case, punctuation dropped, spaces as hyphens), plus explicit ids. */
function runbookAnchors(): Set<string> {
  const text = readFileSync(join(__dirname, '../../docs/runbook.md'), 'utf8');
  const headings = [...text.matchAll(/^#{1,6} (.+)$/gm)].map(([, title]) =>
    (title ?? '')
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-'),
  );
  const ids = [...text.matchAll(/<a id="([^"]+)"/g)].map(([, id]) => id ?? '');
  return new Set([...headings, ...ids]);
}

let failures: [string, Failure][];
beforeAll(async () => {
  failures = await everyFailure();
});

describe('failedReason', () => {
  it('stays within 400 characters for every failure the classifiers produce, without being cut', () => {
    expect(failures.length).toBeGreaterThan(80);
    const tooLong = failures
      .map(([name, failure]) => [name, failure, describeFailure(failure)] as const)
      .filter(([, failure, text]) => text.length > MAX_FAILED_REASON_CHARS || parseFailedReason(text).reason !== failure.reason)
      .map(([name, failure]) => `${name}: ${failure.reason.length} characters of reason`);
    expect(tooLong).toEqual([]);
  });

  it('reads back what was written: category, reason, runbook section and request-id', () => {
    for (const [name, failure] of failures) {
      const parsed = parseFailedReason(describeFailure(failure));
      expect({ name, ...parsed }).toEqual({
        name,
        category: failure.category,
        reason: failure.reason,
        ...(parsed.runbook !== undefined ? { runbook: expect.stringMatching(/^docs\/runbook\.md#[a-z-]+$/) } : {}),
        ...(failure.graphRequestId ? { graphRequestId: failure.graphRequestId } : {}),
      });
    }
  });

  it('points to runbook sections that exist in docs/runbook.md, for every category with a procedure', () => {
    const anchors = runbookAnchors();
    const named = new Set(failures.flatMap(([, failure]) => parseFailedReason(describeFailure(failure)).runbook ?? []));
    expect([...named].sort()).toEqual(
      ['docs/runbook.md#credentials', 'docs/runbook.md#permission', 'docs/runbook.md#policy-denied', 'docs/runbook.md#settings'].sort(),
    );
    for (const link of named) expect(anchors).toContain(link.replace('docs/runbook.md#', ''));
    for (const [name, failure] of failures.filter(([, f]) => f.procedure !== undefined)) {
      expect({ name, runbook: parseFailedReason(describeFailure(failure)).runbook }).toEqual({ name, runbook: expect.any(String) });
    }
  });

  it('cuts a reason it cannot fit, keeping the category, the runbook section and the request-id', () => {
    const text = describeFailure({ category: 'policy-denied', reason: 'word '.repeat(200), graphRequestId: REQUEST_ID });
    expect(text.length).toBeLessThanOrEqual(MAX_FAILED_REASON_CHARS);
    expect(parseFailedReason(text)).toEqual({
      category: 'policy-denied',
      reason: expect.stringMatching(/word…$/),
      runbook: 'docs/runbook.md#policy-denied',
      graphRequestId: REQUEST_ID,
    });
  });

  it('reads a failedReason written before runbook links, and one of any length', () => {
    expect(parseFailedReason('[policy-denied] Sender x is blocked. Ask IT. (Graph request-id abc-1)')).toEqual({
      category: 'policy-denied',
      reason: 'Sender x is blocked. Ask IT.',
      graphRequestId: 'abc-1',
    });
  });
});

describe('the access-policy procedure', () => {
  it('keeps the PowerShell for both ways of restricting an app out of the reason, filled in with the mailbox and app', () => {
    const [, failure] = graphFailures().find(([, f]) => f.category === 'policy-denied')!;
    expect(failure.reason).toContain(SENDER);
    expect(failure.reason).not.toContain('Test-ApplicationAccessPolicy');
    for (const command of [
      `Get-ApplicationAccessPolicy | Where-Object AppId -eq '${CLIENT_ID}'`,
      `Add-DistributionGroupMember -Identity "<ScopeIdentity>" -Member ${SENDER}`,
      `New-ApplicationAccessPolicy -AppId ${CLIENT_ID} -PolicyScopeGroupId`,
      `Test-ApplicationAccessPolicy -Identity ${SENDER} -AppId ${CLIENT_ID}`,
      `New-ManagementScope -Name "Omikai ERP senders" -RecipientRestrictionFilter "PrimarySmtpAddress -eq '${SENDER}'"`,
      `New-ManagementRoleAssignment -App ${CLIENT_ID} -Role "Application Mail.Send" -CustomResourceScope "Omikai ERP senders"`,
      `Test-ServicePrincipalAuthorization -Identity ${CLIENT_ID} -Resource ${SENDER}`,
    ]) {
      expect(failure.procedure).toContain(command);
    }
    // One command per line, so each can be copied whole.
    expect(failure.procedure!.split('\n').length).toBeGreaterThan(8);
  });
});
