// Which way an e-mail goes to Graph: one sendMail request, or a draft with attachments uploaded
// separately. Pure: the account's mode, the cloud's abilities and the e-mail's sizes decide.
import type { CloudName } from '../graph/clouds';
import { DeliveryError, MAX_SEND_MAIL_REQUEST_BYTES } from '@omikai/graph-mailer-client';
import { tooLargeForMailboxReason } from '../graph/classify-draft-result';
import type { SendModeSettings } from '../settings/send-mode';
import { encodedBytes, type AttachmentSource } from './attachment-source';

export type SendPath = 'direct' | 'draft';

/** Headers, recipients and the MIME structure around the parts: a generous allowance. */
const MESSAGE_OVERHEAD_BYTES = 16 * 1024;

/** The message's size as Exchange counts it against MaxSendSize: base64 attachments, body and headers. */
export function encodedMessageBytes(bodyChars: number, attachments: readonly Pick<AttachmentSource, 'sizeBytes'>[]): number {
  return MESSAGE_OVERHEAD_BYTES + bodyChars + attachments.reduce((sum, file) => sum + encodedBytes(file.sizeBytes), 0);
}

export interface SendPathInput {
  accountId: string;
  sender: string;
  settings: SendModeSettings;
  cloud: CloudName;
  uploadSessions: boolean;
  /** The sendMail request's size; only asked for when it matters (it serialises the e-mail). */
  sendMailRequestBytes: () => number;
  encodedMessageBytes: number;
}

function tooLarge(reason: string, code: string): DeliveryError {
  return new DeliveryError({ category: 'too-large', code, reason });
}

/** The path for the e-mail; throws a `too-large` or `settings` DeliveryError when none can carry it. */
export function chooseSendPath(input: SendPathInput): SendPath {
  const { settings, accountId } = input;
  if (settings.mode === 'draft' && !input.uploadSessions) {
    throw new DeliveryError({
      category: 'settings',
      code: 'DraftModeUnavailable',
      reason:
        `Account ${accountId} sends in draft mode, but the ${input.cloud} cloud offers no attachment upload sessions. ` +
        'Fix: set microsoftGraph.sendMode to direct or auto.',
    });
  }
  let path: SendPath = settings.mode === 'draft' ? 'draft' : 'direct';
  if (path === 'direct' && input.sendMailRequestBytes() > MAX_SEND_MAIL_REQUEST_BYTES) {
    if (settings.mode === 'auto' && input.uploadSessions) path = 'draft';
    else {
      const hint =
        settings.mode === 'auto'
          ? `the ${input.cloud} cloud has no upload sessions, so it cannot go as a draft`
          : 'larger e-mails need microsoftGraph.sendMode = auto or draft (and the Mail.ReadWrite permission)';
      throw tooLarge(
        `The e-mail is larger than Graph accepts in one sendMail request (4 MB including attachments as base64); ${hint}. Or send large files as links.`,
        'SendMailRequestTooLarge',
      );
    }
  }
  if (path === 'draft' && input.encodedMessageBytes > settings.maxSendSizeBytes) {
    throw tooLarge(tooLargeForMailboxReason(input.sender, settings.maxSendSizeBytes, input.encodedMessageBytes), 'OverMaxSendSize');
  }
  return path;
}
