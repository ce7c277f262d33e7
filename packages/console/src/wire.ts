// What `baton serve`'s JSON API answers, as the console reads it (docs/cli.md, "baton serve"). The server's own
// types are the runtime's (RunRecord); these name the same JSON fields from protocol's types.
import type { JsonValue, RunEvent, RunRecord, TypeRef } from '@baton/protocol';

/** A run as `GET /runs` and `GET /runs/<id>` answer it (the store's RunRecord). */
export interface RunSummary extends RunRecord {
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

/** One approval of `GET /approvals` (the inbox), most urgent first. */
export type { InboxItem } from '@baton/protocol';
