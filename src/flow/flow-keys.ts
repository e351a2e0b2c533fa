// The Redis keys of flow control, in one place. Every key of a tenant carries the tenant's hash tag
// `{t:<tenant>}`, so each Lua script and MULTI of the gate touches one Redis Cluster slot, and
// tenants spread over the cluster. docs/flow-control.md lists each key and what it models.

/** Where a queue's flow-control keys live: `<queue name>:flow:` (the worker's gate and `ops flow status`). */
export function flowKeyPrefix(queueName: string): string {
  return `${queueName}:flow:`;
}

export class FlowKeyError extends Error {
  override name = 'FlowKeyError';
}

/** Characters Redis reads as a hash tag's bounds; none may appear before or inside the tenant's tag. */
const BRACES = /[{}]/;

export interface AdmissionKeys {
  next: string;
  slot: string;
  mailboxPause: string;
  appPause: string;
  sent: string;
  sending: string;
  admission: string;
  lanes: string;
}

export class FlowKeys {
  /** @param prefix e.g. "omikai-email:flow:"; it must hold no brace, or its braces would be the hash tag. */
  constructor(readonly prefix: string) {
    if (BRACES.test(prefix)) throw new FlowKeyError(`The flow-control key prefix "${prefix}" must not contain { or }.`);
  }

  /**
   * `{t:<tenant>}`: the tenant Entra issued the token for (the token's tid, a GUID). Anything after
   * the tag (a mailbox, a job id) may hold braces: Redis hashes only the first tag.
   */
  tenantTag(tenantId: string): string {
    if (BRACES.test(tenantId) || tenantId === '')
      throw new FlowKeyError('A tenant id used in a flow-control key must be non-empty and hold no { or }.');
    return `{t:${tenantId.toLowerCase()}}`;
  }

  /** Every key one admission and its release touch, built with one tag (this runs once per send). */
  admission(ticket: { tenantId: string; mailbox: string; clientId: string; jobId: string }): AdmissionKeys {
    const tag = `${this.prefix}${this.tenantTag(ticket.tenantId)}`;
    const mailbox = `${tag}:mbx:${ticket.mailbox.toLowerCase()}`;
    return {
      next: `${mailbox}:next`,
      slot: `${mailbox}:slot:${ticket.jobId}`,
      mailboxPause: `${mailbox}:pause`,
      appPause: `${tag}:app:${ticket.clientId.toLowerCase()}:pause`,
      sent: `${mailbox}:sent`,
      sending: `${mailbox}:sending`,
      admission: `${mailbox}:admission:${ticket.jobId}`,
      lanes: `${mailbox}:lanes`,
    };
  }

  /** Exchange's budgets of one mailbox, as this tenant uses it. */
  mailbox(tenantId: string, mailbox: string, kind: 'next' | 'sent' | 'sending' | 'pause'): string {
    return `${this.prefix}${this.tenantTag(tenantId)}:mbx:${mailbox.toLowerCase()}:${kind}`;
  }

  /** The mailbox's daily recipients, as rate-limiter-flexible's key (it adds the prefix itself). */
  recipients(tenantId: string, mailbox: string): string {
    return `${this.tenantTag(tenantId)}:mbx:${mailbox.toLowerCase()}:recipients`;
  }

  /** rate-limiter-flexible's keyPrefix: it joins prefix and key with a colon. */
  get recipientsPrefix(): string {
    return this.prefix.replace(/:$/, '');
  }

  /** Graph's budgets of one app (client id) in this tenant. */
  app(tenantId: string, clientId: string, kind: 'pause' | 'throttled'): string {
    return `${this.prefix}${this.tenantTag(tenantId)}:app:${clientId.toLowerCase()}:${kind}`;
  }

  /** How often a job was deferred by throttling. */
  jobDeferrals(tenantId: string, jobId: string): string {
    return `${this.prefix}${this.tenantTag(tenantId)}:job:${jobId}:deferrals`;
  }
}
