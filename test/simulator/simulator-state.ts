// What one running simulator knows and records, shared by its endpoints.
import type { TenantDirectory } from './directory';
import type { FaultQueue } from './faults';
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
  /** Exchange's per-mailbox limits, when the simulator enforces them. */
  limiter?: MailboxLimiter;
  /** Aborted by close(): cuts stalls and latency short. */
  shutdown: AbortSignal;
}

export function emptyStats(): SimulatorStats {
  return { tokenRequests: 0, sendMailRequests: 0, accepted: 0, rejected: 0, throttled: 0, tlsConnections: 0 };
}

export function resetState(state: SimulatorState): void {
  state.sent.length = 0;
  state.refused.length = 0;
  Object.assign(state.stats, emptyStats());
  state.faults.clear();
  state.limiter?.reset();
}
