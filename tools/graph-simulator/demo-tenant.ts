// The tenant the standalone simulator serves when no --config is given (used by the demo).
import type { SimulatorTenant } from './directory';

export const DEMO_TENANT: SimulatorTenant = {
  tenantId: '11111111-1111-4111-8111-111111111111',
  domains: ['contoso.example'],
  // Mail.ReadWrite as well: the demo's draft-mode account creates drafts.
  clients: [
    { clientId: '22222222-2222-4222-8222-222222222222', clientSecret: 'demo-secret-value', roles: ['Mail.Send', 'Mail.ReadWrite'] },
  ],
  mailboxes: [{ address: 'info@contoso.example' }, { address: 'anna@contoso.example' }],
};
