// Where the ERP keeps each e-mail setting inside its account and user documents.
// The ERP owns these collections, so every path can be changed through configuration.

export interface SettingsFieldPaths {
  'account.emailProvider': string;
  'account.tenantId': string;
  'account.clientId': string;
  'account.clientSecret': string;
  'account.senderEmail': string;
  'user.accountId': string;
  'user.emailProvider': string;
  'user.senderEmail': string;
}

export interface SettingsDocumentShape {
  accountsCollection: string;
  usersCollection: string;
  fields: SettingsFieldPaths;
  /** The value of the e-mail provider field that means "Microsoft Graph". */
  graphProviderValue: string;
}

export const DEFAULT_FIELD_PATHS: SettingsFieldPaths = {
  'account.emailProvider': 'emailProvider',
  'account.tenantId': 'microsoftGraph.tenantId',
  'account.clientId': 'microsoftGraph.clientId',
  'account.clientSecret': 'microsoftGraph.clientSecret',
  'account.senderEmail': 'microsoftGraph.senderEmail',
  'user.accountId': 'accountId',
  'user.emailProvider': 'emailProvider',
  'user.senderEmail': 'microsoftGraph.senderEmail',
};

export const DEFAULT_DOCUMENT_SHAPE: SettingsDocumentShape = {
  accountsCollection: 'accounts',
  usersCollection: 'users',
  fields: DEFAULT_FIELD_PATHS,
  graphProviderValue: 'microsoft-graph',
};

/** Reads a dotted path ("microsoftGraph.tenantId") out of a stored document. */
export function readPath(document: unknown, path: string): unknown {
  let value: unknown = document;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** A trimmed, non-empty string at `path`, or undefined: blank settings count as missing. */
export function readText(document: unknown, path: string): string | undefined {
  const value = readPath(document, path);
  if (typeof value === 'string') return value.trim() || undefined;
  if (value !== null && typeof value === 'object' && 'toHexString' in value) {
    return (value as { toHexString(): string }).toHexString();
  }
  return undefined;
}
