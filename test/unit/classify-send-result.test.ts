import { classifySendResult, retryAfterMs } from '../../src/graph/classify-send-result';
import { throttleScope } from '../../src/flow/flow-policy';
import type { GraphSendResult } from '../../src/graph/graph-mail-client';
import { RETRYABLE_CATEGORIES } from '@omikai/graph-mailer-client';

const now = Date.parse('2026-11-26T10:00:00Z');
const sender = { sender: 'info@contoso.example', credentials: { tenantId: 't', clientId: 'c', clientSecret: 's' } };
const response = (status: number, errorCode?: string, errorMessage?: string, extra: Partial<GraphSendResult> = {}): GraphSendResult =>
  ({
    kind: 'response',
    status,
    requestId: 'req-1',
    ...(errorCode ? { errorCode } : {}),
    ...(errorMessage ? { errorMessage } : {}),
    ...extra,
  }) as GraphSendResult;

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates, and ignores what it cannot read', () => {
    expect(retryAfterMs('2', now)).toBe(2000);
    expect(retryAfterMs(new Date(now + 30_000).toUTCString(), now)).toBe(30_000);
    expect(retryAfterMs(new Date(now - 30_000).toUTCString(), now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });

  it('rounds up to whole milliseconds (Redis takes only whole ones for a pause)', () => {
    expect(retryAfterMs('1.5', now)).toBe(1500);
    expect(retryAfterMs('0.0015', now)).toBe(2);
  });
});

