// What one running simulator knows and records, shared by its endpoints.
import type { TenantDirectory } from './directory';
import type { FaultQueue } from './faults';
import type { MailboxItems } from './mailbox-items';
import type { MailboxLimiter } from './mailbox-limits';

export interface AcceptedMessage {
  /** Lower-case sender address from the URL. */
  mailbox: string;
  /** The Graph `message` JSON as sent. */
  message: unknown;
  saveToSentItems: boolean;
  /** The `request-id` we answered with. */
  requestId: string;
  clientRequestId?: string;
  /** Epoch milliseconds. */
  receivedAt: number;
  tenantId: string;
  appId: string;
  /** 'draft' for a draft that was sent (its message lists attachment names, sizes and sha256). */
  via?: 'draft';
  internetMessageId?: string;
}

/** A sendMail answered with an error status, and when: flow tests compare it with AcceptedMessage.receivedAt. */
export interface RefusedSend {
  /** Lower-case sender address from the URL (undefined for /me/sendMail). */
  mailbox: string | undefined;
  status: number;
  code: string;
  /** Epoch milliseconds at which the answer was written. */
  answeredAt: number;
}

export interface SimulatorStats {
  /** Every POST to a token endpoint. */
  tokenRequests: number;
  /** Every POST to a sendMail endpoint. */
  sendMailRequests: number;
  /** sendMail requests whose message was recorded (including accept-then-504/reset). */
  accepted: number;
  /** sendMail requests answered with an error status. */
  rejected: number;
  /** 429s answered because a mailbox was over its configured limits. */
  throttled: number;
  /** Every request to a draft route (create, get, attach, upload session, send, list, delete). */
  draftRequests: number;
  /** Draft calls without `Prefer: IdType="ImmutableId"`. */
  callsWithoutImmutableId: number;
  draftsCreated: number;
  draftsSent: number;
  draftsDeleted: number;
  uploadSessions: number;
  /** Every request to the upload host. */
  uploadRequests: number;
  /** Requests to the upload host that carried an Authorization header (must stay 0). */
  uploadAuthorizationHeaders: number;
  /** PUTs out of order, over 4 MB, or not matching their Content-Range. */
  uploadRangeErrors: number;
  uploadResets: number;
  uploadBytes: number;
  /** TLS connections accepted (handshake done): what keep-alive keeps low. */
  tlsConnections: number;
}

export interface SimulatorState {
  /** `https://localhost:<port>`: both the login host and the Graph host. */
  url: string;
  directory: TenantDirectory;
  faults: FaultQueue;
  /** Live arrays/objects: reset() empties them in place so references stay valid. */
  sent: AcceptedMessage[];
  /** sendMail requests answered with an error status, in order of answer. */
  refused: RefusedSend[];
  stats: SimulatorStats;
  latencyMs: number;
  tokenLifetimeSeconds: number;
  /** How far the simulated Entra's clock runs ahead of this machine's (negative: behind); for client assertions. */
  clockSkewSeconds: number;
  /** Drafts, sent copies and upload sessions of the simulated mailboxes. */
  items: MailboxItems;
  /** Origin of the upload host (a second server of this simulator). */
  uploadOrigin: string;
  /** Where upload URLs point instead (a test's foreign host); default uploadOrigin. */
  uploadUrlBase?: string;
  /** How long after a send its Sent Items copy appears (until then a GET finds the draft). */
  sentCopyDelayMs: number;
  /** Exchange's per-mailbox limits, when the simulator enforces them. */
  limiter?: MailboxLimiter;
  /** Aborted by close(): cuts stalls and latency short. */
  shutdown: AbortSignal;
}

export function emptyStats(): SimulatorStats {
  return {
    tokenRequests: 0,
    sendMailRequests: 0,
    accepted: 0,
    rejected: 0,
    throttled: 0,
    draftRequests: 0,
    callsWithoutImmutableId: 0,
    draftsCreated: 0,
    draftsSent: 0,
    draftsDeleted: 0,
    uploadSessions: 0,
    uploadRequests: 0,
    uploadAuthorizationHeaders: 0,
    uploadRangeErrors: 0,
    uploadResets: 0,
    uploadBytes: 0,
    tlsConnections: 0,
  };
}

export function resetState(state: SimulatorState): void {
  state.sent.length = 0;
  state.refused.length = 0;
  Object.assign(state.stats, emptyStats());
  state.faults.clear();
  state.items.clear();
  state.limiter?.reset();
}
