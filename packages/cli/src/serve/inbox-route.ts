// `GET /approvals` of `baton serve`: the inbox — the approvals waiting in the caller's tenant that it may decide.
import type { RunStoreApi } from '@baton/runtime';
import { mayDecide } from '@baton/protocol';
import type { Principal } from './access.js';

/** One approval of the inbox. `deadline`: ISO 8601, when its `timeout` ends (absent: none). */
export interface InboxItem {
  runId: string;
  flow: string;
  task: string;
  assignee?: string;
  prompt?: string;
  deadline?: string;
  options: string[];
}

/**
 * The approvals waiting in `caller`'s tenant that it may decide ({@link mayDecide}: an admin every one; an approver
 * those of its flows assigned to it, one of its groups, or no one; other roles none), most urgent first: by
 * deadline (those without one last), then by run id (ULIDs: oldest first). At most `limit` runs are read (waiting
 * runs of the tenant, newest first as the store lists them).
 */
export async function inbox(store: RunStoreApi, caller: Principal, limit: number): Promise<InboxItem[]> {
  const items: InboxItem[] = [];
  for (const run of await store.listRuns({ status: 'waiting', limit, tenant: caller.tenant })) {
    for (const wait of run.waitingOn) {
      if (wait.kind !== 'approval' || !mayDecide(caller, run, wait)) continue;
      items.push({ runId: run.id, flow: run.flow, task: wait.task, ...(wait.assignee !== undefined ? { assignee: wait.assignee } : {}), ...(wait.prompt !== undefined ? { prompt: wait.prompt } : {}), ...(wait.deadline ? { deadline: wait.deadline } : {}), options: wait.options });
    }
  }
  const at = (item: InboxItem): number => (item.deadline ? Date.parse(item.deadline) : Number.POSITIVE_INFINITY);
  return items.sort((a, b) => at(a) - at(b) || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
}
