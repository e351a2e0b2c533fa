import { classifySendResult, retryAfterMs } from '../../src/graph/classify-send-result';
import { throttleScope } from '../../src/flow/flow-policy';
import type { GraphSendResult } from '../../src/graph/graph-mail-client';

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
