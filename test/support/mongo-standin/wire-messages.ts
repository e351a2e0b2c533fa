// MongoDB wire protocol framing for the stand-in: reads OP_MSG and legacy OP_QUERY requests, writes OP_MSG and OP_REPLY answers.
import { deserialize, serialize, type Document } from 'bson';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

const HEADER_BYTES = 16;
const CHECKSUM_PRESENT = 1 << 0;
export const MORE_TO_COME = 1 << 1;
/** The largest message the stand-in accepts, as MongoDB advertises in hello's maxMessageSizeBytes. */
export const MAX_MESSAGE_BYTES = 48_000_000;

/** One request: the command document (with OP_MSG document sequences folded in) and how to answer it. */
export interface WireRequest {
  requestId: number;
  opCode: typeof OP_MSG | typeof OP_QUERY;
  command: Document;
  /** OP_MSG moreToCome: the client wants no answer (unacknowledged write). */
  noReply: boolean;
}

export class WireProtocolError extends Error {
  override name = 'WireProtocolError';
}

// Keeps numbers as JS numbers, as the stores' documents hold them; BSON types without a JS twin stay bson objects.
const DESERIALIZE_OPTIONS = { promoteLongs: true, promoteValues: true, promoteBuffers: false } as const;

export function decodeDocument(bytes: Uint8Array): Document {
  return deserialize(bytes, DESERIALIZE_OPTIONS);
}

/** Splits complete messages off the front of `buffer`; returns them and the unread rest. */
export function takeMessages(buffer: Buffer): { messages: Buffer[]; rest: Buffer } {
  const messages: Buffer[] = [];
  let offset = 0;
  while (buffer.length - offset >= 4) {
    const length = buffer.readInt32LE(offset);
    if (length < HEADER_BYTES || length > MAX_MESSAGE_BYTES) throw new WireProtocolError(`message length ${length} is out of range`);
    if (buffer.length - offset < length) break;
    messages.push(buffer.subarray(offset, offset + length));
    offset += length;
  }
  return { messages, rest: buffer.subarray(offset) };
}

export function parseRequest(message: Buffer): WireRequest {
  const requestId = message.readInt32LE(4);
  const opCode = message.readInt32LE(12);
  if (opCode === OP_MSG) return parseOpMsg(message, requestId);
  if (opCode === OP_QUERY) return parseOpQuery(message, requestId);
  // The stand-in advertises no compressors, so OP_COMPRESSED never comes; older opcodes are gone from MongoDB 6.
  throw new WireProtocolError(`opcode ${opCode} is not supported (OP_MSG and the OP_QUERY handshake only)`);
}

function parseOpMsg(message: Buffer, requestId: number): WireRequest {
  const flags = message.readUInt32LE(HEADER_BYTES);
  const end = flags & CHECKSUM_PRESENT ? message.length - 4 : message.length;
  let offset = HEADER_BYTES + 4;
  let command: Document | undefined;
  const sequences: Record<string, Document[]> = {};
  while (offset < end) {
    const kind = message.readUInt8(offset);
    offset += 1;
    if (kind === 0) {
      const size = message.readInt32LE(offset);
      command = decodeDocument(message.subarray(offset, offset + size));
      offset += size;
    } else if (kind === 1) {
      const size = message.readInt32LE(offset);
      const sectionEnd = offset + size;
      const nameEnd = message.indexOf(0, offset + 4);
      const identifier = message.toString('utf8', offset + 4, nameEnd);
      let position = nameEnd + 1;
      const documents: Document[] = [];
      while (position < sectionEnd) {
        const documentSize = message.readInt32LE(position);
        documents.push(decodeDocument(message.subarray(position, position + documentSize)));
        position += documentSize;
      }
      sequences[identifier] = documents;
      offset = sectionEnd;
    } else {
      throw new WireProtocolError(`OP_MSG section kind ${kind} is not defined`);
    }
  }
  if (!command) throw new WireProtocolError('OP_MSG without a body section');
  return { requestId, opCode: OP_MSG, command: { ...command, ...sequences }, noReply: (flags & MORE_TO_COME) !== 0 };
}

/** Drivers send their first hello as OP_QUERY on admin.$cmd; nothing else may use OP_QUERY since MongoDB 5.1. */
function parseOpQuery(message: Buffer, requestId: number): WireRequest {
  let offset = HEADER_BYTES + 4;
  const nameEnd = message.indexOf(0, offset);
  const collection = message.toString('utf8', offset, nameEnd);
  offset = nameEnd + 1 + 8; // numberToSkip, numberToReturn
  const size = message.readInt32LE(offset);
  let command = decodeDocument(message.subarray(offset, offset + size));
  // A read preference wraps the command as {$query: {...}, $readPreference: ...}.
  if (command.$query && typeof command.$query === 'object') command = command.$query as Document;
  if (!collection.endsWith('.$cmd')) throw new WireProtocolError(`OP_QUERY on ${collection}: only commands are accepted`);
  return { requestId, opCode: OP_QUERY, command: { ...command, $db: collection.slice(0, -'.$cmd'.length) }, noReply: false };
}

export function encodeReply(request: WireRequest, replyId: number, body: Document): Buffer {
  const document = Buffer.from(serialize(body));
  if (request.opCode === OP_MSG) {
    const header = Buffer.alloc(HEADER_BYTES + 4 + 1);
    header.writeInt32LE(header.length + document.length, 0);
    header.writeInt32LE(replyId, 4);
    header.writeInt32LE(request.requestId, 8);
    header.writeInt32LE(OP_MSG, 12);
    header.writeUInt32LE(0, 16);
    header.writeUInt8(0, 20);
    return Buffer.concat([header, document]);
  }
  const header = Buffer.alloc(HEADER_BYTES + 20);
  header.writeInt32LE(header.length + document.length, 0);
  header.writeInt32LE(replyId, 4);
  header.writeInt32LE(request.requestId, 8);
  header.writeInt32LE(OP_REPLY, 12);
  header.writeInt32LE(0, 16); // responseFlags
  header.writeBigInt64LE(0n, 20); // cursorID
  header.writeInt32LE(0, 28); // startingFrom
  header.writeInt32LE(1, 32); // numberReturned
  return Buffer.concat([header, document]);
}
