// The Graph calls of draft-based sending: create a draft, attach files (small ones in one request,
// large ones through an upload session), send it, and look it up again after a lost answer. Every
// call returns what came back as data (GraphSendResult for failures), like GraphMailClient.sendMail.
import type { CloudName } from '../../config/env-schema';
import type { SendRoute } from '../settings/resolve-sender';
import { cloudOfGraphBaseUrl, resolveCloudEndpoints } from './clouds';
import { abortAfter, type GraphSendResult, readGraphResponse, transportFailure } from './graph-mail-client';

/** Ids survive the move from Drafts to Sent Items only with this header, on every call that takes or returns one. */
export const IMMUTABLE_ID_PREFERENCE = 'IdType="ImmutableId"';

/**
 * The tag on every draft this worker creates (a named MAPI property in PS_PUBLIC_STRINGS holding
 * the job id): the sweeper finds leftovers by it, and it never reaches a recipient.
 */
export const DRAFT_TAG_PROPERTY_ID = 'String {00020329-0000-0000-C000-000000000046} Name omikaiMailerJobId';

export type GraphCall<T> =
  { ok: true; status: number; requestId?: string; value: T; location?: string } | { ok: false; result: GraphSendResult };

export interface DraftMessage {
  id: string;
  internetMessageId?: string;
  isDraft?: boolean;
  createdDateTime?: string;
}

export interface UploadSession {
  uploadUrl?: unknown;
  expirationDateTime?: string;
  nextExpectedRanges?: string[];
}

export interface DraftClientOptions {
  graphBaseUrl: string;
  timeoutMs: number;
  cloud?: CloudName;
  fetch?: typeof fetch;
}

type Route = Pick<SendRoute, 'sender' | 'credentials'>;

