// `GET /approvals` of `baton serve`: the inbox — the approvals waiting in the caller's tenant that it may decide.
import type { RunRecord, RunStoreApi } from '@baton/runtime';
import { mayDecide } from '@baton/protocol';
import type { InboxItem } from '@baton/protocol';
import type { Principal } from './access.js';

export type { InboxItem } from '@baton/protocol';

/** How many waiting runs of a tenant `GET /approvals` reads at most (newest first), in pages of {@link INBOX_PAGE}. */
export const INBOX_SCAN_LIMIT = 10_000;
/** Waiting runs read per store query. */
const INBOX_PAGE = 1000;

/**
 * The approvals waiting in `caller`'s tenant that it may decide ({@link mayDecide}: an admin every one; an approver
 * those of its flows assigned to it, one of its groups, or no one; other roles none), most urgent first: by
 * deadline (those without one last), then by run id (ULIDs: oldest first). At most `scanLimit` waiting runs of the
 * tenant are read, newest first, in keyset pages (`listRunsPage`; a store without it: one `listRuns` of `scanLimit`).
 */
export async function inbox(store: RunStoreApi, caller: Principal, scanLimit = INBOX_SCAN_LIMIT): Promise<InboxItem[]> {
  const items: InboxItem[] = [];
  const take = (runs: readonly RunRecord[]): void => {
    for (const run of runs) {
      for (const wait of run.waitingOn) {
        if (wait.kind !== 'approval' || !mayDecide(caller, run, wait)) continue;
        items.push({ runId: run.id, flow: run.flow, task: wait.task, ...(wait.assignee !== undefined ? { assignee: wait.assignee } : {}), ...(wait.prompt !== undefined ? { prompt: wait.prompt } : {}), ...(wait.deadline ? { deadline: wait.deadline } : {}), ...(wait.slaDeadline ? { slaDeadline: wait.slaDeadline } : {}), options: wait.options });
      }
    }
  };
  if (!store.listRunsPage) take(await store.listRuns({ status: 'waiting', limit: scanLimit, tenant: caller.tenant }));
  else {
    let before: string | undefined;
    for (let read = 0; read < scanLimit; ) {
      const page = await store.listRunsPage({ status: 'waiting', tenant: caller.tenant, limit: Math.min(INBOX_PAGE, scanLimit - read), ...(before ? { before } : {}) });
      take(page.runs);
      read += page.runs.length;
      if (!page.next || page.runs.length === 0) break;
      before = page.next;
    }
  }
  const at = (item: InboxItem): number => (item.deadline ? Date.parse(item.deadline) : Number.POSITIVE_INFINITY);
  return items.sort((a, b) => at(a) - at(b) || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
}
