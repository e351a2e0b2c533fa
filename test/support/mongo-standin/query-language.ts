// MongoDB's query, update and pipeline language for the stand-in: mingo does the evaluating; this file refuses
// what mingo would evaluate differently from MongoDB, so no test passes on a difference.
import { Aggregator, Query, update as mingoUpdate, updateOne as mingoUpdateOne } from 'mingo';
import type { Document } from 'bson';
import { CommandError, notImplemented } from './command-error';
import { cloneDocument, isPlainObject } from './documents';

const QUERY_OPERATORS = new Set([
  '$eq',
  '$ne',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$in',
  '$nin',
  '$exists',
  '$type',
  '$and',
  '$or',
  '$nor',
  '$not',
  '$regex',
  '$options',
  '$all',
  '$size',
  '$elemMatch',
  '$mod',
  '$expr',
]);
/** $type aliases whose JS representation mingo recognises; ObjectId, Long, Binary and the rest it does not. */
const TYPE_ALIASES = new Map<unknown, string>([
  ['string', 'string'],
  [2, 'string'],
  ['bool', 'bool'],
  [8, 'bool'],
  ['date', 'date'],
  [9, 'date'],
  ['null', 'null'],
  [10, 'null'],
]);
const UPDATE_OPERATORS = new Set([
  '$set',
  '$unset',
  '$inc',
  '$min',
  '$max',
  '$mul',
  '$push',
  '$pull',
  '$addToSet',
  '$pop',
  '$rename',
  '$currentDate',
  '$setOnInsert',
]);
const UPDATE_PIPELINE_STAGES = new Set(['$set', '$addFields', '$unset', '$project', '$replaceRoot', '$replaceWith']);
const AGGREGATION_STAGES = new Set([
  '$match',
  '$group',
  '$sort',
  '$limit',
  '$skip',
  '$project',
  '$set',
  '$addFields',
  '$unset',
  '$count',
  '$replaceRoot',
  '$replaceWith',
  '$unwind',
]);

export type Filter = Document;

/** Throws for filter operators the stand-in does not evaluate the way MongoDB does. */
export function checkFilter(filter: unknown): void {
  if (Array.isArray(filter)) return filter.forEach(checkFilter);
  if (!isPlainObject(filter)) return;
  for (const [key, value] of Object.entries(filter)) {
    if (key.startsWith('$')) {
      if (!QUERY_OPERATORS.has(key)) throw notImplemented(`The query operator ${key}`);
      if (key === '$type') checkTypeOperand(value);
      if (key === '$expr') continue;
    }
    checkFilter(value);
  }
}

function checkTypeOperand(value: unknown): void {
  for (const alias of Array.isArray(value) ? value : [value]) {
    if (!TYPE_ALIASES.has(alias)) throw notImplemented(`$type ${JSON.stringify(alias)}`);
  }
}

export function matcher(filter: Filter): (document: Document) => boolean {
  checkFilter(filter);
  const query = new Query(filter);
  return (document) => query.test(document);
}

export interface FindOptions {
  sort?: Document;
  skip?: number;
  limit?: number;
  projection?: Document;
}

export function findDocuments(documents: Document[], filter: Filter, { sort, skip, limit, projection }: FindOptions): Document[] {
  checkFilter(filter);
  if (projection && Object.keys(projection).length > 0) checkProjection(projection);
  let cursor = new Query(filter).find<Document>(documents, projection && Object.keys(projection).length > 0 ? projection : undefined);
  if (sort && Object.keys(sort).length > 0) cursor = cursor.sort(sort as Record<string, 1 | -1>);
  if (skip) cursor = cursor.skip(skip);
  if (limit) cursor = cursor.limit(limit);
  return cursor.all().map(cloneDocument);
}

