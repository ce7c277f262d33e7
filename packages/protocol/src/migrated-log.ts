// Reading a run's log across migrations (`baton runs migrate`): the events before a `run.migrated` name the old
// definition's node ids; its `renamed` maps them to the new ones. The log is never rewritten — replay, the graph's
// run overlay and the run views apply the renames as they read.
import type { RunEvent, RunEventBase, WaitingOn } from './events.js';

/**
 * The run moved to another definition (`baton runs migrate`, `POST /runs/:id/migrate`): from here it executes
 * `to`. Recorded (with the run's definition switched, in one transaction) only after the migration was proved
 * compatible. `from`/`to` are definition hashes (SHA-256 hex of the definition's JSON). `renamed` maps the old path-based node ids that
 * moved with the edit to their new ids (`Order/if@2` → `Order/if@3`): replay applies it to the ids and keys of the
 * events before this one, so the log stays append-only.
 */
export interface RunMigratedEvent extends RunEventBase {
  type: 'run.migrated';
  from: string;
  to: string;
  /** The flow the run executes after the migration (usually the same name). */
  flow: string;
  renamed: Record<string, string>;
  /** Who asked for it (the API's caller), when known. */
  by?: string;
  /** The file the new definition was compiled from. */
  file?: string;
  /**
   * The run's SLA deadlines under the new definition (ISO 8601; null: no SLA there any more): its flow's (`sla`,
   * counted from the run's start) and those of the approvals it waits for (`sla:`, counted from each request), by task.
   * Replay reads them in place of the ones `run.started` and `approval.requested` carry. Absent in logs written before.
   */
  sla?: { flow: string | null; approvals: Record<string, string | null> };
}

/**
 * Event fields that hold a node id, or a key built from one (`wait@<id>[2]`, `incident/lock@<id>`, a `wait first`'s
 * `group` `choice@<id>`).
 */
const ID_FIELDS = ['node', 'key', 'step', 'task', 'scope', 'group'] as const;

/**
 * A function that replaces every old node id of `renamed` in a text by its new id, all at once (so `a → b` and
 * `b → a` swap). An id matches only whole: not inside a longer id (`Order/if@3` is not in `Order/if@3.1`, nor in
 * `Order/if@30`, nor in `XOrder/if@3`). Undefined when nothing is renamed.
 */
export function idRenamer(renamed: Record<string, string>): ((text: string) => string) | undefined {
  const ids = Object.keys(renamed).filter((id) => renamed[id] !== id);
  if (ids.length === 0) return undefined;
  ids.sort((a, b) => b.length - a.length);
  const pattern = new RegExp(`(?<![A-Za-z0-9_])(?:${ids.map(escapeRegExp).join('|')})(?![A-Za-z0-9_.@])`, 'g');
  return (text) => (text.includes('/') ? text.replace(pattern, (id) => renamed[id] ?? id) : text);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `event` with its node ids and the keys built from them renamed (a copy; `event` is left as it is). */
export function renameEvent(event: RunEvent, rename: (text: string) => string): RunEvent {
  const copy = { ...event } as Record<string, unknown>;
  for (const field of ID_FIELDS) {
    const value = copy[field];
    if (typeof value === 'string') copy[field] = rename(value);
  }
  if (Array.isArray(copy.waitingOn)) copy.waitingOn = renameWaits(copy.waitingOn as WaitingOn[], rename);
  return copy as unknown as RunEvent;
}

/** `waits` with their node ids and keys renamed (copies). */
export function renameWaits(waits: WaitingOn[], rename: (text: string) => string): WaitingOn[] {
  return waits.map((w) => {
    const copy = { ...w } as Record<string, unknown>;
    for (const field of ID_FIELDS) if (typeof copy[field] === 'string') copy[field] = rename(copy[field] as string);
    return copy as unknown as WaitingOn;
  });
}

/**
 * A run's log as its current definition reads it: each event before a `run.migrated` has that migration's
 * `renamed` applied (and those of every later migration, in order). The events themselves are not changed; a log
 * without migrations is returned as it is.
 */
export function readAcrossMigrations(events: readonly RunEvent[]): RunEvent[] {
  if (!events.some((e) => e.type === 'run.migrated')) return events as RunEvent[];
  const result = new Array<RunEvent>(events.length);
  // the renamers of the migrations after position i, in the order they happened
  const after: ((text: string) => string)[] = [];
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e.type === 'run.migrated') {
      const rename = idRenamer(e.renamed);
      if (rename) after.unshift(rename);
    }
    result[i] = after.length === 0 ? e : renameEvent(e, (text) => after.reduce((t, rename) => rename(t), text));
  }
  return result;
}

/**
 * What a drawing of a stored run says about its definition: `definition 3f2a9c1e`, and for a migrated run
 * `definition 3f2a9c1e · migrated from 91bb02de` (each definition it ran before, oldest first, comma-separated).
 * @param hash the SHA-256 (hex) of the run's definition now.
 * @param events the run's log (its `run.migrated` events name the definitions before).
 */
export function definitionTitle(hash: string, events: readonly RunEvent[]): string {
  const before = events.flatMap((e) => (e.type === 'run.migrated' ? [e.from.slice(0, 8)] : []));
  return `definition ${hash.slice(0, 8)}${before.length ? ` · migrated from ${before.join(', ')}` : ''}`;
}
