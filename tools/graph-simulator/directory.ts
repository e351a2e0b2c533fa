// The simulated Entra directory: tenants, their app registrations and their Exchange mailboxes.

export interface SimulatorClient {
  clientId: string;
  clientSecret: string;
  /** App roles granted with admin consent; default ['Mail.Send']. */
  roles?: string[];
  /** The secret value is right but past its expiry (AADSTS7000222). */
  secretExpired?: boolean;
  /** The app exists but has no service principal in the tenant (AADSTS7000229). */
  noServicePrincipal?: boolean;
  /**
   * Certificates uploaded to the app registration (public PEM). A client assertion must be signed
   * with the private key of one of them, named by its thumbprint (else AADSTS700027).
   */
  certificates?: string[];
}

export interface SimulatorMailbox {
  address: string;
  /** An Exchange application access policy excludes this mailbox (403 "Access to OData is disabled."). */
  blockedByPolicy?: boolean;
  /** Inactive, soft-deleted, unlicensed or on-premises mailbox (404 MailboxNotEnabledForRESTAPI). */
  notEnabledForRest?: boolean;
}

export interface SimulatorTenant {
  /** Directory (tenant) ID, a GUID. */
  tenantId: string;
  /** Verified domain names that may stand in for the tenant ID in login URLs. */
  domains?: string[];
  clients: SimulatorClient[];
  mailboxes: SimulatorMailbox[];
}

export type TenantLookup =
  | { kind: 'found'; tenant: SimulatorTenant }
  /** A well-formed GUID that no configured tenant has (AADSTS90002). */
  | { kind: 'unknown-tenant' }
  /** Neither a GUID nor a configured domain (AADSTS900023). */
  | { kind: 'invalid-identifier' };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const DEFAULT_CLIENT_ROLES: readonly string[] = ['Mail.Send'];

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

export class TenantDirectory {
  constructor(private readonly tenants: readonly SimulatorTenant[]) {
    for (const tenant of tenants) {
      if (!isGuid(tenant.tenantId)) {
        throw new Error(`Simulator tenant ID '${tenant.tenantId}' is not a GUID; Entra tenant IDs always are.`);
      }
    }
  }

  /** Resolves the tenant segment of a login URL: a tenant ID or one of the tenant's domains. */
  lookUpTenant(idOrDomain: string): TenantLookup {
    const wanted = idOrDomain.toLowerCase();
    if (isGuid(wanted)) {
      const tenant = this.tenants.find((candidate) => candidate.tenantId.toLowerCase() === wanted);
      return tenant ? { kind: 'found', tenant } : { kind: 'unknown-tenant' };
    }
    const tenant = this.tenants.find((candidate) => (candidate.domains ?? []).some((domain) => domain.toLowerCase() === wanted));
    return tenant ? { kind: 'found', tenant } : { kind: 'invalid-identifier' };
  }

  findTenantById(tenantId: string): SimulatorTenant | undefined {
    const lookup = this.lookUpTenant(tenantId);
    return lookup.kind === 'found' ? lookup.tenant : undefined;
  }
}

export function findClient(tenant: SimulatorTenant, clientId: string): SimulatorClient | undefined {
  const wanted = clientId.toLowerCase();
  return tenant.clients.find((client) => client.clientId.toLowerCase() === wanted);
}

export function findMailbox(tenant: SimulatorTenant, address: string): SimulatorMailbox | undefined {
  const wanted = address.toLowerCase();
  return tenant.mailboxes.find((mailbox) => mailbox.address.toLowerCase() === wanted);
}
