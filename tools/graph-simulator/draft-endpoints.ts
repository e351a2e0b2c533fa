// Graph's draft calls on the simulated mailboxes: create a draft, attach a file, open an upload
// session (its URL on the upload host), send, get by id, Sent Items by internetMessageId, delete,
// and the Drafts folder filtered by the worker's tag. Checks follow Graph's; faults per step.
import type { AccessTokenClaims } from './access-tokens';
import { findMailbox } from './directory';
import { type DraftStepName, retryAfterHeader } from './faults';
import { defaultGraphError, writeGraphError } from './graph-errors';
import { type Exchange, clientIsGone, parseJson, readRequestBody, waitUnlessShutDown, writeEmpty, writeJson } from './http-io';
import type { StoredMessage } from './mailbox-items';
import { authenticate } from './send-mail-endpoint';
import type { SimulatorState } from './simulator-state';
import { createHash } from 'node:crypto';

const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
const SMALL_ATTACHMENT_LIMIT = 3 * 1024 * 1024;
const MAX_ATTACHMENT_BYTES = 150 * 1024 * 1024;
const UPLOAD_SESSION_LIFETIME_MS = 15 * 60_000;

type Handler = (exchange: Exchange, state: SimulatorState, call: DraftCall) => Promise<void>;

interface DraftCall {
  claims: AccessTokenClaims;
  mailbox: string;
  /** The message id from the path, if any (URL-decoded). */
  messageId?: string;
  immutable: boolean;
}

const ROUTES: readonly { method: string; path: RegExp; step?: DraftStepName; serve: Handler }[] = [
  { method: 'POST', path: /^\/v1\.0\/users\/([^/]+)\/messages\/?$/i, step: 'createDraft', serve: createDraft },
  { method: 'GET', path: /^\/v1\.0\/users\/([^/]+)\/messages\/([^/]+)\/?$/i, step: 'getMessage', serve: getMessage },
  { method: 'DELETE', path: /^\/v1\.0\/users\/([^/]+)\/messages\/([^/]+)\/?$/i, serve: deleteMessage },
  { method: 'POST', path: /^\/v1\.0\/users\/([^/]+)\/messages\/([^/]+)\/attachments\/?$/i, step: 'attachment', serve: addAttachment },
  { method: 'GET', path: /^\/v1\.0\/users\/([^/]+)\/messages\/([^/]+)\/attachments\/?$/i, serve: listAttachments },
  {
    method: 'POST',
    path: /^\/v1\.0\/users\/([^/]+)\/messages\/([^/]+)\/attachments\/createUploadSession\/?$/i,
    step: 'uploadSession',
    serve: createUploadSession,
  },
  { method: 'POST', path: /^\/v1\.0\/users\/([^/]+)\/messages\/([^/]+)\/send\/?$/i, step: 'send', serve: sendDraft },
  { method: 'GET', path: /^\/v1\.0\/users\/([^/]+)\/mailFolders\/(sentitems|drafts)\/messages\/?$/i, serve: listFolder },
];

/** Serves the request if it is a draft call; false when no draft route matches. */
export async function serveDraftRequest(exchange: Exchange, state: SimulatorState): Promise<boolean> {
  const route = ROUTES.find((candidate) => candidate.method === exchange.req.method && candidate.path.test(exchange.url.pathname));
  if (!route) return false;
  const match = route.path.exec(exchange.url.pathname)!;
  state.stats.draftRequests += 1;
  const auth = authenticate(exchange, state);
  if (!auth.ok) {
    if (auth.outcome.kind === 'error') writeGraphError(exchange, auth.outcome.error, auth.outcome.headers);
    return true;
  }
  const mailbox = decodeURIComponent(match[1]!).toLowerCase();
  const messageId = match[2] === undefined || /^(sentitems|drafts)$/i.test(match[2]) ? undefined : decodeURIComponent(match[2]);
  const immutable = /IdType\s*=\s*"ImmutableId"/i.test(String(exchange.req.headers.prefer ?? ''));
  if (!immutable) state.stats.callsWithoutImmutableId += 1;

  if (route.step) {
    const fault = state.faults.take({ on: route.step, mailbox, tenantId: auth.claims.tid }, 'arrival');
    if (fault?.kind === 'status') {
      const fallback = defaultGraphError(fault.status);
      writeGraphError(
        exchange,
        { status: fault.status, code: fault.code ?? fallback.code, message: fault.message ?? fallback.message },
        retryAfterHeader(fault),
      );
      return true;
    }
    if (fault?.kind === 'stall' && (!(await waitUnlessShutDown(fault.ms, state.shutdown)) || clientIsGone(exchange))) {
      exchange.res.destroy();
      return true;
    }
  }
  const tenant = state.directory.findTenantById(auth.claims.tid);
  const box = tenant && findMailbox(tenant, mailbox);
  if (!box) {
    writeGraphError(exchange, { status: 404, code: 'ErrorInvalidUser', message: `The requested user '${mailbox}' is invalid.` });
    return true;
  }
  if (box.blockedByPolicy) {
    writeGraphError(exchange, { status: 403, code: 'ErrorAccessDenied', message: 'Access to OData is disabled.' });
    return true;
  }
  const needed = route.step === 'send' ? 'Mail.Send' : 'Mail.ReadWrite';
  if (!auth.claims.roles.includes(needed)) {
    writeGraphError(exchange, defaultGraphError(403));
    return true;
  }
  await route.serve(exchange, state, { claims: auth.claims, mailbox, immutable, ...(messageId ? { messageId } : {}) });
  return true;
}

