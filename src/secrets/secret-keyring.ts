// The keys that encrypt secrets at rest: several may be configured for rotation; the first encrypts.
import { inspect } from 'node:util';

export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
const KEY_BYTES = 32;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** A key list that cannot be used; the message names the entry, never the key material. */
export class SecretKeyringError extends Error {
  override name = 'SecretKeyringError';
}

export interface SecretKey {
  id: string;
  key: Buffer;
}

/**
 * Holds the AES-256 keys by id. Printing or serialising it shows only the ids, so a config object
 * that ends up in a log line does not leak a key.
 */
export class SecretKeyring {
  readonly #keys: ReadonlyMap<string, Buffer>;
  /** The id new values are encrypted under. */
  readonly currentKeyId: string;

  constructor(keys: readonly SecretKey[]) {
    const [current] = keys;
    if (!current) throw new SecretKeyringError('At least one encryption key is needed.');
    const map = new Map<string, Buffer>();
    for (const { id, key } of keys) {
      // Not quoted: an id that fails the pattern is often a key written before its id.
      if (!KEY_ID_PATTERN.test(id)) throw new SecretKeyringError('A key id must be 1-32 letters, digits, - or _.');
      if (map.has(id)) throw new SecretKeyringError(`Key id "${id}" is listed twice.`);
      if (key.length !== KEY_BYTES) throw new SecretKeyringError(`Key "${id}" has ${key.length} bytes; AES-256 needs ${KEY_BYTES}.`);
      map.set(id, Buffer.from(key));
    }
    this.#keys = map;
    this.currentKeyId = current.id;
  }

  keyFor(id: string): Buffer | undefined {
    return this.#keys.get(id);
  }

  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  toJSON(): { currentKeyId: string; keyIds: string[] } {
    return { currentKeyId: this.currentKeyId, keyIds: this.keyIds };
  }

  [inspect.custom](): string {
    return `SecretKeyring { currentKeyId: '${this.currentKeyId}', keyIds: [${this.keyIds.map((id) => `'${id}'`).join(', ')}] }`;
  }
}

/**
 * Reads `"k2:<base64>,k1:<base64>"` (the first key encrypts, the others still decrypt). A single
 * entry without an id (`"<base64>"`) gets `defaultKeyId`. Keys are 32 random bytes in base64
 * (`openssl rand -base64 32`).
 */
export function parseKeyring(spec: string, defaultKeyId = 'k1'): SecretKeyring {
  const entries = spec
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new SecretKeyringError('No key is given.');
  // Messages name entries by position and show ids only once they pass the id pattern: a key
  // written in the wrong place must not reach the error output.
  const keys = entries.map((entry, index) => {
    const separator = entry.indexOf(':');
    if (separator < 0 && entries.length > 1) {
      throw new SecretKeyringError(`Entry ${index + 1} has no key id; write each entry as <id>:<base64 key>.`);
    }
    const id = separator < 0 ? defaultKeyId : entry.slice(0, separator).trim();
    const encoded = separator < 0 ? entry : entry.slice(separator + 1).trim();
    if (!KEY_ID_PATTERN.test(id)) {
      throw new SecretKeyringError(
        `Entry ${index + 1} does not start with a key id (1-32 letters, digits, - or _); write each entry as <id>:<base64 key>, id first. ` +
          'The entry is not shown: it holds a key.',
      );
    }
    if (!BASE64.test(encoded)) {
      throw new SecretKeyringError(
        `Entry ${index + 1} (key "${id}") is not base64; write each entry as <id>:<base64 key> (create a key with: openssl rand -base64 32).`,
      );
    }
    return { id, key: Buffer.from(encoded.replace(/-/g, '+').replace(/_/g, '/'), 'base64') };
  });
  return new SecretKeyring(keys);
}
