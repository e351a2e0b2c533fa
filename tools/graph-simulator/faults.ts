// One-shot faults the simulator can be told to produce, and the FIFO queue that hands them out.

/** The calls of draft-based sending a fault can target. */
export const DRAFT_STEPS = ['createDraft', 'getMessage', 'attachment', 'uploadSession', 'upload', 'send'] as const;
export type DraftStepName = (typeof DRAFT_STEPS)[number];
type FaultOn = 'sendMail' | 'token' | DraftStepName;

export type SimulatorFault =
  | {
      on: FaultOn;
      kind: 'status';
      status: number;
      /** Graph: `error.code`. Token: the OAuth `error` value. Defaults follow the status. */
      code?: string;
      /** Graph: `error.message`. Token: `error_description`; a leading `AADSTS<n>:` sets `error_codes`. */
      message?: string;
      /** Raw Retry-After header value: seconds or an HTTP date. */
      retryAfter?: string;
      mailbox?: string;
      tenantId?: string;
      /** How many matching requests get this fault; default 1. */
      times?: number;
    }
  /** Records the message as accepted (sendMail), or sends the draft (send), then answers 504 GatewayTimeout with no Retry-After. */
  | { on: 'sendMail' | 'send'; kind: 'accept-then-504'; mailbox?: string; tenantId?: string; times?: number }
  /** Records the message (sendMail) or sends the draft (send), then destroys the socket without answering. */
  | { on: 'sendMail' | 'send'; kind: 'accept-then-reset'; mailbox?: string; tenantId?: string; times?: number }
  /** Upload host: reads part of the PUT's body, then destroys the socket; the range is not recorded. */
  | { on: 'upload'; kind: 'reset-mid-upload'; mailbox?: string; tenantId?: string; times?: number }
  /** Upload host: the session has expired when this PUT arrives. */
  | { on: 'upload'; kind: 'expire-session'; mailbox?: string; tenantId?: string; times?: number }
  /** Waits ms, then answers normally if the client is still there (else the request is dropped unprocessed). */
  | { on: FaultOn; kind: 'stall'; ms: number; mailbox?: string; tenantId?: string; times?: number };

/** The request a fault might apply to. */
export interface FaultTarget {
  on: FaultOn;
  /** Lower-case sender address (sendMail only). */
  mailbox?: string;
  /** Tenant ID (or the login URL's tenant segment if it names no known tenant). */
  tenantId?: string;
}

/**
 * When a fault applies. `arrival` faults (status, stall) hit an authenticated request before it is
 * processed; `acceptance` faults hit a sendMail only once it has passed every check and is recorded.
 */
export type FaultPhase = 'arrival' | 'acceptance';

type AcceptanceFault = Extract<SimulatorFault, { kind: 'accept-then-504' | 'accept-then-reset' }>;
type ArrivalFault = Exclude<SimulatorFault, AcceptanceFault>;

interface QueuedFault {
  fault: SimulatorFault;
  remaining: number;
}

export class FaultQueue {
  private queued: QueuedFault[] = [];

  add(fault: SimulatorFault): void {
    const valid = parseSimulatorFault(fault);
    if (!valid.ok) throw new Error(`Invalid simulator fault: ${valid.problem}`);
    this.queued.push({ fault: { ...valid.fault }, remaining: valid.fault.times ?? 1 });
  }

  /** Hands out (and uses up one time of) the oldest fault matching the request, if any. */
  take(target: FaultTarget, phase: 'arrival'): ArrivalFault | undefined;
  take(target: FaultTarget, phase: 'acceptance'): AcceptanceFault | undefined;
  take(target: FaultTarget, phase: FaultPhase): SimulatorFault | undefined {
    const index = this.queued.findIndex(({ fault }) => phaseOf(fault) === phase && matches(fault, target));
    const entry = index < 0 ? undefined : this.queued[index];
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.queued.splice(index, 1);
    return entry.fault;
  }

  clear(): void {
    this.queued = [];
  }
}

/** The Retry-After header a status fault asks for, if any. */
export function retryAfterHeader(fault: { retryAfter?: string }): Record<string, string> {
  return fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter };
}

function phaseOf(fault: SimulatorFault): FaultPhase {
  return fault.kind === 'accept-then-504' || fault.kind === 'accept-then-reset' ? 'acceptance' : 'arrival';
}

function matches(fault: SimulatorFault, target: FaultTarget): boolean {
  if (fault.on !== target.on) return false;
  if (fault.mailbox !== undefined && fault.mailbox.toLowerCase() !== target.mailbox) return false;
  if (fault.tenantId !== undefined && fault.tenantId.toLowerCase() !== target.tenantId?.toLowerCase()) return false;
  return true;
}

/** Checks a fault that arrived as JSON (control API) or from code that bypassed the types. */
export function parseSimulatorFault(input: unknown): { ok: true; fault: SimulatorFault } | { ok: false; problem: string } {
  if (typeof input !== 'object' || input === null) return { ok: false, problem: 'a fault must be a JSON object' };
  const fault = input as Record<string, unknown>;
  const { on, kind } = fault;
  if (on !== 'sendMail' && on !== 'token' && !(DRAFT_STEPS as readonly unknown[]).includes(on)) {
    return { ok: false, problem: `'on' must be 'sendMail', 'token' or one of ${DRAFT_STEPS.join(', ')}` };
  }

  for (const field of ['mailbox', 'tenantId', 'code', 'message', 'retryAfter'] as const) {
    if (fault[field] !== undefined && typeof fault[field] !== 'string') {
      return { ok: false, problem: `'${field}' must be a string` };
    }
  }
  if (fault.times !== undefined && !isPositiveInteger(fault.times)) {
    return { ok: false, problem: "'times' must be a positive integer" };
  }
  if (on === 'token' && fault.mailbox !== undefined) {
    return { ok: false, problem: "token faults cannot be limited to a mailbox; use 'tenantId'" };
  }

  switch (kind) {
    case 'status':
      if (!Number.isInteger(fault.status) || (fault.status as number) < 400 || (fault.status as number) > 599) {
        return { ok: false, problem: "'status' must be an HTTP error status (400-599)" };
      }
      break;
    case 'stall':
      if (typeof fault.ms !== 'number' || !Number.isFinite(fault.ms) || fault.ms < 0) {
        return { ok: false, problem: "'ms' must be a non-negative number" };
      }
      break;
    case 'accept-then-504':
    case 'accept-then-reset':
      if (on !== 'sendMail' && on !== 'send') return { ok: false, problem: `'${kind}' applies to sendMail and send only` };
      break;
    case 'reset-mid-upload':
    case 'expire-session':
      if (on !== 'upload') return { ok: false, problem: `'${kind}' applies to upload only` };
      break;
    default:
      return {
        ok: false,
        problem: "'kind' must be 'status', 'stall', 'accept-then-504', 'accept-then-reset', 'reset-mid-upload' or 'expire-session'",
      };
  }
  // The checks above establish the shape of the union member named by `kind`.
  return { ok: true, fault: fault as unknown as SimulatorFault };
}

function isPositiveInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}
