// Document helpers for the stand-in: copies, dotted paths, and the type-aware key values that unique indexes compare.
import { Binary, Decimal128, Long, ObjectId, type Document } from 'bson';

/** A deep copy that keeps BSON values (ObjectId, Binary, …) as they are: they are never changed in place. */
export function cloneDocument<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => cloneDocument(item)) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, cloneDocument(item)])) as T;
  }
  return value;
}

export function isPlainObject(value: unknown): value is Document {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

export function readField(document: Document, path: string): unknown {
  let value: unknown = document;
  for (const key of path.split('.')) {
    if (!isPlainObject(value)) return undefined;
    value = value[key];
  }
  return value;
}

export function writeField(document: Document, path: string, value: unknown): void {
  const keys = path.split('.');
  let target = document;
  for (const key of keys.slice(0, -1)) {
    if (!isPlainObject(target[key])) target[key] = {};
    target = target[key] as Document;
  }
  target[keys[keys.length - 1]!] = value;
}

/**
 * A string that is equal for two values exactly when MongoDB's index would find them equal: numbers
 * of any BSON type compare by value, a string never equals an ObjectId with the same hex.
 */
export function indexKeyOf(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'number') return `n:${Object.is(value, -0) ? 0 : value}`;
  if (typeof value === 'bigint') return `n:${value}`;
  if (value instanceof Long) return `n:${value.toString()}`;
  if (value instanceof Decimal128) return `n:${Number(value.toString())}`;
  if (typeof value === 'string') return `s:${JSON.stringify(value)}`;
  if (typeof value === 'boolean') return `b:${value}`;
  if (value instanceof Date) return `d:${value.getTime()}`;
  if (value instanceof ObjectId) return `o:${value.toHexString()}`;
  if (value instanceof Binary) return `x:${value.sub_type}:${Buffer.from(value.buffer).toString('base64')}`;
  if (Array.isArray(value)) return `a:[${value.map(indexKeyOf).join(',')}]`;
  if (isPlainObject(value)) return `O:{${Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}:${indexKeyOf(item)}`)}}`;
  return `?:${String(value)}`;
}

/** How MongoDB prints a key value in an E11000 message ({ accountId: "acct-1" }). */
export function describeKeyValue(keyValue: Document): string {
  const fields = Object.entries(keyValue).map(([key, value]) => `${key}: ${describeValue(value)}`);
  return `{ ${fields.join(', ')} }`;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof ObjectId) return `ObjectId('${value.toHexString()}')`;
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (value === undefined || value === null) return 'null';
  return String(value);
}
