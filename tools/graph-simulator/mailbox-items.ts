// The simulated mailboxes' items for draft-based sending: drafts, their attachments, upload
// sessions, and the sent copies that appear in Sent Items some time after a send.
import { createHash, randomBytes, randomUUID, type Hash } from 'node:crypto';

export interface StoredAttachment {
  id: string;
  name: string;
  contentType?: string;
  size: number;
  /** sha256 (hex) of the bytes received, for tests to compare with what was sent. */
  sha256: string;
  /** How the bytes came: in one POST, or through an upload session. */
  via: 'post' | 'upload-session';
}

export interface StoredMessage {
  id: string;
  internetMessageId: string;
  mailbox: string;
  tenantId: string;
  folder: 'drafts' | 'sentitems';
  isDraft: boolean;
  /** The Graph message JSON as created (without attachments). */
  message: Record<string, unknown>;
  attachments: StoredAttachment[];
  createdDateTime: string;
  /** Created with Prefer: IdType="ImmutableId": its id survives the move to Sent Items. */
  immutableId: boolean;
  /** The worker's tag (singleValueExtendedProperties), if any. */
  tag?: { id: string; value: string };
}

export interface UploadSessionState {
  id: string;
  /** The query token that makes the URL pre-authenticated. */
  secret: string;
  mailbox: string;
  tenantId: string;
  messageId: string;
  name: string;
  contentType?: string;
  isInline?: boolean;
  size: number;
  received: number;
  expiresAt: number;
  hash: Hash;
  /** Content-Ranges received, in order, as "start-end". */
  ranges: string[];
}

export class MailboxItems {
  readonly messages = new Map<string, StoredMessage>();
  readonly sessions = new Map<string, UploadSessionState>();

  create(
    fields: Omit<StoredMessage, 'id' | 'internetMessageId' | 'attachments' | 'createdDateTime' | 'folder' | 'isDraft'>,
    now: Date,
  ): StoredMessage {
    const stored: StoredMessage = {
      ...fields,
      id: newItemId(),
      internetMessageId: `<${randomUUID()}@simulator.example>`,
      folder: 'drafts',
      isDraft: true,
      attachments: [],
      createdDateTime: now.toISOString(),
    };
    this.messages.set(stored.id, stored);
    return stored;
  }

  find(mailbox: string, id: string): StoredMessage | undefined {
    const stored = this.messages.get(id);
    return stored && stored.mailbox === mailbox ? stored : undefined;
  }

  /** The send completed: the draft becomes the Sent Items copy (a new id unless created with an immutable id). */
  moveToSentItems(stored: StoredMessage): void {
    this.messages.delete(stored.id);
    stored.folder = 'sentitems';
    stored.isDraft = false;
    if (!stored.immutableId) stored.id = newItemId();
    this.messages.set(stored.id, stored);
  }

  inFolder(mailbox: string, folder: StoredMessage['folder']): StoredMessage[] {
    return [...this.messages.values()].filter((item) => item.mailbox === mailbox && item.folder === folder);
  }

  openSession(fields: Omit<UploadSessionState, 'id' | 'secret' | 'received' | 'hash' | 'ranges'>): UploadSessionState {
    const session: UploadSessionState = {
      ...fields,
      id: randomUUID(),
      secret: randomBytes(24).toString('base64url'),
      received: 0,
      hash: createHash('sha256'),
      ranges: [],
    };
    this.sessions.set(session.id, session);
    return session;
  }

  clear(): void {
    this.messages.clear();
    this.sessions.clear();
  }
}

/** Graph item ids are long base64 strings, case-sensitive. */
function newItemId(): string {
  return `AAMk${randomBytes(48).toString('base64url')}`;
}
