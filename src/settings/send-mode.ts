// The account's way of sending (sendMail or a draft) and its mailbox size limit, read from its
// settings. Pure: throws a `settings` DeliveryError naming the setting when a value is not usable.
import { DeliveryError } from '@omikai/graph-mailer-client';
import { ERP_GRAPH_SETTINGS_PAGE } from './erp-pages';
import { maskSettingValue } from './setting-value';
import type { AccountSettings } from './settings-store';

export const SEND_MODES = ['direct', 'draft', 'auto'] as const;
export type SendMode = (typeof SEND_MODES)[number];

/** Exchange Online's default MaxSendSize, and the most it can be raised to (per mailbox or plan). */
export const DEFAULT_MAX_SEND_SIZE_MB = 35;
export const MAX_MAX_SEND_SIZE_MB = 150;
const BYTES_PER_MB = 1024 * 1024;

export interface SendModeSettings {
  mode: SendMode;
  /** The encoded message (base64 attachments included) must not exceed this. */
  maxSendSizeBytes: number;
}

export function readSendModeSettings(account: Pick<AccountSettings, 'accountId' | 'sendMode' | 'maxSendSizeMb'>): SendModeSettings {
  const { accountId } = account;
  const stored = account.sendMode?.toLowerCase();
  if (stored !== undefined && !(SEND_MODES as readonly string[]).includes(stored)) {
    throw new DeliveryError({
      category: 'settings',
      code: 'InvalidSendMode',
      reason: `Account ${accountId}'s send mode (${maskSettingValue(account.sendMode ?? '')}) is not one of direct, draft, auto; correct it at ${ERP_GRAPH_SETTINGS_PAGE} (microsoftGraph.sendMode).`,
    });
  }
  let sizeMb = DEFAULT_MAX_SEND_SIZE_MB;
  if (account.maxSendSizeMb !== undefined) {
    sizeMb = Number(account.maxSendSizeMb);
    if (!Number.isFinite(sizeMb) || sizeMb <= 0 || sizeMb > MAX_MAX_SEND_SIZE_MB) {
      throw new DeliveryError({
        category: 'settings',
        code: 'InvalidMaxSendSize',
        reason: `Account ${accountId}'s maximum send size (${maskSettingValue(account.maxSendSizeMb)}) is not a number of MB from 1 to ${MAX_MAX_SEND_SIZE_MB}; correct it at ${ERP_GRAPH_SETTINGS_PAGE} (microsoftGraph.maxSendSizeMb).`,
      });
    }
  }
  return { mode: (stored as SendMode | undefined) ?? 'direct', maxSendSizeBytes: Math.floor(sizeMb * BYTES_PER_MB) };
}
