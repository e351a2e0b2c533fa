// The stand-in's write commands: insert, update (operators, replacements, pipelines, upserts), delete and findAndModify.
// Each command runs without yielding, so every write is atomic, as one document write is in MongoDB.
import { ObjectId, type Document } from 'bson';
import { CommandError, notImplemented } from './command-error';
import { cloneDocument, isPlainObject, writeField } from './documents';
import type { StandinCollection } from './collections';
import { applyUpdate, findDocuments, matcher, selectDocuments, updateKind, type UpdateSpec } from './query-language';
import { checkFeature, type CommandContext } from './standin-context';

interface WriteOutcome {
  n: number;
  nModified?: number;
  upserted?: Document[];
  writeErrors?: Document[];
}

/** Runs each item; an error is recorded as a writeErrors entry, and stops the rest when the batch is ordered. */
function runBatch<T>(items: T[], ordered: boolean, outcome: WriteOutcome, apply: (item: T, index: number) => void): Document {
  for (const [index, item] of items.entries()) {
    try {
      apply(item, index);
    } catch (err: unknown) {
      if (!(err instanceof CommandError)) throw err;
      const { codeName: _codeName, ...error } = err.toDocument();
      (outcome.writeErrors ??= []).push({ index, ...error });
      if (ordered) break;
    }
  }
  return { ...outcome };
}

function checkWriteOptions(command: Document): void {
  if (command.collation !== undefined) throw notImplemented('collation');
}

export function insert(command: Document, { catalog, database }: CommandContext): Document {
  checkWriteOptions(command);
  const documents = command.documents as Document[];
  if (!Array.isArray(documents) || documents.length === 0)
    throw new CommandError('InvalidOptions', 'Write batch sizes must be between 1 and 100000');
  const { collection } = catalog.obtain(database, String(command.insert));
  const outcome: WriteOutcome = { n: 0 };
  return runBatch(documents, command.ordered !== false, outcome, (document) => {
    checkStorable(document);
    collection.insert(document._id === undefined ? { _id: new ObjectId(), ...document } : cloneDocument(document));
    outcome.n += 1;
  });
}

/** Field names MongoDB refuses in a stored document. */
function checkStorable(document: Document): void {
  for (const key of Object.keys(document)) {
    if (key.startsWith('$')) throw new CommandError('BadValue', `Document can't have $ prefixed field names: ${key}`);
  }
}

interface UpdateStatement {
  q: Document;
  u: UpdateSpec;
  upsert?: boolean;
  multi?: boolean;
  arrayFilters?: Document[];
  collation?: Document;
}

export function update(command: Document, context: CommandContext): Document {
  const { catalog, database } = context;
  checkWriteOptions(command);
  const statements = command.updates as UpdateStatement[];
  const { collection } = catalog.obtain(database, String(command.update));
  const outcome: WriteOutcome = { n: 0, nModified: 0 };
  return runBatch(statements, command.ordered !== false, outcome, (statement, index) => {
    if (statement.collation !== undefined) throw notImplemented('collation');
    const kind = updateKind(statement.u);
    if (kind === 'pipeline') checkFeature(context, 'update-pipelines');
    if (statement.multi && kind === 'replacement')
      throw new CommandError('FailedToParse', 'multi update is not supported for replacement-style update');
    const matches = matcher(statement.q ?? {});
    const targets = collection.documents.filter(matches);
    const chosen = statement.multi ? targets : targets.slice(0, 1);
    if (chosen.length === 0 && statement.upsert) {
      const inserted = upsertDocument(collection, statement.q ?? {}, statement.u, statement.arrayFilters);
      outcome.n += 1;
      (outcome.upserted ??= []).push({ index, _id: inserted._id });
      return;
    }
    for (const current of chosen) {
      const next = applyUpdate(current, statement.u, {
        inserting: false,
        ...(statement.arrayFilters ? { arrayFilters: statement.arrayFilters } : {}),
      });
      outcome.n += 1;
      if (sameDocument(current, next)) continue;
      collection.replace(current, next);
      outcome.nModified! += 1;
    }
  });
}

