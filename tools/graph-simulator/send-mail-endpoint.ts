// `POST /v1.0/users/{idOrUpn}/sendMail`: Graph's checks in Graph's order, faults, and the record of accepted mail.
import { type AccessTokenClaims, verifyAccessToken } from './access-tokens';
import { findMailbox } from './directory';
import { retryAfterHeader } from './faults';
import { type GraphError, defaultGraphError, writeGraphError } from './graph-errors';
import { type Exchange, clientIsGone, parseJson, readRequestBody, waitUnlessShutDown, writeEmpty } from './http-io';
import { validateSendMailBody } from './message-validation';
import type { LimitVerdict } from './mailbox-limits';
import type { SimulatorState } from './simulator-state';

/** Graph's request limit: 4 MB, counted in bytes of the whole body. */
export const MAX_SEND_MAIL_BYTES = 4 * 1024 * 1024;

const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** Audiences Graph accepts: its resource URI in each cloud and its app ID (plus the simulator's own origin). */
const GRAPH_RESOURCES = [
  'https://graph.microsoft.com',
  'https://graph.microsoft.us',
  'https://dod-graph.microsoft.us',
  'https://microsoftgraph.chinacloudapi.cn',
  GRAPH_APP_ID,
];

/** How a sendMail ends, decided first and written after the configured latency. */
export type SendMailOutcome =
  | { kind: 'accepted'; release?: () => void }
  | { kind: 'error'; error: GraphError; headers?: Record<string, string>; recorded?: boolean; release?: () => void }
  | { kind: 'reset' }
  /** Nobody to answer: the client left, or the simulator is shutting down. */
  | { kind: 'dropped' };

/** `userSegment` is the URL-decoded `{idOrUpn}` path segment, or undefined for `/me/sendMail`. */
export async function serveSendMail(exchange: Exchange, state: SimulatorState, userSegment: string | undefined): Promise<void> {
  state.stats.sendMailRequests += 1;
  const outcome = await decideSendMail(exchange, state, userSegment);
  if (outcome.kind === 'dropped') return;
  try {
    await answer(exchange, state, outcome, userSegment?.toLowerCase());
  } finally {
    // The request counts against its mailbox's concurrency until it is answered.
    if (outcome.kind === 'accepted' || outcome.kind === 'error') outcome.release?.();
  }
}

async function answer(
  exchange: Exchange,
  state: SimulatorState,
  outcome: Exclude<SendMailOutcome, { kind: 'dropped' }>,
  mailbox: string | undefined,
): Promise<void> {
  if (!(await waitUnlessShutDown(state.latencyMs, state.shutdown))) {
    exchange.res.destroy();
    return;
  }
  switch (outcome.kind) {
    case 'accepted':
      writeEmpty(exchange, 202);
      return;
    case 'reset':
      exchange.req.socket.destroy();
      return;
    case 'error':
      if (!outcome.recorded) state.stats.rejected += 1;
      state.refused.push({ mailbox, status: outcome.error.status, code: outcome.error.code, answeredAt: Date.now() });
      writeGraphError(exchange, outcome.error, outcome.headers);
      return;
  }
}

async function decideSendMail(exchange: Exchange, state: SimulatorState, userSegment: string | undefined): Promise<SendMailOutcome> {
  const auth = authenticate(exchange, state);
  if (!auth.ok) return auth.outcome;
  const { claims } = auth;
  if (userSegment === undefined) {
    return graphError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
  }
  const mailboxAddress = userSegment.toLowerCase();
  const faultTarget = { on: 'sendMail', mailbox: mailboxAddress, tenantId: claims.tid } as const;

  const fault = state.faults.take(faultTarget, 'arrival');
  if (fault?.kind === 'status') {
    const fallback = defaultGraphError(fault.status);
    const error = { status: fault.status, code: fault.code ?? fallback.code, message: fault.message ?? fallback.message };
    return { kind: 'error', error, headers: retryAfterHeader(fault) };
  }
  if (fault?.kind === 'stall') {
    const waited = await waitUnlessShutDown(fault.ms, state.shutdown);
    if (!waited) exchange.res.destroy();
    if (!waited || clientIsGone(exchange)) return { kind: 'dropped' };
  }

  const tenant = state.directory.findTenantById(claims.tid);
  const mailbox = tenant && findMailbox(tenant, mailboxAddress);
  if (!mailbox) return graphError(404, 'ErrorInvalidUser', `The requested user '${userSegment}' is invalid.`);
  if (mailbox.notEnabledForRest) {
    return graphError(404, 'MailboxNotEnabledForRESTAPI', 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.');
  }
  if (!claims.roles.includes('Mail.Send')) {
    return graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
  }
  if (mailbox.blockedByPolicy) return graphError(403, 'ErrorAccessDenied', 'Access to OData is disabled.');

  const entered = state.limiter?.enter(mailboxAddress);
  if (entered && !entered.ok) return throttledByLimits(state, entered);
  const outcome = await acceptMessage(exchange, state, mailboxAddress, claims, faultTarget);
  if (outcome.kind === 'accepted' || outcome.kind === 'error') return { ...outcome, ...(entered ? { release: entered.release } : {}) };
  entered?.release();
  return outcome;
}

function throttledByLimits(state: SimulatorState, verdict: Extract<LimitVerdict, { ok: false }>): SendMailOutcome {
  state.stats.throttled += 1;
  return {
    kind: 'error',
    error: { status: 429, code: verdict.code, message: verdict.message },
    headers: { 'retry-after': String(verdict.retryAfterSeconds) },
  };
}

async function acceptMessage(
  exchange: Exchange,
  state: SimulatorState,
  mailboxAddress: string,
  claims: AccessTokenClaims,
  faultTarget: { on: 'sendMail'; mailbox: string; tenantId: string },
): Promise<SendMailOutcome> {
  let body: Buffer;
  try {
    const read = await readRequestBody(exchange.req, MAX_SEND_MAIL_BYTES);
    if (read.kind === 'too-large') {
      // Answer now; Node discards the rest of the upload, so the client can still read the 413.
      return { kind: 'error', error: defaultGraphError(413) };
    }
    body = read.body;
  } catch {
    return { kind: 'dropped' };
  }
  const json = parseJson(body);
  if (!json.ok) return graphError(400, 'RequestBodyRead', 'Invalid JSON. The request body could not be parsed.');
  const validation = validateSendMailBody(json.value, mailboxAddress);
  if (!validation.ok) return { kind: 'error', error: validation.error };

  const withinRate = state.limiter?.accept(mailboxAddress, Date.now());
  if (withinRate && !withinRate.ok) return throttledByLimits(state, withinRate);
  const acceptanceFault = state.faults.take(faultTarget, 'acceptance');
  state.sent.push({
    mailbox: mailboxAddress,
    message: validation.message,
    saveToSentItems: validation.saveToSentItems,
    requestId: exchange.requestId,
    ...(exchange.clientRequestId === undefined ? {} : { clientRequestId: exchange.clientRequestId }),
    receivedAt: Date.now(),
    tenantId: claims.tid,
    appId: claims.appid,
  });
  state.stats.accepted += 1;

  if (acceptanceFault?.kind === 'accept-then-504') {
    return { kind: 'error', error: defaultGraphError(504), recorded: true };
  }
  if (acceptanceFault?.kind === 'accept-then-reset') return { kind: 'reset' };
  return { kind: 'accepted' };
}

/** The caller's app token, checked as Graph checks it; the failure is the 401 to answer. */
export function authenticate(
  exchange: Exchange,
  state: SimulatorState,
): { ok: true; claims: AccessTokenClaims } | { ok: false; outcome: SendMailOutcome } {
  const reject = (message: string): { ok: false; outcome: SendMailOutcome } => ({
    ok: false,
    outcome: {
      kind: 'error',
      error: { status: 401, code: 'InvalidAuthenticationToken', message },
      headers: {
        'www-authenticate': `Bearer realm="", authorization_uri="${state.url}/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`,
      },
    },
  });

  const token = /^Bearer\s+(\S+)\s*$/i.exec(exchange.req.headers.authorization ?? '')?.[1];
  if (token === undefined) return reject('Access token is empty.');
  const verification = verifyAccessToken(token, Math.floor(Date.now() / 1000));
  if (!verification.valid) {
    return reject(
      verification.reason === 'expired' ? 'Lifetime validation failed, the token is expired.' : 'Access token validation failure.',
    );
  }
  const audience = verification.claims.aud.replace(/\/+$/, '');
  if (!GRAPH_RESOURCES.includes(audience) && !isSimulatorOrigin(audience, state.url)) {
    return reject('Access token validation failure. Invalid audience.');
  }
  if (!state.directory.findTenantById(verification.claims.tid)) {
    return reject('Access token validation failure. Invalid issuer.');
  }
  return { ok: true, claims: verification.claims };
}

function graphError(status: number, code: string, message: string): SendMailOutcome {
  return { kind: 'error', error: { status, code, message } };
}

/** The simulator by either name its certificate covers: https://localhost:<port> or https://127.0.0.1:<port>. */
function isSimulatorOrigin(audience: string, simulatorUrl: string): boolean {
  const port = new URL(simulatorUrl).port;
  return audience === `https://localhost:${port}` || audience === `https://127.0.0.1:${port}`;
}
