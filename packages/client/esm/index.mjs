// ESM entry: the CommonJS build, re-exported, so ESM and CommonJS code in one process share one copy.
export * from '../dist/cjs/index.js';
