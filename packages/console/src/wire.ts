// What `baton serve`'s JSON API answers, as the console reads it (docs/cli.md, "baton serve"). The server's own
// types are the runtime's (RunRecord); these name the same JSON fields from protocol's types.
import type { JsonValue, RunError, RunEvent, RunStatus, TypeRef, WaitingOn } from '@baton/protocol';

/** A run as `GET /runs` and `GET /runs/<id>` answer it (the store's RunRecord). */
export interface RunSummary {
  id: string;
  flow: string;
  file: string | null;
  status: RunStatus;
  /** ISO 8601. */
  startedAt: string;
  finishedAt: string | null;
  inputs: Record<string, JsonValue>;
  outputs: Record<string, JsonValue>;
  error: RunError | null;
  waitingOn: WaitingOn[];
  cancelRequested: boolean;
  tenant?: string;
  /** ISO 8601: the run's first SLA breach (a flow's or an approval's `sla`), if any. */
  slaBreachedAt?: string;
  /** A live row (`GET /stream`'s `run` message) whose inputs were left out (over 2 KiB). */
  inputsTruncated?: true;
}

/** `GET /runs` (`next`: the id to pass as `before` for the next older page; absent on the last page). */
export interface RunsPage {
  runs: RunSummary[];
  next?: string;
  /** A text search stopped before filling the page: the oldest run id it looked at (pass it as `before` to search on). */
  searchedTo?: string;
}

/** One input of a served flow (`GET /flows`). */
export interface FlowInput {
  name: string;
  type: TypeRef;
  default?: JsonValue;
  doc?: string;
}

/** A served flow of the caller's tenant (`GET /flows` answers `{flows}`). `slaMs`: its SLA, ms. */
export interface FlowInfo {
  name: string;
  file: string;
  /** Its doc comment. */
  doc?: string;
  triggers: unknown[];
  inputs: FlowInput[];
  slaMs?: number;
}

/** `GET /runs/<id>`. */
export interface RunDetail {
  run: RunSummary;
  events: RunEvent[];
}

/** One approval of `GET /approvals` (the inbox), most urgent first. `deadline`: ISO 8601. */
export interface InboxItem {
  runId: string;
  flow: string;
  task: string;
  assignee?: string;
  prompt?: string;
  deadline?: string;
  /** ISO 8601: its `sla:` deadline (breached once past while undecided). */
  slaDeadline?: string;
  options: string[];
}
