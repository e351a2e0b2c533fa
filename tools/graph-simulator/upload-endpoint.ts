// The upload host of attachment upload sessions (Outlook's, in Microsoft's cloud): pre-authenticated
// URLs, so it refuses and counts any Authorization header; byte ranges must come in order, each
// under 4 MB, and match Content-Length. The last range attaches the file to the draft (201 + Location).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { retryAfterHeader } from './faults';
import { defaultGraphError, writeGraphError } from './graph-errors';
import { type Exchange, clientIsGone, readRequestBody, waitUnlessShutDown, writeJson } from './http-io';
import type { UploadSessionState } from './mailbox-items';
import type { SimulatorState } from './simulator-state';

const MAX_RANGE_BYTES = 4 * 1024 * 1024;
const SESSION_PATH = /AttachmentSessions\('([^']+)'\)\/?$/;

export function handleUploadRequest(req: IncomingMessage, res: ServerResponse, state: SimulatorState): void {
  const requestId = randomUUID();
  res.setHeader('request-id', requestId);
  let url: URL;
  try {
    url = new URL(`${state.uploadOrigin}${req.url ?? '/'}`);
  } catch {
    res.writeHead(400, { 'content-length': 0 }).end();
    return;
  }
  const exchange: Exchange = { req, res, url, requestId };
  serveUpload(exchange, state).catch((err: unknown) => {
    if (clientIsGone(exchange) || res.headersSent) {
      res.destroy();
      return;
    }
    writeGraphError(exchange, {
      ...defaultGraphError(500),
      message: `Upload simulator failure: ${err instanceof Error ? err.message : String(err)}`,
    });
  });
}

function progressBody(session: UploadSessionState): Record<string, unknown> {
  return { expirationDateTime: new Date(session.expiresAt).toISOString(), nextExpectedRanges: [`${session.received}-`] };
}

async function serveUpload(exchange: Exchange, state: SimulatorState): Promise<void> {
  const { req } = exchange;
  state.stats.uploadRequests += 1;
  if (req.headers.authorization !== undefined) {
    // The URL carries its own credential; a bearer token sent here has left Graph.
    state.stats.uploadAuthorizationHeaders += 1;
    writeGraphError(exchange, {
      status: 401,
      code: 'InvalidAuthenticationToken',
      message: 'Do not send an Authorization header to an upload URL.',
    });
    return;
  }
  const sessionId = SESSION_PATH.exec(decodeURIComponent(exchange.url.pathname))?.[1];
  const session = sessionId === undefined ? undefined : state.items.sessions.get(sessionId);
  if (!session || exchange.url.searchParams.get('authtoken') !== session.secret) {
    writeGraphError(exchange, { status: 404, code: 'ErrorItemNotFound', message: 'The upload session was not found.' });
    return;
  }
  if (req.method === 'GET') {
    writeJson(exchange, 200, progressBody(session));
    return;
  }
  if (req.method === 'DELETE') {
    state.items.sessions.delete(session.id);
    writeJson(exchange, 204, {});
    return;
  }
  if (req.method !== 'PUT') {
    writeGraphError(exchange, { status: 405, code: 'MethodNotAllowed', message: 'PUT, GET or DELETE only.' });
    return;
  }
  await putRange(exchange, state, session);
}

async function putRange(exchange: Exchange, state: SimulatorState, session: UploadSessionState): Promise<void> {
  const { req } = exchange;
  const fault = state.faults.take({ on: 'upload', mailbox: session.mailbox, tenantId: session.tenantId }, 'arrival');
  if (fault?.kind === 'status') {
    const fallback = defaultGraphError(fault.status);
    writeGraphError(
      exchange,
      { status: fault.status, code: fault.code ?? fallback.code, message: fault.message ?? fallback.message },
      retryAfterHeader(fault),
    );
    return;
  }
  if (fault?.kind === 'stall' && (!(await waitUnlessShutDown(fault.ms, state.shutdown)) || clientIsGone(exchange))) {
    exchange.res.destroy();
    return;
  }
  if (fault?.kind === 'expire-session') session.expiresAt = 0;
  if (fault?.kind === 'reset-mid-upload') {
    // Take a little of the body, then cut the connection: nothing of this range counts.
    await new Promise<void>((resolve) => {
      req.once('data', () => resolve());
      req.once('end', () => resolve());
    });
    state.stats.uploadResets += 1;
    req.socket.destroy();
    return;
  }
  if (Date.now() > session.expiresAt) {
    state.items.sessions.delete(session.id);
    writeGraphError(exchange, { status: 404, code: 'ErrorItemNotFound', message: 'The upload session has expired.' });
    return;
  }
  const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(req.headers['content-range'] ?? ''));
  const start = Number(range?.[1]);
  const end = Number(range?.[2]);
  const total = Number(range?.[3]);
  const length = end - start + 1;
  const problem = !range
    ? 'Content-Range must be "bytes start-end/total"'
    : total !== session.size
      ? `total ${total} differs from the session's size ${session.size}`
      : start !== session.received
        ? `range starts at ${start}; the next expected byte is ${session.received}`
        : length <= 0 || end >= total
          ? 'the range is empty or past the end'
          : length > MAX_RANGE_BYTES
            ? `the range is ${length} bytes; at most 4 MB per request`
            : Number(req.headers['content-length']) !== length
              ? 'Content-Length differs from the range'
              : undefined;
  if (problem) {
    state.stats.uploadRangeErrors += 1;
    writeJson(exchange, 416, { error: { code: 'InvalidContentRange', message: problem }, ...progressBody(session) });
    return;
  }
  let read;
  try {
    read = await readRequestBody(req, MAX_RANGE_BYTES);
  } catch {
    return;
  }
  if (read.kind === 'too-large' || read.body.length !== length) {
    state.stats.uploadRangeErrors += 1;
    writeJson(exchange, 400, {
      error: { code: 'InvalidContentRange', message: 'The body does not match the range.' },
      ...progressBody(session),
    });
    return;
  }
  session.hash.update(read.body);
  session.received += length;
  session.ranges.push(`${start}-${end}`);
  state.stats.uploadBytes += length;
  if (session.received < session.size) {
    writeJson(exchange, 200, progressBody(session));
    return;
  }
  state.items.sessions.delete(session.id);
  const message = state.items.messages.get(session.messageId);
  if (!message || !message.isDraft) {
    writeGraphError(exchange, { status: 404, code: 'ErrorItemNotFound', message: 'The draft no longer exists.' });
    return;
  }
  const attachmentId = `att-${message.attachments.length + 1}`;
  message.attachments.push({
    id: attachmentId,
    name: session.name,
    ...(session.contentType ? { contentType: session.contentType } : {}),
    size: session.size,
    sha256: session.hash.digest('hex'),
    via: 'upload-session',
  });
  exchange.res.writeHead(201, {
    location: `${state.url}/v1.0/users/${session.mailbox}/messages/${message.id}/attachments/${attachmentId}`,
    'content-length': 0,
  });
  exchange.res.end();
}
