// The errors the stand-in answers with: MongoDB's own codes and code names, so drivers and the code under test react as they would to MongoDB.
import type { Document } from 'bson';

/** The server error codes the stand-in uses (names as in MongoDB's error_codes.yml). */
export const ERROR_CODES = {
  BadValue: 2,
  FailedToParse: 9,
  TypeMismatch: 14,
  IllegalOperation: 20,
  ConflictingUpdateOperators: 40,
  NamespaceNotFound: 26,
  InvalidOptions: 72,
  CommandNotFound: 59,
  ImmutableField: 66,
  CannotCreateIndex: 67,
  IndexNotFound: 27,
  NamespaceExists: 48,
  CursorNotFound: 43,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  DuplicateKey: 11000,
  Location31249: 31249,
  InvalidIndexSpecificationOption: 197,
  /** What the stand-in answers for MongoDB features it does not implement: a test must not pass on them by accident. */
  NotImplementedByStandin: 115, // CommandNotSupported
} as const;

export type ErrorCodeName = keyof typeof ERROR_CODES;

export class CommandError extends Error {
  override name = 'CommandError';

  constructor(
    readonly codeName: ErrorCodeName,
    message: string,
    readonly extra: Document = {},
  ) {
    super(message);
  }

  get code(): number {
    return ERROR_CODES[this.codeName];
  }

  /** The fields of an error reply ({ok: 0, ...}) or of a writeErrors entry. */
  toDocument(): Document {
    const codeName = this.codeName === 'NotImplementedByStandin' ? 'CommandNotSupported' : this.codeName;
    return { errmsg: this.message, code: this.code, codeName, ...this.extra };
  }
}

/** For features the stand-in leaves out: says so, instead of answering something MongoDB would not. */
export function notImplemented(what: string): CommandError {
  return new CommandError('NotImplementedByStandin', `${what} is not implemented by the MongoDB stand-in (test/support/mongo-standin)`);
}
