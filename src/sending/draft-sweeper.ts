// Finds the drafts this worker left behind in a mailbox (tagged with the job id, older than the
// sweep age) and deletes those still drafts: a job that failed for good without deleting its draft,
// or one a person abandoned. A sent item keeps its id and is never touched.
import { randomUUID } from 'node:crypto';
import type { GraphDraftClient } from '../graph/draft-client';
import type { SendRoute } from '../settings/resolve-sender';

export interface DraftSweep {
  mailbox: string;
  found: number;
  deleted: number;
  /** Drafts Graph would not delete (listed for a person). */
  failed: string[];
  /** Set when the Drafts folder could not be listed. */
  error?: string;
}

export async function sweepTaggedDrafts(
  graph: Pick<GraphDraftClient, 'listTaggedDrafts' | 'deleteMessage'>,
  route: Pick<SendRoute, 'sender' | 'credentials'>,
  accessToken: string,
  before: Date,
  dryRun: boolean,
): Promise<DraftSweep> {
  const requestId = randomUUID();
  const sweep: DraftSweep = { mailbox: route.sender, found: 0, deleted: 0, failed: [] };
  const listed = await graph.listTaggedDrafts(route, before, accessToken, requestId);
  if (!listed.ok) {
    const { result } = listed;
    sweep.error =
      result.kind === 'response' ? `Graph answered ${result.status} ${result.errorCode ?? ''}`.trim() : `no answer (${result.code})`;
    return sweep;
  }
  const drafts = (listed.value.value ?? []).filter((message) => message.isDraft !== false);
  sweep.found = drafts.length;
  if (dryRun) return sweep;
  for (const draft of drafts) {
    const deleted = await graph.deleteMessage(route, draft.id, accessToken, requestId);
    if (deleted.ok) sweep.deleted += 1;
    else sweep.failed.push(draft.id);
  }
  return sweep;
}
