// Index specifications for the stand-in: validated as MongoDB 6.0 validates them, compared for the 85/86 conflicts,
// and enforced when unique (partial unique indexes only over the documents their filter matches).
import type { Document } from 'bson';
import { CommandError, notImplemented } from './command-error';
import { describeKeyValue, indexKeyOf, isPlainObject, readField } from './documents';
import { matcher } from './query-language';

export interface IndexSpec {
  v: number;
  key: Record<string, number>;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Document;
  expireAfterSeconds?: number;
  hidden?: boolean;
}

export const ID_INDEX: IndexSpec = { v: 2, key: { _id: 1 }, name: '_id_' };

/** Options that make an index a different index (its signature, since MongoDB 5.0); the others only change how it behaves. */
const KNOWN_OPTIONS = new Set([
  'v',
  'key',
  'name',
  'unique',
  'sparse',
  'partialFilterExpression',
  'expireAfterSeconds',
  'hidden',
  'background',
]);
/** MongoDB 6.0's partial filter operators ($or and $in came in 7.0). */
const PARTIAL_FILTER_OPERATORS = new Set(['$eq', '$exists', '$gt', '$gte', '$lt', '$lte', '$type', '$and']);

export function validateIndexSpec(raw: Document): IndexSpec {
  for (const option of Object.keys(raw)) {
    if (option === 'collation' || option === 'wildcardProjection') throw notImplemented(`The index option ${option}`);
    if (!KNOWN_OPTIONS.has(option)) {
      throw new CommandError(
        'InvalidIndexSpecificationOption',
        `The field '${option}' is not valid for an index specification. Specification: ${JSON.stringify(raw)}`,
      );
    }
  }
  if (typeof raw.name !== 'string' || raw.name === '') throw new CommandError('FailedToParse', 'The index name must be a non-empty string');
  if (!isPlainObject(raw.key) || Object.keys(raw.key).length === 0)
    throw new CommandError('CannotCreateIndex', 'Index keys cannot be empty.');
  const fields = Object.entries(raw.key);
  const wildcard = fields.some(([field]) => field === '$**' || field.endsWith('.$**'));
  for (const [field, direction] of fields) {
    if (typeof direction !== 'number' || direction === 0) throw notImplemented(`The index type ${JSON.stringify(direction)} on ${field}`);
  }
  if (wildcard && fields.length > 1) throw new CommandError('CannotCreateIndex', 'wildcard indexes cannot be compound before MongoDB 7.0');
  if (wildcard && raw.unique === true)
    throw new CommandError('CannotCreateIndex', "Index type 'wildcard' does not support the unique option");
  if (raw.sparse === true && raw.partialFilterExpression !== undefined) {
    throw new CommandError('CannotCreateIndex', "cannot mix 'partialFilterExpression' and 'sparse' options");
  }
  if (raw.partialFilterExpression !== undefined) checkPartialFilter(raw.partialFilterExpression, true);
  const spec: IndexSpec = { v: 2, key: raw.key as Record<string, number>, name: raw.name };
  if (raw.unique === true) spec.unique = true;
  if (raw.sparse === true) spec.sparse = true;
  if (raw.partialFilterExpression !== undefined) spec.partialFilterExpression = raw.partialFilterExpression as Document;
  if (typeof raw.expireAfterSeconds === 'number') spec.expireAfterSeconds = raw.expireAfterSeconds;
  if (raw.hidden === true) spec.hidden = true;
  return spec;
}

function checkPartialFilter(filter: unknown, topLevel: boolean): void {
  if (!isPlainObject(filter)) throw new CommandError('CannotCreateIndex', 'partialFilterExpression must be an object');
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and') {
      if (!topLevel || !Array.isArray(value))
        throw new CommandError('CannotCreateIndex', '$and only allowed at top level of a partial filter');
      value.forEach((item) => checkPartialFilter(item, false));
    } else if (key.startsWith('$')) {
      throw new CommandError('CannotCreateIndex', `Expression not supported in partial index: ${key}`);
    } else if (isPlainObject(value) && Object.keys(value).some((operator) => operator.startsWith('$'))) {
      for (const [operator, operand] of Object.entries(value)) {
        if (!PARTIAL_FILTER_OPERATORS.has(operator) || (operator === '$exists' && operand !== true)) {
          throw new CommandError('CannotCreateIndex', `Expression not supported in partial index: ${key} ${operator}`);
        }
      }
    }
  }
}

const signatureOf = (spec: IndexSpec) =>
  indexKeyOf({ key: spec.key, unique: spec.unique === true, sparse: spec.sparse === true, partial: spec.partialFilterExpression ?? null });
const behaviourOf = (spec: IndexSpec) => indexKeyOf({ ttl: spec.expireAfterSeconds ?? null, hidden: spec.hidden === true });

/** 'exists' when an identical index is there, 'create' when the spec is new; throws MongoDB's 85/86 conflicts. */
export function planIndex(existing: readonly IndexSpec[], requested: IndexSpec): 'exists' | 'create' {
  const describe = (spec: IndexSpec) => JSON.stringify(spec);
  const sameName = existing.find((index) => index.name === requested.name);
  if (sameName) {
    if (signatureOf(sameName) !== signatureOf(requested)) {
      throw new CommandError(
        'IndexKeySpecsConflict',
        'An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. ' +
          `Please refer to our documentation. Requested index: ${describe(requested)}, existing index: ${describe(sameName)}`,
      );
    }
    if (behaviourOf(sameName) !== behaviourOf(requested)) {
      throw new CommandError(
        'IndexOptionsConflict',
        `An equivalent index already exists with the same name but different options. Requested index: ${describe(requested)}, existing index: ${describe(sameName)}`,
      );
    }
    return 'exists';
  }
  const sameSignature = existing.find((index) => signatureOf(index) === signatureOf(requested));
  if (sameSignature) {
    throw new CommandError(
      'IndexOptionsConflict',
      behaviourOf(sameSignature) === behaviourOf(requested)
        ? `Index already exists with a different name: ${sameSignature.name}`
        : `An equivalent index already exists with a different name and options. Requested index: ${describe(requested)}, existing index: ${describe(sameSignature)}`,
    );
  }
  return 'create';
}

/** Throws E11000 when `candidate` would share a unique index key with another of `documents`. */
export function checkUnique(
  namespace: string,
  indexes: readonly IndexSpec[],
  documents: readonly Document[],
  candidate: Document,
  replacing?: Document,
): void {
  for (const index of indexes) {
    if (index.unique !== true && index.name !== ID_INDEX.name) continue;
    const inScope = scopeOf(index);
    if (!inScope(candidate)) continue;
    const fields = Object.keys(index.key);
    const keyOf = (document: Document) => fields.map((field) => indexKeyOf(readField(document, field))).join('|');
    const candidateKey = keyOf(candidate);
    const clash = documents.find((document) => document !== replacing && inScope(document) && keyOf(document) === candidateKey);
    if (clash) {
      const keyValue = Object.fromEntries(fields.map((field) => [field, readField(candidate, field) ?? null]));
      throw new CommandError(
        'DuplicateKey',
        `E11000 duplicate key error collection: ${namespace} index: ${index.name} dup key: ${describeKeyValue(keyValue)}`,
        {
          keyPattern: index.key,
          keyValue,
        },
      );
    }
  }
}

function scopeOf(index: IndexSpec): (document: Document) => boolean {
  if (index.partialFilterExpression) return matcher(index.partialFilterExpression);
  if (index.sparse) return (document) => Object.keys(index.key).some((field) => readField(document, field) !== undefined);
  return () => true;
}
