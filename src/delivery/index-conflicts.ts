// Explains an index conflict at start-up (MongoDB codes 85 and 86): which existing index is in the way of which
// index the worker needs, why, and the one command that fixes it.
import { toError } from '@omikai/graph-mailer-client';

/** IndexOptionsConflict: the same keys exist under another name or options. */
const INDEX_OPTIONS_CONFLICT = 85;
/** IndexKeySpecsConflict: the name exists with other keys or identifying options. */
const INDEX_KEY_SPECS_CONFLICT = 86;
/** Options that decide what an index does, compared between the wanted and the existing index. */
const COMPARED_OPTIONS = ['unique', 'sparse', 'partialFilterExpression', 'expireAfterSeconds', 'collation'] as const;

export interface ExistingIndex {
  name: string;
  key: Record<string, unknown>;
  [option: string]: unknown;
}

/** [keys, options] as mongoose's schema.indexes() lists them. */
export type WantedIndex = [Record<string, unknown>, Record<string, unknown>];

export interface IndexConflict {
  existing: ExistingIndex;
  wanted: { name: string; key: Record<string, unknown>; options: Record<string, unknown> };
  why: string;
}

export function isIndexConflict(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  return code === INDEX_OPTIONS_CONFLICT || code === INDEX_KEY_SPECS_CONFLICT;
}

export class IndexConflictError extends Error {
  override name = 'IndexConflictError';

  constructor(
    readonly collection: string,
    readonly conflict: IndexConflict | undefined,
    cause: unknown,
  ) {
    const server = toError(cause).message;
    super(
      conflict
        ? `The index "${conflict.existing.name}" on collection "${collection}" is in the way of the index the worker needs: ${conflict.why}. ` +
            `Fix, with the workers stopped: db.getCollection(${JSON.stringify(collection)}).dropIndex(${JSON.stringify(conflict.existing.name)}) ` +
            `— the worker creates the index it needs when it starts. (MongoDB: ${server})`
        : `An existing index on collection "${collection}" conflicts with the indexes the worker needs (${server}); ` +
            `compare db.getCollection(${JSON.stringify(collection)}).getIndexes() with the list in docs/mongodb.md and drop the one that differs.`,
      { cause },
    );
  }
}

/** Pure: the first existing index that blocks a wanted one (same name with other keys or options, or same keys under another name). */
export function findIndexConflict(wanted: readonly WantedIndex[], existing: readonly ExistingIndex[]): IndexConflict | undefined {
  for (const [key, options] of wanted) {
    const name = typeof options.name === 'string' ? options.name : defaultIndexName(key);
    const want = { name, key, options: pickCompared(options) };
    const describeWanted = `the worker needs ${describeIndex(key, want.options)} named "${name}"`;
    const sameName = existing.find((index) => index.name === name);
    if (sameName) {
      if (!sameKeys(sameName.key, key)) {
        return {
          existing: sameName,
          wanted: want,
          why: `it has the same name but indexes ${JSON.stringify(sameName.key)}; ${describeWanted}`,
        };
      }
      if (!sameOptions(pickCompared(sameName), want.options)) {
        return {
          existing: sameName,
          wanted: want,
          why: `it has the same name and keys but ${describeOptions(pickCompared(sameName))}; ${describeWanted}`,
        };
      }
      continue;
    }
    const sameKeysOtherName = existing.find((index) => index.name !== '_id_' && sameKeys(index.key, key));
    if (sameKeysOtherName) {
      return {
        existing: sameKeysOtherName,
        wanted: want,
        why: `it indexes the same keys (${describeIndex(sameKeysOtherName.key, pickCompared(sameKeysOtherName))}) under another name; ${describeWanted}`,
      };
    }
  }
  return undefined;
}

/** The name MongoDB's drivers give an index without one: each key and its direction, joined by "_". */
export function defaultIndexName(key: Record<string, unknown>): string {
  return Object.entries(key)
    .map(([field, direction]) => `${field}_${String(direction)}`)
    .join('_');
}

function pickCompared(options: Record<string, unknown>): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const option of COMPARED_OPTIONS) {
    const value = options[option];
    // unique: false and sparse: false mean the same as leaving them out.
    if (value !== undefined && value !== false) picked[option] = value;
  }
  return picked;
}

function sameKeys(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const aEntries = Object.entries(a);
  const bEntries = Object.entries(b);
  return (
    aEntries.length === bEntries.length &&
    aEntries.every(([field, direction], i) => bEntries[i]?.[0] === field && Number(bEntries[i]?.[1]) === Number(direction))
  );
}

function sameOptions(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function describeIndex(key: Record<string, unknown>, options: Record<string, unknown>): string {
  return `${JSON.stringify(key)} ${describeOptions(options)}`;
}

function describeOptions(options: Record<string, unknown>): string {
  return Object.keys(options).length === 0 ? 'without options' : `with ${JSON.stringify(options)}`;
}