async function readJson(exchange: Exchange): Promise<Record<string, unknown> | undefined> {
  let read;
  try {
    read = await readRequestBody(exchange.req, MAX_REQUEST_BYTES);
  } catch {
    exchange.res.destroy();
    return undefined;
  }
  if (read.kind === 'too-large') {
    writeGraphError(exchange, defaultGraphError(413));
    return undefined;
  }
  const json = parseJson(read.body);
  if (!json.ok || typeof json.value !== 'object' || json.value === null) {
    writeGraphError(exchange, { status: 400, code: 'RequestBodyRead', message: 'Invalid JSON. The request body could not be parsed.' });
    return undefined;
  }
  return json.value as Record<string, unknown>;
}

function view(stored: StoredMessage): Record<string, unknown> {
  return {
    id: stored.id,
    internetMessageId: stored.internetMessageId,
    isDraft: stored.isDraft,
    createdDateTime: stored.createdDateTime,
    subject: stored.message.subject,
    hasAttachments: stored.attachments.length > 0,
  };
}

function itemNotFound(exchange: Exchange): void {
  writeGraphError(exchange, { status: 404, code: 'ErrorItemNotFound', message: 'The specified object was not found in the store.' });
}

/** The draft named in the path, answering 404 itself when there is none. */
function draftOf(exchange: Exchange, state: SimulatorState, call: DraftCall): StoredMessage | undefined {
  const stored = call.messageId === undefined ? undefined : state.items.find(call.mailbox, call.messageId);
  if (!stored) itemNotFound(exchange);
  return stored;
}

async function createDraft(exchange: Exchange, state: SimulatorState, call: DraftCall): Promise<void> {
  const body = await readJson(exchange);
  if (!body) return;
  const { singleValueExtendedProperties, attachments: _inline, ...message } = body;
  const tag = Array.isArray(singleValueExtendedProperties)
    ? (singleValueExtendedProperties[0] as { id: string; value: string })
    : undefined;
  const stored = state.items.create(
    { mailbox: call.mailbox, tenantId: call.claims.tid, message, immutableId: call.immutable, ...(tag ? { tag } : {}) },
    new Date(),
  );
  state.stats.draftsCreated += 1;
  writeJson(exchange, 201, view(stored));
}

async function getMessage(exchange: Exchange, state: SimulatorState, call: DraftCall): Promise<void> {
  const stored = draftOf(exchange, state, call);
  if (stored) writeJson(exchange, 200, view(stored));
}

async function deleteMessage(exchange: Exchange, state: SimulatorState, call: DraftCall): Promise<void> {
  const stored = draftOf(exchange, state, call);
  if (!stored) return;
  state.items.messages.delete(stored.id);
  state.stats.draftsDeleted += 1;
  writeEmpty(exchange, 204);
}

async function addAttachment(exchange: Exchange, state: SimulatorState, call: DraftCall): Promise<void> {
  const body = await readJson(exchange);
  if (!body) return;
  const stored = draftOf(exchange, state, call);
  if (!stored) return;
  if (!stored.isDraft) {
    writeGraphError(exchange, { status: 400, code: 'ErrorInvalidOperation', message: 'The item is not a draft.' });
    return;
  }
  const bytes = Buffer.from(typeof body.contentBytes === 'string' ? body.contentBytes : '', 'base64');
  if (bytes.length > SMALL_ATTACHMENT_LIMIT) {
    writeGraphError(exchange, defaultGraphError(413));
    return;
  }
  const attachment = {
    id: `att-${stored.attachments.length + 1}`,
    name: String(body.name ?? ''),
    ...(typeof body.contentType === 'string' ? { contentType: body.contentType } : {}),
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    via: 'post' as const,
  };
  stored.attachments.push(attachment);
  writeJson(exchange, 201, { id: attachment.id, name: attachment.name, size: attachment.size });
}

async function listAttachments(exchange: Exchange, state: SimulatorState, call: DraftCall): Promise<void> {
  const stored = draftOf(exchange, state, call);
  if (stored) writeJson(exchange, 200, { value: stored.attachments.map(({ id, name, size }) => ({ id, name, size })) });
}

