// The JSON wire format between the chaos store service and its clients: store calls by name, with Dates kept as Dates.

/** The store calls the service answers; the names of the DeliveryStore, SettingsStore and GraphAccountLister methods. */
export const STORE_METHODS = ['startAttempt', 'finishAttempt', 'find', 'findAccount', 'findUser', 'listGraphAccountIds'] as const;
export type StoreMethod = (typeof STORE_METHODS)[number];

/** Answered with 503 while the service plays "MongoDB is down". */
export const STORE_DOWN_STATUS = 503;
/** Answered when the delivery store threw DeliveryRecordNotFoundError, so the client can throw it again. */
export const RECORD_NOT_FOUND_STATUS = 409;

export interface StoreErrorBody {
  error: { name: string; message: string; jobId?: string };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

/** JSON.parse reviver: `now` and every `…At` field (createdAt, sentAt, clientSecretExpiresAt, …) become Dates again. */
export function reviveDates(key: string, value: unknown): unknown {
  if (typeof value === 'string' && (key === 'now' || key.endsWith('At')) && ISO_DATE.test(value)) return new Date(value);
  return value;
}

export function isStoreMethod(name: string): name is StoreMethod {
  return (STORE_METHODS as readonly string[]).includes(name);
}
