// Types of the ESM GridFS entry: those of the CommonJS build it re-exports.
export * from '../dist/cjs/gridfs.js';
