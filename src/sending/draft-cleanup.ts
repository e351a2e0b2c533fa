// The job's draft in its BullMQ progress, and deleting a draft whose e-mail will not be sent.
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { toError } from '@omikai/graph-mailer-client';
import type { SendRoute } from '../settings/resolve-sender';
import type { DraftGraph, DraftProgress, DraftState } from './draft-send';

/** Reads and writes `progress.draft`, keeping whatever else the progress holds. */
export function draftProgressOf(job: Job): DraftProgress {
  const progressObject = (): Record<string, unknown> =>
    typeof job.progress === 'object' && job.progress !== null ? (job.progress as Record<string, unknown>) : {};
  return {
    current: () => progressObject().draft as DraftState | undefined,
    save: async (state) => {
      const { draft: _old, ...rest } = progressObject();
      const next =
        state === undefined ? rest : { ...rest, draft: Object.fromEntries(Object.entries(state).filter(([, v]) => v !== undefined)) };
      await job.updateProgress(next);
    },
  };
}

/** Deletes the job's draft if it is still a draft (a sent item keeps its id: it must never be deleted). */
export async function discardDraft(
  graph: Pick<DraftGraph, 'getMessage' | 'deleteMessage'>,
  progress: DraftProgress,
  route: Pick<SendRoute, 'sender' | 'credentials'>,
  accessToken: string,
  clientRequestId: string,
  logger: Logger,
  jobId: string,
): Promise<void> {
  const state = progress.current();
  if (!state) return;
  try {
    const found = await graph.getMessage(route, state.id, accessToken, clientRequestId);
    if (found.ok && found.value.isDraft === true) {
      const deleted = await graph.deleteMessage(route, state.id, accessToken, clientRequestId);
      if (!deleted.ok)
        throw new Error(`Graph answered ${deleted.result.kind === 'response' ? deleted.result.status : deleted.result.code}`);
      logger.info({ jobId, sender: route.sender }, 'draft of a failed e-mail deleted');
    }
    await progress.save(undefined);
  } catch (err: unknown) {
    // The sweeper (ops drafts clean) removes it after a day.
    logger.warn({ jobId, sender: route.sender, err: toError(err).message }, 'could not delete the draft of a failed e-mail');
  }
}
