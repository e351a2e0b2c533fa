// Which hosts an attachment upload URL may point to, and which clouds offer upload sessions at all.
// The upload URL is pre-authenticated: whoever holds it may write into the mailbox, so it is only
// ever sent to the cloud's own Outlook host (or the one configured test host), never with our token.
import type { CloudName } from './clouds';

/** The Outlook hosts Graph's attachment upload sessions point to, per national cloud. */
const OUTLOOK_UPLOAD_HOSTS: Record<CloudName, readonly string[]> = {
  global: ['outlook.office.com', 'outlook.office365.com'],
  usgov: ['outlook.office365.us'],
  'usgov-dod': ['outlook-dod.office365.us'],
  china: ['partner.outlook.cn'],
};

/**
 * Whether attachment/createUploadSession exists in the cloud. Its API page lists the national
 * clouds it is offered in; US Government L4 (GCC High) and L5 (DoD) were not among them when this
 * was written (docs/setup.md#large-attachments-draft-mode).
 */
const UPLOAD_SESSIONS: Record<CloudName, boolean> = { global: true, usgov: false, 'usgov-dod': false, china: true };

export function cloudHasUploadSessions(cloud: CloudName): boolean {
  return UPLOAD_SESSIONS[cloud];
}

export type UploadUrlCheck = { ok: true; url: URL } | { ok: false; problem: string };

/**
 * Accepts an upload URL only on the cloud's Outlook hosts, or on `allowedOrigin` (MS_UPLOAD_BASE_URL,
 * the simulator). The problem names the host, never the URL: its query string is a credential.
 */
export function checkUploadUrl(raw: unknown, cloud: CloudName, allowedOrigin?: string): UploadUrlCheck {
  if (typeof raw !== 'string') return { ok: false, problem: 'Graph returned no upload URL' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, problem: 'Graph returned an upload URL that is not a URL' };
  }
  if (url.username !== '' || url.password !== '') return { ok: false, problem: `the upload URL for ${url.host} carries user info` };
  if (allowedOrigin !== undefined && url.origin === new URL(allowedOrigin).origin) return { ok: true, url };
  if (url.protocol !== 'https:') return { ok: false, problem: `the upload URL for ${url.host} is not https` };
  const host = url.hostname.toLowerCase();
  if (url.port === '' && OUTLOOK_UPLOAD_HOSTS[cloud].includes(host)) return { ok: true, url };
  return {
    ok: false,
    problem: `the upload URL points to ${url.host}, which is not the ${cloud} cloud's Outlook host (${OUTLOOK_UPLOAD_HOSTS[cloud].join(', ')})`,
  };
}