async function createUploadSession(exchange: Exchange, state: SimulatorState, call: DraftCall): Promise<void> {
  const body = await readJson(exchange);
  if (!body) return;
  const stored = draftOf(exchange, state, call);
  if (!stored) return;
  const item = (body.AttachmentItem ?? {}) as Record<string, unknown>;
  const size = item.size;
  if (item.attachmentType !== 'file' || typeof item.name !== 'string' || typeof size !== 'number' || !Number.isInteger(size) || size <= 0) {
    writeGraphError(exchange, {
      status: 400,
      code: 'ErrorInvalidRequest',
      message: 'AttachmentItem needs attachmentType file, a name and a size.',
    });
    return;
  }
  if (size > MAX_ATTACHMENT_BYTES) {
    writeGraphError(exchange, {
      status: 400,
      code: 'ErrorAttachmentSizeLimitExceeded',
      message: 'The attachment exceeds the maximum size of 150 MB.',
    });
    return;
  }
  const session = state.items.openSession({
    mailbox: call.mailbox,
    tenantId: call.claims.tid,
    messageId: stored.id,
    name: item.name,
    ...(typeof item.contentType === 'string' ? { contentType: item.contentType } : {}),
    ...(item.isInline === true ? { isInline: true } : {}),
    size,
    expiresAt: Date.now() + UPLOAD_SESSION_LIFETIME_MS,
  });
  state.stats.uploadSessions += 1;
  writeJson(exchange, 201, {
    '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.uploadSession',
    uploadUrl: `${state.uploadUrlBase ?? state.uploadOrigin}/api/v2.0/Users('${call.mailbox}')/Messages('${stored.id}')/AttachmentSessions('${session.id}')?authtoken=${session.secret}`,
    expirationDateTime: new Date(session.expiresAt).toISOString(),
    nextExpectedRanges: ['0-'],
  });
}

async function sendDraft(exchange: Exchange, state: SimulatorState, call: DraftCall): Promise<void> {
  const stored = draftOf(exchange, state, call);
  if (!stored) return;
  if (!stored.isDraft) {
    writeGraphError(exchange, { status: 400, code: 'ErrorInvalidOperation', message: 'The item is not a draft and cannot be sent.' });
    return;
  }
  const entered = state.limiter?.enter(call.mailbox);
  try {
    if (entered && !entered.ok) {
      state.stats.throttled += 1;
      writeGraphError(
        exchange,
        { status: 429, code: entered.code, message: entered.message },
        { 'retry-after': String(entered.retryAfterSeconds) },
      );
      return;
    }
    const rate = state.limiter?.accept(call.mailbox, Date.now());
    if (rate && !rate.ok) {
      state.stats.throttled += 1;
      writeGraphError(exchange, { status: 429, code: rate.code, message: rate.message }, { 'retry-after': String(rate.retryAfterSeconds) });
      return;
    }
    const fault = state.faults.take({ on: 'send', mailbox: call.mailbox, tenantId: call.claims.tid }, 'acceptance');
    acceptSend(exchange, state, stored);
    if (fault?.kind === 'accept-then-504') writeGraphError(exchange, defaultGraphError(504));
    else if (fault?.kind === 'accept-then-reset') exchange.req.socket.destroy();
    else writeEmpty(exchange, 202);
  } finally {
    if (entered?.ok) entered.release();
  }
}

/** Records the e-mail as sent; its Sent Items copy appears after the configured delay (as in Exchange). */
function acceptSend(exchange: Exchange, state: SimulatorState, stored: StoredMessage): void {
  state.sent.push({
    mailbox: stored.mailbox,
    message: { ...stored.message, attachments: stored.attachments.map(({ name, size, sha256, via }) => ({ name, size, sha256, via })) },
    saveToSentItems: true,
    requestId: exchange.requestId,
    ...(exchange.clientRequestId === undefined ? {} : { clientRequestId: exchange.clientRequestId }),
    receivedAt: Date.now(),
    tenantId: stored.tenantId,
    appId: '',
    via: 'draft',
    internetMessageId: stored.internetMessageId,
  });
  state.stats.accepted += 1;
  state.stats.draftsSent += 1;
  const move = (): void => state.items.moveToSentItems(stored);
  // Until then a GET by its id still finds the draft.
  if (state.sentCopyDelayMs <= 0) move();
  else setTimeout(move, state.sentCopyDelayMs).unref();
}

async function listFolder(exchange: Exchange, state: SimulatorState, call: DraftCall): Promise<void> {
  const folder = /\/sentitems\//i.test(exchange.url.pathname) ? 'sentitems' : 'drafts';
  const filter = exchange.url.searchParams.get('$filter') ?? '';
  let items = state.items.inFolder(call.mailbox, folder);
  const byInternetId = /internetMessageId eq '((?:[^']|'')*)'/i.exec(filter);
  if (byInternetId) items = items.filter((item) => item.internetMessageId === byInternetId[1]!.replace(/''/g, "'"));
  const byTag = /ep\/id eq '([^']*)'/i.exec(filter);
  if (byTag) items = items.filter((item) => item.tag?.id === byTag[1]);
  const before = /createdDateTime lt (\S+)/i.exec(filter);
  if (before) items = items.filter((item) => item.createdDateTime < before[1]!);
  writeJson(exchange, 200, { value: items.slice(0, 100).map(view) });
}