/** The stored documents themselves (not copies) that match, in `sort` order: for writes that pick one. */
export function selectDocuments(documents: Document[], filter: Filter, sort?: Document): Document[] {
  checkFilter(filter);
  let cursor = new Query(filter).find<Document>(documents);
  if (sort && Object.keys(sort).length > 0) cursor = cursor.sort(sort as Record<string, 1 | -1>);
  return cursor.all();
}

/** MongoDB 4.4+ refuses a projection naming a path and a path inside it ("Path collision at a.b"). */
function checkProjection(projection: Document): void {
  const paths = Object.keys(projection).sort();
  for (const path of paths) {
    const parent = paths.find((other) => path.startsWith(`${other}.`));
    if (parent) throw new CommandError('Location31249', `Path collision at ${path} remaining portion ${path.slice(parent.length + 1)}`);
  }
}

export function runPipeline(documents: Document[], pipeline: Document[]): Document[] {
  for (const stage of pipeline) {
    const name = Object.keys(stage)[0] ?? '';
    if (!AGGREGATION_STAGES.has(name)) throw notImplemented(`The aggregation stage ${name}`);
    if (name === '$match') checkFilter(stage.$match);
  }
  return new Aggregator(pipeline).run(documents.map(cloneDocument)) as Document[];
}

export type UpdateSpec = Document | Document[];

/** 'operators', 'pipeline' or 'replacement', refusing what MongoDB refuses (mixed operators and fields, conflicting paths). */
export function updateKind(update: UpdateSpec): 'operators' | 'pipeline' | 'replacement' {
  if (Array.isArray(update)) {
    for (const stage of update) {
      const name = Object.keys(stage)[0] ?? '';
      if (!UPDATE_PIPELINE_STAGES.has(name)) {
        throw new CommandError('InvalidOptions', `${name} is not allowed to be used within an update`);
      }
    }
    return 'pipeline';
  }
  const keys = Object.keys(update);
  const operators = keys.filter((key) => key.startsWith('$'));
  if (operators.length === 0) return 'replacement';
  if (operators.length !== keys.length)
    throw new CommandError('FailedToParse', `Unknown modifier: ${keys.find((key) => !key.startsWith('$'))}`);
  const seen: string[] = [];
  for (const operator of operators) {
    if (!UPDATE_OPERATORS.has(operator))
      throw new CommandError(
        'FailedToParse',
        `Unknown modifier: ${operator}. Expected a valid update modifier or pipeline-style update specified as an array`,
      );
    for (const path of Object.keys(update[operator] as Document)) {
      const clash = seen.find((other) => other === path || other.startsWith(`${path}.`) || path.startsWith(`${other}.`));
      if (clash !== undefined) {
        throw new CommandError('ConflictingUpdateOperators', `Updating the path '${path}' would create a conflict at '${clash}'`);
      }
      seen.push(path);
    }
  }
  return 'operators';
}

/** The document after `update`, as a new object; `inserting` applies $setOnInsert (an upsert's insert). */
export function applyUpdate(document: Document, update: UpdateSpec, options: { inserting: boolean; arrayFilters?: Document[] }): Document {
  const kind = updateKind(update);
  if (kind === 'replacement') return { _id: document._id, ...cloneDocument(update as Document) };
  const updated = cloneDocument(document);
  if (kind === 'pipeline') {
    // mingo puts a pipeline's result in the array's place rather than changing the object.
    const holder = [updated];
    mingoUpdateOne(holder, {}, cloneDocument(update as Document[]) as never, { cloneMode: 'none' });
    return holder[0]!;
  }
  const { $setOnInsert, ...operators } = update as Document;
  const effective =
    options.inserting && $setOnInsert
      ? { ...operators, $set: { ...(operators.$set as Document), ...($setOnInsert as Document) } }
      : operators;
  if (Object.keys(effective).length > 0) {
    mingoUpdate(updated, cloneDocument(effective) as never, options.arrayFilters as never, undefined, { cloneMode: 'none' });
  }
  return updated;
}