describe('classifySendResult', () => {
  it('treats 202 as sent and keeps the request-id, even when a Retry-After came with it', () => {
    expect(classifySendResult(response(202, undefined, undefined, { retryAfter: '5' }), sender, now)).toEqual({
      kind: 'sent',
      graphRequestId: 'req-1',
    });
  });

  it.each([
    [429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', 'throttled'],
    [503, 'ServiceUnavailable', 'Service unavailable', 'transient'],
    [500, 'InternalServerError', 'x', 'transient'],
    [502, undefined, undefined, 'transient'],
    [509, undefined, undefined, 'transient'],
    [504, 'GatewayTimeout', 'x', 'unknown-outcome'],
    [400, 'ErrorInvalidRecipients', 'At least one recipient is not valid.', 'invalid-recipient'],
    [400, 'InvalidInternetMessageHeader', 'x', 'invalid-message'],
    [400, 'InvalidInternetMessageHeaderCollection', 'x', 'invalid-message'],
    [400, 'RequestBodyRead', 'The maximum request length supported is 4MB.', 'too-large'],
    [413, undefined, undefined, 'too-large'],
    [401, 'NoPermissionsInAccessToken', 'x', 'permission'],
    [403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.', 'permission'],
    [403, 'ErrorAccessDenied', 'Access to OData is disabled.', 'policy-denied'],
    [403, 'ErrorSendAsDenied', 'x', 'permission'],
    [404, 'ErrorInvalidUser', "The requested user 'info@contoso.example' is invalid.", 'sender-mailbox'],
    [404, 'MailboxNotEnabledForRESTAPI', 'x', 'sender-mailbox'],
    [404, 'ResourceNotFound', 'x', 'sender-mailbox'],
    [507, 'ErrorQuotaExceeded', 'x', 'sender-mailbox'],
    [400, 'ErrorQuotaExceeded', 'x', 'sender-mailbox'],
  ])('HTTP %i %s is %s', (status, code, message, category) => {
    const result = classifySendResult(response(status, code, message), sender, now);
    expect(result).toMatchObject({ kind: 'failed', failure: { category, httpStatus: status, graphRequestId: 'req-1' } });
  });

  it('says an access-policy denial is not a bad password, names the mailbox and app, and keeps the PowerShell apart', () => {
    const result = classifySendResult(response(403, 'ErrorAccessDenied', 'Access to OData is disabled.'), sender, now);
    const failure = result.kind === 'failed' ? result.failure : undefined;
    expect(failure?.reason).toContain('Sender info@contoso.example is blocked by an Exchange application access policy for app c');
    expect(failure?.reason).toContain('Fix: IT allows the mailbox for the app');
    expect(failure?.procedure).toContain('Test-ApplicationAccessPolicy -Identity info@contoso.example');
    expect(failure?.procedure).toContain('Test-ServicePrincipalAuthorization');
  });

  it("fills the app's Client ID and the mailbox into the procedure for both the legacy policy and RBAC for Applications", () => {
    const route = {
      sender: 'branch@contoso.example',
      credentials: { tenantId: 't', clientId: '22222222-2222-4222-8222-222222222222', clientSecret: 'the-app-secret-Value' },
    };
    const result = classifySendResult(response(403, 'ErrorAccessDenied', 'Access to OData is disabled.'), route, now);
    const procedure = result.kind === 'failed' ? (result.failure.procedure ?? '') : '';
    const app = route.credentials.clientId;
    for (const command of [
      `Get-ApplicationAccessPolicy | Where-Object AppId -eq '${app}'`,
      'Add-DistributionGroupMember -Identity "<ScopeIdentity>" -Member branch@contoso.example',
      `New-ApplicationAccessPolicy -AppId ${app} -PolicyScopeGroupId`,
      'Set-ApplicationAccessPolicy',
      `Test-ApplicationAccessPolicy -Identity branch@contoso.example -AppId ${app}`,
      `New-ManagementScope -Name "Omikai ERP senders" -RecipientRestrictionFilter "PrimarySmtpAddress -eq 'branch@contoso.example'"`,
      `New-ManagementRoleAssignment -App ${app} -Role "Application Mail.Send" -CustomResourceScope "Omikai ERP senders"`,
      `Test-ServicePrincipalAuthorization -Identity ${app} -Resource branch@contoso.example`,
    ]) {
      expect(procedure).toContain(command);
    }
    expect(JSON.stringify(result)).not.toContain(route.credentials.clientSecret);
  });

  it('gives a missing Mail.Send application permission the consent procedure, and other failures none', () => {
    const missing = classifySendResult(response(401, 'NoPermissionsInAccessToken', 'x'), sender, now);
    expect(missing.kind === 'failed' && missing.failure.procedure).toContain('Grant admin consent for <organization>');
    const recipient = classifySendResult(response(400, 'ErrorInvalidRecipients', 'x'), sender, now);
    expect(recipient.kind === 'failed' && recipient.failure.procedure).toBeUndefined();
  });

  it('keeps Retry-After on a 429 as milliseconds', () => {
    const result = classifySendResult(response(429, 'ApplicationThrottled', 'x', { retryAfter: '7' }), sender, now);
    expect(result).toMatchObject({ failure: { category: 'throttled', retryAfterMs: 7000 } });
  });

  it('calls a lost answer after the request went out an unknown outcome, and a refused connection transient', () => {
    const lost: GraphSendResult = { kind: 'no-response', requestSent: true, code: 'ECONNRESET', message: 'socket hang up', cause: null };
    const refused: GraphSendResult = { kind: 'no-response', requestSent: false, code: 'ECONNREFUSED', message: 'refused', cause: null };
    expect(classifySendResult(lost, sender, now)).toMatchObject({ failure: { category: 'unknown-outcome', code: 'ECONNRESET' } });
    expect(classifySendResult(refused, sender, now)).toMatchObject({ failure: { category: 'transient', code: 'ECONNREFUSED' } });
  });

  it('fails an untrusted TLS certificate at once with a hint about the CA', () => {
    const tls: GraphSendResult = {
      kind: 'no-response',
      requestSent: false,
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
      message: 'x',
      cause: null,
    };
    expect(classifySendResult(tls, sender, now)).toMatchObject({
      failure: { category: 'unknown', reason: expect.stringContaining('NODE_EXTRA_CA_CERTS') },
    });
  });
});

describe('throttle scope', () => {
  it('a MailboxConcurrency 429 names one mailbox; a bare application throttle names the app', () => {
    const mailbox = classifySendResult(
      response(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.'),
      sender,
      now,
    );
    const app = classifySendResult(response(429, 'ApplicationThrottled', 'Application is over its request limit.'), sender, now);
    expect(mailbox.kind === 'failed' && throttleScope(mailbox.failure)).toBe('mailbox');
    expect(app.kind === 'failed' && throttleScope(app.failure)).toBe('tenant');
  });
});

describe('what a failed send means for the e-mail', () => {
  const failureOf = (result: GraphSendResult) => {
    const classification = classifySendResult(result, sender, now);
    if (classification.kind !== 'failed') throw new Error(`expected a failure, got ${JSON.stringify(classification)}`);
    return classification.failure;
  };

  it('calls a 401 without a known code a credentials problem, which is not retried', () => {
    const failure = failureOf(response(401, undefined, 'Unauthorized'));
    expect(failure.category).toBe('credentials');
    expect(RETRYABLE_CATEGORIES.has(failure.category)).toBe(false);
  });

  it('calls a 400 with an unknown code an invalid message, which is not retried, and quotes Graph', () => {
    const failure = failureOf(response(400, 'SomethingNew', 'The property X is not allowed.'));
    expect(failure).toMatchObject({ category: 'invalid-message', code: 'SomethingNew', httpStatus: 400 });
    expect(failure.reason).toBe('Graph refused the e-mail (SomethingNew): The property X is not allowed.');
    expect(RETRYABLE_CATEGORIES.has(failure.category)).toBe(false);
  });

  it('calls any other 4xx without a known code unknown, names the HTTP status as the code, and does not retry it', () => {
    const failure = failureOf(response(418));
    expect(failure).toMatchObject({ category: 'unknown', code: 'HTTP418', httpStatus: 418 });
    expect(failure.reason).toBe('Graph refused the e-mail (no error code): HTTP 418');
    expect(failure).not.toHaveProperty('detail');
    expect(failure).not.toHaveProperty('retryAfterMs');
  });

  it('treats the edges of 2xx right: 200 and 299 are sent, 300 is not', () => {
    expect(classifySendResult(response(200), sender, now).kind).toBe('sent');
    expect(classifySendResult(response(299), sender, now).kind).toBe('sent');
    expect(classifySendResult(response(300), sender, now).kind).toBe('failed');
    expect(classifySendResult(response(202, undefined, undefined, { requestId: undefined }), sender, now)).toEqual({ kind: 'sent' });
  });

  it('classifies by the code whatever status it came with', () => {
    expect(failureOf(response(403, 'InvalidInternetMessageHeader')).category).toBe('invalid-message');
    expect(failureOf(response(403, 'InvalidInternetMessageHeaderCollection')).category).toBe('invalid-message');
    expect(failureOf(response(400, 'ErrorSendAsDenied')).category).toBe('permission');
    expect(failureOf(response(400, 'NoPermissionsInAccessToken')).category).toBe('permission');
    expect(failureOf(response(404, 'ErrorInvalidRecipients')).category).toBe('invalid-recipient');
    expect(failureOf(response(404)).category).toBe('unknown');
  });

  it.each([
    [
      'ErrorInvalidRecipients',
      400,
      'Graph refused a recipient address as malformed or unresolvable (Graph: bad). Fix: correct the address in the ERP and send a new e-mail.',
    ],
    [
      'InvalidInternetMessageHeader',
      400,
      'Graph refused the custom headers: names must start with x- and at most 5 are allowed (Graph: bad).',
    ],
    [
      'InvalidInternetMessageHeaderCollection',
      400,
      'Graph refused the custom headers: names must start with x- and at most 5 are allowed (Graph: bad).',
    ],
    [
      'NoPermissionsInAccessToken',
      401,
      'The app has no Mail.Send application permission: in Entra admin center > App registrations > (your app) > API permissions, ' +
        'add Microsoft Graph > Application permissions > Mail.Send, then click "Grant admin consent".',
    ],
    [
      'ErrorAccessDenied',
      403,
      'Graph denied access: Mail.Send is probably added as a Delegated instead of an Application permission, or admin consent is missing. ' +
        'In API permissions, add Mail.Send under Application permissions and click "Grant admin consent".',
    ],
    [
      'ErrorSendAsDenied',
      403,
      "The app may not send as info@contoso.example (no SendAs right); use the mailbox's own address as Sender e-mail.",
    ],
    [
      'ErrorInvalidUser',
      404,
      'Sender info@contoso.example is not a user in this Microsoft 365 tenant (or its primary SMTP address differs from its user name). ' +
        'Set Sender e-mail to an existing mailbox of the tenant.',
    ],
    [
      'MailboxNotEnabledForRESTAPI',
      404,
      "Sender info@contoso.example's mailbox cannot be used through Graph: it is inactive, soft-deleted, unlicensed or on-premises. Ask IT to license it in Exchange Online.",
    ],
    ['ResourceNotFound', 404, 'Sender info@contoso.example has no mailbox in this tenant; set Sender e-mail to an existing mailbox.'],
    ['ErrorQuotaExceeded', 507, "Sender info@contoso.example's mailbox is full; ask IT to free space or raise its quota."],
  ])('gives %s its own reason with the fix', (code, status, reason) => {
    expect(failureOf(response(status, code, 'bad')).reason).toBe(reason);
  });

  it('gives the retryable kinds a reason that names the code, or says what happened without one', () => {
    expect(failureOf(response(429, 'ApplicationThrottled', 'x')).reason).toBe(
      'Graph is throttling sends from info@contoso.example (ApplicationThrottled); waiting as Graph asked.',
    );
    expect(failureOf(response(429)).reason).toBe('Graph is throttling sends from info@contoso.example (429); waiting as Graph asked.');
    expect(failureOf(response(503, 'ServiceUnavailable')).reason).toBe(
      'Graph had a temporary problem (ServiceUnavailable); retrying later.',
    );
    expect(failureOf(response(503)).reason).toBe('Graph had a temporary problem (server error); retrying later.');
    expect(failureOf(response(504, 'GatewayTimeout')).reason).toBe(
      'Graph did not answer after receiving the request (GatewayTimeout); the e-mail may have been sent.',
    );
    expect(failureOf(response(504)).reason).toBe(
      'Graph did not answer after receiving the request (no response); the e-mail may have been sent.',
    );
    expect(failureOf(response(413)).reason).toBe(
      'The e-mail is larger than Graph accepts in one request (4 MB including attachments as base64); send large files as links.',
    );
  });

  it('keeps the consent procedure to a missing permission and leaves it out of every other failure', () => {
    expect(failureOf(response(403, 'ErrorAccessDenied', 'Access is denied.')).procedure).toContain('Mail.Send');
    expect(failureOf(response(401, 'NoPermissionsInAccessToken', 'x')).procedure).toContain('Mail.Send');
    for (const other of [response(403, 'ErrorSendAsDenied', 'x'), response(429), response(401), response(404, 'ErrorAccessDenied2')]) {
      expect(failureOf(other)).not.toHaveProperty('procedure');
    }
  });
});

describe('retryAfterMs limits', () => {
  it('caps a Retry-After at 24 hours, in seconds or as a date', () => {
    expect(retryAfterMs(String(24 * 3600), now)).toBe(24 * 3600_000);
    expect(retryAfterMs(String(7 * 24 * 3600), now)).toBe(24 * 3600_000);
    expect(retryAfterMs(new Date(now + 3 * 24 * 3600_000).toUTCString(), now)).toBe(24 * 3600_000);
  });

  it('ignores an empty or blank Retry-After instead of reading it as zero', () => {
    expect(retryAfterMs('', now)).toBeUndefined();
    expect(retryAfterMs('   ', now)).toBeUndefined();
    expect(retryAfterMs('0', now)).toBe(0);
  });

  it('keeps a 429 waiting no less than the cap allows when Graph asks for days', () => {
    expect(failureOf429('604800').retryAfterMs).toBe(24 * 3600_000);
  });
});

function failureOf429(retryAfter: string) {
  const result = classifySendResult(response(429, 'ApplicationThrottled', 'x', { retryAfter }), sender, now);
  if (result.kind !== 'failed') throw new Error('expected a failure');
  return result.failure;
}