function sameDocument(a: Document, b: Document): boolean {
  return JSON.stringify(a) === JSON.stringify(b) && JSON.stringify(Object.keys(a)) === JSON.stringify(Object.keys(b));
}

/** An upsert's new document: the query's equality fields, then the update applied as an insert. */
function upsertDocument(collection: StandinCollection, query: Document, spec: UpdateSpec, arrayFilters?: Document[]): Document {
  const base: Document = {};
  collectEqualities(query, base);
  let next = applyUpdate(base, spec, { inserting: true, ...(arrayFilters ? { arrayFilters } : {}) });
  if (next._id === undefined) next = { _id: new ObjectId(), ...next };
  checkStorable(next);
  collection.insert(next);
  return next;
}

function collectEqualities(query: Document, into: Document): void {
  for (const [field, condition] of Object.entries(query)) {
    if (field === '$and' && Array.isArray(condition)) condition.forEach((part) => collectEqualities(part as Document, into));
    if (field.startsWith('$')) continue;
    const operators = isPlainObject(condition) ? Object.keys(condition).filter((key) => key.startsWith('$')) : [];
    if (operators.length === 0) writeField(into, field, cloneDocument(condition));
    else if (isPlainObject(condition) && '$eq' in condition) writeField(into, field, cloneDocument(condition.$eq));
  }
}

export function deleteCommand(command: Document, { catalog, database }: CommandContext): Document {
  checkWriteOptions(command);
  const statements = command.deletes as { q: Document; limit: number; collation?: Document }[];
  const collection = catalog.find(database, String(command.delete));
  const outcome: WriteOutcome = { n: 0 };
  return runBatch(statements, command.ordered !== false, outcome, (statement) => {
    if (statement.collation !== undefined) throw notImplemented('collation');
    if (statement.limit !== 0 && statement.limit !== 1)
      throw new CommandError('FailedToParse', 'The limit field in delete objects must be 0 or 1');
    if (!collection) return;
    const matches = matcher(statement.q ?? {});
    const targets = collection.documents.filter(matches);
    for (const document of statement.limit === 1 ? targets.slice(0, 1) : targets) {
      collection.remove(document);
      outcome.n += 1;
    }
  });
}

export function findAndModify(command: Document, context: CommandContext): Document {
  const { catalog, database } = context;
  checkWriteOptions(command);
  if (Array.isArray(command.update)) checkFeature(context, 'update-pipelines');
  const name = String(command.findAndModify ?? command.findandmodify);
  const remove = command.remove === true;
  const spec = command.update as UpdateSpec | undefined;
  if (remove === (spec !== undefined)) throw new CommandError('FailedToParse', 'Either an update or remove=true must be specified');
  if (remove && command.upsert) throw new CommandError('FailedToParse', 'Cannot specify both upsert=true and remove=true');
  if (remove && command.new)
    throw new CommandError('FailedToParse', "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document");
  const { collection } = catalog.obtain(database, name);
  const [current] = selectDocuments(collection.documents, (command.query as Document) ?? {}, command.sort as Document | undefined);
  const project = (document: Document | undefined) =>
    document === undefined || !command.fields
      ? (document ?? null)
      : (findDocuments([document], {}, { projection: command.fields as Document })[0] ?? null);

  if (remove) {
    if (current) collection.remove(current);
    return { lastErrorObject: { n: current ? 1 : 0 }, value: project(current) };
  }
  if (!current) {
    if (!command.upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null };
    const inserted = upsertDocument(collection, (command.query as Document) ?? {}, spec!, command.arrayFilters as Document[] | undefined);
    return { lastErrorObject: { n: 1, updatedExisting: false, upserted: inserted._id }, value: command.new ? project(inserted) : null };
  }
  const next = applyUpdate(current, spec!, {
    inserting: false,
    ...(command.arrayFilters ? { arrayFilters: command.arrayFilters as Document[] } : {}),
  });
  if (!sameDocument(current, next)) collection.replace(current, next);
  return { lastErrorObject: { n: 1, updatedExisting: true }, value: project(command.new ? next : current) };
}
