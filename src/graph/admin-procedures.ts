// The whole fix for failures an admin or IT must act on, one step or command per line, with the
// mailbox and app filled in. It goes to the delivery record, verify and `ops failed show`; the short
// reason only points to the runbook section (docs/runbook.md) that explains the same steps.

export const APP_REGISTRATION = 'Entra admin center > Identity > Applications > App registrations > (your app)';
const SCOPE_NAME = 'Omikai ERP senders';

/** Allowing `sender` for app `clientId` in Exchange Online: the legacy access policy, or RBAC for Applications. */
export function policyDeniedProcedure(sender: string, clientId: string): string {
  return [
    `Exchange Online does not let app ${clientId} send as ${sender}. In Exchange Online PowerShell (Connect-ExchangeOnline),`,
    'use the way the tenant restricts the app; changes take up to 30 minutes to apply.',
    'A. Legacy application access policy:',
    `  1. Find the policy's group: Get-ApplicationAccessPolicy | Where-Object AppId -eq '${clientId}' | Format-List Identity,AccessRight,ScopeIdentity`,
    `  2. Add the mailbox to that mail-enabled security group: Add-DistributionGroupMember -Identity "<ScopeIdentity>" -Member ${sender}`,
    `     or create a policy for a group that contains it: New-ApplicationAccessPolicy -AppId ${clientId} -PolicyScopeGroupId "<group e-mail address>" -AccessRight RestrictAccess -Description "${SCOPE_NAME}"`,
    '     (Set-ApplicationAccessPolicy -Identity "<policy Identity>" -Description "..." only edits the description.)',
    `  3. Check: Test-ApplicationAccessPolicy -Identity ${sender} -AppId ${clientId}   (AccessCheckResult must be Granted)`,
    'B. RBAC for Applications:',
    `  1. Once per tenant: New-ServicePrincipal -AppId ${clientId} -ObjectId "<Enterprise applications > (your app) > Object ID>"`,
    `  2. New-ManagementScope -Name "${SCOPE_NAME}" -RecipientRestrictionFilter "PrimarySmtpAddress -eq '${sender}'"`,
    `  3. New-ManagementRoleAssignment -App ${clientId} -Role "Application Mail.Send" -CustomResourceScope "${SCOPE_NAME}"`,
    `  4. Check: Test-ServicePrincipalAuthorization -Identity ${clientId} -Resource ${sender}   (InScope must be True)`,
    'Then retry the failed e-mails: ops retry --category policy-denied --force (or choose an allowed Sender e-mail).',
  ].join('\n');
}

/** Granting Mail.Send as an application permission with admin consent. */
export function mailSendPermissionProcedure(clientId: string | undefined): string {
  return [
    `1. ${APP_REGISTRATION}${clientId ? ` (Application (client) ID ${clientId})` : ''} > API permissions.`,
    '2. Add a permission > Microsoft Graph > Application permissions > Mail.Send > Add permissions',
    '   (a Mail.Send under "Delegated" does not count: remove it).',
    '3. Click "Grant admin consent for <organization>"; the Status column turns into a green check.',
    '4. Tokens issued before the consent lack the role: the worker gets a new one within the hour, or restart it.',
    '5. Check: npm run verify -- --account <id> --send-test <address>, then ops retry --category permission --force.',
  ].join('\n');
}
