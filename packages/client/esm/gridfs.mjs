// ESM entry of the GridFS payload store (needs the mongodb driver): the CommonJS build, re-exported.
export * from '../dist/cjs/gridfs.js';
