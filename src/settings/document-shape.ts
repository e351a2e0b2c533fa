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
  // Optional settings: a shape that leaves one out simply has no such setting.
  /** global | usgov | usgov-dod | china: overrides MS_GRAPH_CLOUD for this account. */
  'account.cloud'?: string;
  /** The secret's expiry date as the portal shows it (Date or ISO text), recorded by the admin. */
  'account.clientSecretExpiresAt'?: string;
  /** PEM private key of a certificate credential (stored encrypted, like the client secret). */
  'account.certificatePrivateKey'?: string;
  /** SHA-256 thumbprint of the certificate (hex). */
  'account.certificateThumbprint'?: string;
  /** The public certificate (PEM): thumbprint and expiry are read from it. */
  'account.certificatePem'?: string;
  'account.certificateExpiresAt'?: string;
  /**
   * The domains a user's own Sender e-mail may be at (an array, or text separated by commas); a user
   * sender outside them sends as the account instead. Absent or empty: no restriction.
   */
  'account.allowedSenderDomains'?: string;
  /** direct (sendMail, the default) | draft | auto: how the account's e-mails reach Graph. */
  'account.sendMode'?: string;
  /** The mailbox's MaxSendSize in MB as IT configured it (default 35); the encoded message must fit. */
  'account.maxSendSizeMb'?: string;
}

/** The settings that hold secrets: encrypted at rest, never logged. */
export const SECRET_SETTINGS = ['account.clientSecret', 'account.certificatePrivateKey'] as const;
export type SecretSetting = (typeof SECRET_SETTINGS)[number];

export interface SettingsDocumentShape {
  accountsCollection: string;
  usersCollection: string;
  fields: SettingsFieldPaths;
  /** The value of the e-mail provider field that means "Microsoft Graph". */
  graphProviderValue: string;
}

export const DEFAULT_FIELD_PATHS: Required<SettingsFieldPaths> = {
  'account.emailProvider': 'emailProvider',
  'account.tenantId': 'microsoftGraph.tenantId',
  'account.clientId': 'microsoftGraph.clientId',
  'account.clientSecret': 'microsoftGraph.clientSecret',
  'account.senderEmail': 'microsoftGraph.senderEmail',
  'user.accountId': 'accountId',
  'user.emailProvider': 'emailProvider',
  'user.senderEmail': 'microsoftGraph.senderEmail',
  'account.cloud': 'microsoftGraph.cloud',
  'account.clientSecretExpiresAt': 'microsoftGraph.clientSecretExpiresAt',
  'account.certificatePrivateKey': 'microsoftGraph.certificate.privateKey',
  'account.certificateThumbprint': 'microsoftGraph.certificate.thumbprintSha256',
  'account.certificatePem': 'microsoftGraph.certificate.pem',
  'account.certificateExpiresAt': 'microsoftGraph.certificate.expiresAt',
  'account.allowedSenderDomains': 'microsoftGraph.allowedSenderDomains',
  'account.sendMode': 'microsoftGraph.sendMode',
  'account.maxSendSizeMb': 'microsoftGraph.maxSendSizeMb',
};

export const DEFAULT_DOCUMENT_SHAPE: SettingsDocumentShape = {
  accountsCollection: 'accounts',
  usersCollection: 'users',
  fields: DEFAULT_FIELD_PATHS,
  graphProviderValue: 'microsoft-graph',
};

/**
 * A document's `_id` as text: an ObjectId as its hex string, anything else as String() gives it.
 * Secrets are bound to this text, so both stores must read ids the same way.
 */
export function idText(id: unknown): string {
  if (id !== null && typeof id === 'object' && 'toHexString' in id) return (id as { toHexString(): string }).toHexString();
  return String(id);
}

/** Reads a dotted path ("microsoftGraph.tenantId") out of a stored document. */
export function readPath(document: unknown, path: string): unknown {
  let value: unknown = document;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * A trimmed, non-empty string at `path`, or undefined: blank settings count as missing. ERP ids may be
 * numbers or ObjectIds; they read as their decimal or hex text.
 */
export function readText(document: unknown, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  const value = readPath(document, path);
  if (typeof value === 'string') return value.trim() || undefined;
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint') return String(value);
  if (value !== null && typeof value === 'object' && 'toHexString' in value) {
    return (value as { toHexString(): string }).toHexString();
  }
  return undefined;
}

/** Entries a list setting keeps, and the longest entry: a list is capped before it is split or matched. */
const MAX_LIST_ENTRIES = 100;
const MAX_LIST_TEXT_LENGTH = 100 * 256;

/**
 * A list of trimmed, non-empty strings at `path`, stored as an array or as text separated by commas,
 * semicolons or spaces; undefined when there is none. Non-string entries are skipped.
 */
export function readTextList(document: unknown, path: string | undefined): string[] | undefined {
  if (path === undefined) return undefined;
  const value = readPath(document, path);
  let entries: unknown[];
  if (Array.isArray(value)) entries = value.slice(0, MAX_LIST_ENTRIES);
  else if (typeof value === 'string') entries = value.slice(0, MAX_LIST_TEXT_LENGTH).split(/[\s,;]+/, MAX_LIST_ENTRIES);
  else return undefined;
  const list = entries.flatMap((entry) => (typeof entry === 'string' && entry.trim() !== '' ? [entry.trim()] : []));
  return list.length > 0 ? list : undefined;
}

/** A date stored as a Date, ISO text or epoch ms; text that is no date reads as an Invalid Date, so it can be reported. */
export function readDate(document: unknown, path: string | undefined): Date | undefined {
  if (path === undefined) return undefined;
  const value = readPath(document, path);
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  if (typeof value === 'string' && value.trim() !== '') return new Date(value.trim());
  return undefined;
}

/** Sets a dotted path in a plain document, creating the objects on the way (memory store only). */
export function writePath(document: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let target: Record<string, unknown> = document;
  for (const key of keys.slice(0, -1)) {
    const next = target[key];
    if (next === null || typeof next !== 'object') target[key] = {};
    target = target[key] as Record<string, unknown>;
  }
  target[keys[keys.length - 1]!] = value;
}