export class GraphDraftClient {
  private readonly configuredCloud: CloudName;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: DraftClientOptions) {
    this.configuredCloud = options.cloud ?? cloudOfGraphBaseUrl(options.graphBaseUrl) ?? 'global';
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** The cloud a route's account is in: upload sessions and upload hosts depend on it. */
  cloudOf(route: Pick<SendRoute, 'credentials'>): CloudName {
    return route.credentials.cloud ?? this.configuredCloud;
  }

  private userUrl(route: Route, path: string): string {
    const { cloud } = route.credentials;
    const base =
      cloud === undefined || cloud === this.configuredCloud ? this.options.graphBaseUrl : resolveCloudEndpoints(cloud).graphBaseUrl;
    return `${base}/v1.0/users/${encodeURIComponent(route.sender)}${path}`;
  }

  private async call<T>(method: string, url: string, accessToken: string, clientRequestId: string, body?: unknown): Promise<GraphCall<T>> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${accessToken}`,
      'client-request-id': clientRequestId,
      prefer: IMMUTABLE_ID_PREFERENCE,
      accept: 'application/json',
    };
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return this.exchange<T>(url, init);
  }

  private async exchange<T>(url: string, init: RequestInit): Promise<GraphCall<T>> {
    return abortAfter(this.options.timeoutMs, async (signal) => {
      let response: Response;
      try {
        response = await this.fetchImpl(url, { ...init, signal });
      } catch (err: unknown) {
        return { ok: false, result: transportFailure(err) };
      }
      if (!response.ok) return { ok: false, result: await readGraphResponse(response) };
      const text = await response.text().catch(() => '');
      let value: unknown;
      try {
        value = text ? JSON.parse(text) : {};
      } catch {
        value = {};
      }
      const requestId = response.headers.get('request-id') ?? undefined;
      const location = response.headers.get('location') ?? undefined;
      return {
        ok: true,
        status: response.status,
        value: value as T,
        ...(requestId ? { requestId } : {}),
        ...(location ? { location } : {}),
      };
    });
  }

  /** POST /users/{sender}/messages: the draft, tagged with the job id. */
  createDraft(route: Route, message: Record<string, unknown>, jobId: string, token: string, requestId: string) {
    const tagged = { ...message, singleValueExtendedProperties: [{ id: DRAFT_TAG_PROPERTY_ID, value: jobId }] };
    return this.call<DraftMessage>('POST', this.userUrl(route, '/messages'), token, requestId, tagged);
  }

  /** GET the message by its immutable id: still a draft, or sent (the Sent Items copy). */
  getMessage(route: Route, messageId: string, token: string, requestId: string) {
    const query = '?$select=id,isDraft,internetMessageId,createdDateTime';
    return this.call<DraftMessage>('GET', this.userUrl(route, `/messages/${encodeURIComponent(messageId)}${query}`), token, requestId);
  }

  /** Sent Items holding a message with this Internet Message-ID. */
  findInSentItems(route: Route, internetMessageId: string, token: string, requestId: string) {
    const filter = encodeURIComponent(`internetMessageId eq '${internetMessageId.replace(/'/g, "''")}'`);
    const url = this.userUrl(route, `/mailFolders/sentitems/messages?$filter=${filter}&$select=id,isDraft,internetMessageId`);
    return this.call<{ value?: DraftMessage[] }>('GET', url, token, requestId);
  }

  /** The draft's attachments (names and sizes only): a resumed job skips those already attached. */
  listAttachments(route: Route, messageId: string, token: string, requestId: string) {
    const url = this.userUrl(route, `/messages/${encodeURIComponent(messageId)}/attachments?$select=id,name,size`);
    return this.call<{ value?: { id: string; name?: string; size?: number }[] }>('GET', url, token, requestId);
  }

  addFileAttachment(route: Route, messageId: string, attachment: Record<string, unknown>, token: string, requestId: string) {
    const url = this.userUrl(route, `/messages/${encodeURIComponent(messageId)}/attachments`);
    return this.call<{ id?: string }>('POST', url, token, requestId, { '@odata.type': '#microsoft.graph.fileAttachment', ...attachment });
  }

  createUploadSession(route: Route, messageId: string, attachmentItem: Record<string, unknown>, token: string, requestId: string) {
    const url = this.userUrl(route, `/messages/${encodeURIComponent(messageId)}/attachments/createUploadSession`);
    return this.call<UploadSession>('POST', url, token, requestId, { AttachmentItem: { attachmentType: 'file', ...attachmentItem } });
  }

  /**
   * PUT one byte range to a pre-authenticated upload URL. It takes no token on purpose: the URL
   * carries its own credential, and ours must never reach its host.
   */
  putRange(uploadUrl: URL, bytes: Uint8Array, startByte: number, totalBytes: number) {
    const headers = {
      'content-type': 'application/octet-stream',
      'content-range': `bytes ${startByte}-${startByte + bytes.byteLength - 1}/${totalBytes}`,
    };
    return this.exchange<UploadSession>(uploadUrl.href, { method: 'PUT', headers, body: bytes });
  }

  /** GET a pre-authenticated upload URL: the session's nextExpectedRanges after a PUT whose answer was lost. */
  getUploadStatus(uploadUrl: URL) {
    return this.exchange<UploadSession>(uploadUrl.href, { method: 'GET', headers: { accept: 'application/json' } });
  }

  /** POST …/messages/{id}/send: 202 Accepted, no body. */
  sendDraft(route: Route, messageId: string, token: string, requestId: string) {
    return this.call<unknown>('POST', this.userUrl(route, `/messages/${encodeURIComponent(messageId)}/send`), token, requestId);
  }

  deleteMessage(route: Route, messageId: string, token: string, requestId: string) {
    return this.call<unknown>('DELETE', this.userUrl(route, `/messages/${encodeURIComponent(messageId)}`), token, requestId);
  }

  /** Drafts in the Drafts folder carrying this worker's tag, created before `before`. */
  listTaggedDrafts(route: Route, before: Date, token: string, requestId: string) {
    const filter = encodeURIComponent(
      `singleValueExtendedProperties/Any(ep: ep/id eq '${DRAFT_TAG_PROPERTY_ID}' and ep/value ne null) and createdDateTime lt ${before.toISOString()}`,
    );
    const url = this.userUrl(route, `/mailFolders/drafts/messages?$filter=${filter}&$select=id,isDraft,createdDateTime&$top=100`);
    return this.call<{ value?: DraftMessage[] }>('GET', url, token, requestId);
  }
}
