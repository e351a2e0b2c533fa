// The setup mistakes an admin makes, each with how to reproduce it against the simulator and the
// step, code, reason and fix the connection test must report for it.
import type { FailureCategory } from '@omikai/graph-mailer-client';
import type { StepId } from '../../src/diagnostics/connection-test';
import type { SimulatorFault } from '../../tools/graph-simulator/graph-simulator';
import { APPS, MAILBOXES, type DiagnosticsFixture } from './diagnostics-kit';

export interface SetupMistake {
  /** Reads as the test name: what the admin got wrong. */
  name: string;
  graph: (fixture: DiagnosticsFixture) => Record<string, unknown>;
  fault?: Omit<Extract<SimulatorFault, { kind: 'status' }>, 'on' | 'kind'>;
  clockSkewSeconds?: number;
  step: StepId;
  category: FailureCategory;
  code: string;
  says: string;
  fix: string;
}

const certificateApp = (certificate: { privateKeyPem: string; certificatePem: string }) => ({
  ...APPS.certificate,
  clientSecret: undefined,
  certificate: { privateKey: certificate.privateKeyPem, pem: certificate.certificatePem },
});
const sendFault = (status: number, code: string, message: string) => ({ status, code, message });

export const SETUP_MISTAKES: SetupMistake[] = [
  // Sign-in (AADSTS codes)
  {
    name: 'the Secret ID pasted instead of its Value',
    graph: () => ({ clientSecret: '0f7b4c2e-secret-id' }),
    step: 'token',
    category: 'credentials',
    code: 'AADSTS7000215',
    says: 'copy the Value column (not the Secret ID)',
    fix: 'Setup step 3',
  },
  {
    name: 'an expired client secret',
    graph: () => APPS.expiredSecret,
    step: 'token',
    category: 'credentials',
    code: 'AADSTS7000222',
    says: "The app's client secret has expired",
    fix: 'Setup step 3',
  },
  {
    name: 'the Client ID of an app registered in another tenant',
    graph: () => APPS.elsewhere,
    step: 'token',
    category: 'credentials',
    code: 'AADSTS700016',
    says: 'No app with the Client ID (36 characters, begins',
    fix: 'Setup step 4',
  },
  {
    name: 'a Tenant ID no tenant has',
    graph: () => ({ tenantId: 'dddddddd-0000-4000-8000-00000000dead' }),
    step: 'token',
    category: 'credentials',
    code: 'AADSTS90002',
    says: 'The tenant of the Tenant ID (36 characters, begins "ddd…") was not found in the global Microsoft cloud',
    fix: 'Setup step 4',
  },
  {
    name: 'a Tenant ID that is neither a GUID nor a domain of the tenant',
    graph: () => ({ tenantId: 'contoso' }),
    step: 'token',
    category: 'credentials',
    code: 'AADSTS900023',
    says: 'The Tenant ID (7 characters) is not a valid tenant ID',
    fix: 'Setup step 4',
  },
  {
    name: 'a Tenant ID that cannot form a sign-in URL',
    graph: () => ({ tenantId: 'contoso/../x' }),
    step: 'token',
    category: 'settings',
    code: 'InvalidTenantId',
    says: 'is not a GUID or domain name',
    fix: 'Setup step 4',
  },
  {
    name: 'admin consent never granted (no service principal)',
    graph: () => APPS.noConsent,
    step: 'token',
    category: 'credentials',
    code: 'AADSTS7000229',
    says: 'has no service principal in this tenant',
    fix: 'Grant admin consent',
  },
  {
    name: 'a certificate that is not uploaded to the app',
    graph: (f) => certificateApp(f.strayCertificate),
    step: 'token',
    category: 'credentials',
    code: 'AADSTS700027',
    says: 'it is not uploaded to the app registration',
    fix: 'Setup step 3',
  },
  {
    name: "this server's clock an hour off (certificate sign-in)",
    graph: (f) => certificateApp(f.certificate),
    clockSkewSeconds: 3600,
    step: 'token',
    category: 'credentials',
    code: 'AADSTS700024',
    says: "Fix: synchronise this server's clock (NTP)",
    fix: 'NTP',
  },
  // Sending (Graph error codes)
  {
    name: 'Mail.Send added as a Delegated permission',
    graph: () => APPS.delegatedOnly,
    step: 'test-send',
    category: 'permission',
    code: 'ErrorAccessDenied',
    says: 'Delegated instead of an Application permission',
    fix: 'Setup step 2',
  },
  {
    name: 'a sender outside the application access policy',
    graph: () => ({ senderEmail: MAILBOXES.blocked }),
    step: 'test-send',
    category: 'policy-denied',
    code: 'ErrorAccessDenied',
    says: `Sender ${MAILBOXES.blocked} is blocked by an Exchange application access policy for app ${APPS.good.clientId}`,
    fix: 'Setup step 7',
  },
  {
    name: 'a sender address that is not a mailbox of the tenant',
    graph: () => ({ senderEmail: 'ghost@contoso.example' }),
    step: 'test-send',
    category: 'sender-mailbox',
    code: 'ErrorInvalidUser',
    says: 'Sender ghost@contoso.example is not a user in this Microsoft 365 tenant',
    fix: 'Setup step 5',
  },
  {
    name: 'an inactive or unlicensed sender mailbox',
    graph: () => ({ senderEmail: MAILBOXES.inactive }),
    step: 'test-send',
    category: 'sender-mailbox',
    code: 'MailboxNotEnabledForRESTAPI',
    says: 'inactive, soft-deleted, unlicensed or on-premises',
    fix: 'licensed user or shared mailbox',
  },
  {
    name: 'admin consent missing for Mail.Send',
    graph: () => ({}),
    fault: sendFault(401, 'NoPermissionsInAccessToken', 'The token contains no permissions, or permissions can not be understood.'),
    step: 'test-send',
    category: 'permission',
    code: 'NoPermissionsInAccessToken',
    says: 'The app has no Mail.Send application permission',
    fix: 'Setup step 2',
  },
  {
    name: 'a from address other than the mailbox',
    graph: () => ({}),
    fault: sendFault(
      403,
      'ErrorSendAsDenied',
      'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account.',
    ),
    step: 'test-send',
    category: 'permission',
    code: 'ErrorSendAsDenied',
    says: 'may not send as info@contoso.example (no SendAs right)',
    fix: "mailbox's own primary address",
  },
  {
    name: 'a mailbox that does not exist',
    graph: () => ({}),
    fault: sendFault(404, 'ResourceNotFound', 'Resource could not be discovered.'),
    step: 'test-send',
    category: 'sender-mailbox',
    code: 'ResourceNotFound',
    says: 'has no mailbox in this tenant',
    fix: 'Setup step 5',
  },
  {
    name: 'a full sender mailbox',
    graph: () => ({}),
    fault: sendFault(403, 'ErrorQuotaExceeded', 'The mailbox quota has been exceeded.'),
    step: 'test-send',
    category: 'sender-mailbox',
    code: 'ErrorQuotaExceeded',
    says: 'mailbox is full',
    fix: 'raise its quota',
  },
  {
    name: 'a recipient Graph cannot resolve',
    graph: () => ({}),
    fault: sendFault(400, 'ErrorInvalidRecipients', "At least one recipient isn't valid."),
    step: 'test-send',
    category: 'invalid-recipient',
    code: 'ErrorInvalidRecipients',
    says: 'Graph refused a recipient address',
    fix: 'valid, resolvable address',
  },
  {
    name: 'a custom header without x-',
    graph: () => ({}),
    fault: sendFault(400, 'InvalidInternetMessageHeader', 'The internet message header name should start with x- or X-.'),
    step: 'test-send',
    category: 'invalid-message',
    code: 'InvalidInternetMessageHeader',
    says: 'names must start with x-',
    fix: '',
  },
  {
    name: 'more than five custom headers',
    graph: () => ({}),
    fault: sendFault(
      400,
      'InvalidInternetMessageHeaderCollection',
      'Maximum number of headers in one message should be less than or equal to 5.',
    ),
    step: 'test-send',
    category: 'invalid-message',
    code: 'InvalidInternetMessageHeaderCollection',
    says: 'at most 5 are allowed',
    fix: '',
  },
  {
    name: 'a message over 4 MB',
    graph: () => ({}),
    fault: sendFault(413, 'RequestEntityTooLarge', 'The maximum request length supported is 4MB.'),
    step: 'test-send',
    category: 'too-large',
    code: 'RequestEntityTooLarge',
    says: 'larger than Graph accepts in one request (4 MB',
    fix: '',
  },
];
