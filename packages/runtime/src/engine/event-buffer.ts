// Correlation and buffering of events, shared by the engine (a `wait event` taking a buffered event) and the run
// stores (delivering or buffering a sent event): one set of rules, so what a store keeps is what a wait takes.
import type { EventBufferedEvent, EventWaitingEvent, JsonValue, RunEvent } from '@baton/protocol';
import { deepEqual, getProperty } from '../expr/values.js';
import type { ReplayLog } from './replay-log.js';

/** The value at `path` in an event's data (`null` when a step of the path is missing). */
export function dataAt(data: JsonValue, path: readonly string[]): unknown {
  let value: unknown = data;
  for (const key of path) value = getProperty(value, key);
  return value;
}

/** Whether `data` reaches a wait with correlation `where` (none: every event does): the value at its path deep-equals its value. */
export function matchesWhere(data: JsonValue, where: { path: string[]; value: JsonValue } | undefined): boolean {
  return !where || deepEqual(dataAt(data, where.path), where.value);
}

/**
 * The oldest event buffered in the run's log that the wait `waiting` takes: the same event name, not taken,
 * not expired at `now`, and matching the wait's correlation.
 */
export function takeBufferedEvent(log: ReplayLog, waiting: EventWaitingEvent, now: Date): EventBufferedEvent | undefined {
  return log.eventsBuffered.find(
    (b) => b.event === waiting.event && !log.buffersTaken.has(b.id) && Date.parse(b.expires) > now.getTime() && matchesWhere(b.data, waiting.where),
  );
}

/** The buffered events of `event` in a run's log that no wait has taken and that have not expired at `now`. */
export function openBufferedEvents(events: readonly RunEvent[], event: string, now: Date): EventBufferedEvent[] {
  const taken = new Set<string>();
  for (const e of events) if (e.type === 'event.received' && e.bufferId) taken.add(e.bufferId);
  return events.filter((e): e is EventBufferedEvent => e.type === 'event.buffered' && e.event === event && !taken.has(e.id) && Date.parse(e.expires) > now.getTime());
}
