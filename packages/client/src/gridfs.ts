// The GridFS payload store, a separate entry because it needs the mongodb driver (an optional peer
// dependency): `import { GridFsPayloadStore } from '@omikai/graph-mailer-client/gridfs'`.
export * from './gridfs-payload-store';
