// The audit trail's hash chain (issue 13): every stored event carries the hash of the event before it in its run's log
// (`prev_hash`) and a hash over its own content and that link (`hash`), so a changed, removed, inserted or reordered
// event breaks the chain where it is. Both stores compute the hashes here, in the write that gives an event its seq.
import crypto from 'node:crypto';
import type { RunEvent } from '@baton/protocol';

/**
 * The canonical JSON of `value`: the JSON Canonicalization Scheme (JCS, RFC 8785) for the values JSON can hold —
 * object members sorted by their names' UTF-16 code units (RFC 8785 §3.2.3), no whitespace, strings escaped as
 * ECMAScript's `JSON.stringify` escapes them and numbers written as it writes them (§3.2.2: ECMAScript's
 * Number-to-String). Like `JSON.stringify`, `toJSON` is called, `undefined` and functions are left out of objects
 * and become `null` in arrays, non-finite numbers become `null` — so `canonicalJson(v)` equals
 * `canonicalJson(JSON.parse(JSON.stringify(v)))`: an event hashes the same before it is stored and as read back.
 */
export function canonicalJson(value: unknown): string {
  const text = canonical(value);
  return text === undefined ? 'null' : text;
}

/**
 * {@link canonicalJson}'s writer, or undefined for what JSON leaves out. Built by concatenation, without the arrays
 * and joins a map/join form makes (it runs twice per step of every run: bench/README.md, issue 15).
 */
function canonical(value: unknown): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'bigint':
      throw new TypeError('a bigint has no JSON form');
    case 'object':
      return Array.isArray(value) ? canonicalArray(value) : canonicalObject(value as Record<string, unknown>);
    default:
      return undefined; // undefined, functions, symbols: left out
  }
}

function canonicalArray(items: readonly unknown[]): string {
  let text = '[';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) text += ',';
    text += canonical(items[i]) ?? 'null';
  }
  return `${text}]`;
}

function canonicalObject(value: Record<string, unknown>): string {
  const keys = Object.keys(value);
  sortKeys(keys);
  let text = '{';
  for (const key of keys) {
    const member = canonical(value[key]);
    if (member === undefined) continue;
    if (text.length > 1) text += ',';
    text += quotedKey(key) + member;
  }
  return `${text}}`;
}

/**
 * Sorts member names by UTF-16 code units, as RFC 8785 §3.2.3 asks (JavaScript's `<` on strings compares them so):
 * an insertion sort, faster than `Array.prototype.sort` for the few members an event's objects have.
 */
function sortKeys(keys: string[]): void {
  if (keys.length > 16) {
    keys.sort();
    return;
  }
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i];
    let j = i - 1;
    while (j >= 0 && keys[j] > key) {
      keys[j + 1] = keys[j];
      j--;
    }
    keys[j + 1] = key;
  }
}

/** `"name":` of each member name met (bounded: past {@link MAX_QUOTED_KEYS} names it starts again). */
const quotedKeys = new Map<string, string>();
const MAX_QUOTED_KEYS = 4096;

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    if (quotedKeys.size >= MAX_QUOTED_KEYS) quotedKeys.clear();
    quoted = `${JSON.stringify(key)}:`;
    quotedKeys.set(key, quoted);
  }
  return quoted;
}

/** The content of one stored event the chain covers: its columns, its payload and its link. */
export interface ChainedEventContent {
  runId: string;
  seq: number;
  type: string;
  /** ISO 8601 with milliseconds (`Date.toISOString`), as stored. */
  time: string;
  /** The payload stored in `events.data`: the event without `runId`, `seq` and `time` (it holds `type` again). */
  data: unknown;
  /** The hash of the run's event at `seq - 1` (lowercase hex); null for seq 1. */
  prev: string | null;
}

/**
 * The hash of a stored event: SHA-256 (node:crypto) over the UTF-8 bytes of the canonical JSON ({@link canonicalJson},
 * RFC 8785) of `{ data, prev, runId, seq, time, type }`, as 64 lowercase hex digits; `time` is hashed as
 * `Date.toISOString` writes the instant (UTC, milliseconds), whatever form it was given in.
 */
export function eventHash(content: ChainedEventContent): string {
  const { runId, seq, type, data, prev } = content;
  const time = isoInstant(content.time);
  // canonicalJson({ data, prev, runId, seq, time, type }) written out: its members in their sorted order
  let text = member('{', 'data', data);
  text = member(text, 'prev', prev);
  text = member(text, 'runId', runId);
  text = member(text, 'seq', seq);
  text = member(text, 'time', time);
  return sha256Hex(`${member(text, 'type', type)}}`);
}

/** The last time {@link isoInstant} wrote, and what it was given: a step's two events often share their millisecond. */
let lastInstant = { given: '', iso: '' };

/** The instant as `Date.toISOString` writes it (PostgreSQL gives back a timestamptz, not the text it was given); `time` when not a date. */
function isoInstant(time: string): string {
  if (time === lastInstant.given) return lastInstant.iso;
  const parsed = Date.parse(time);
  const iso = Number.isNaN(parsed) ? time : new Date(parsed).toISOString();
  lastInstant = { given: time, iso };
  return iso;
}

/** `text` (an object's members so far, from its `{`) with `"key":value` added, unless JSON leaves `value` out. */
function member(text: string, key: string, value: unknown): string {
  const json = canonical(value);
  if (json === undefined) return text;
  return `${text}${text.length > 1 ? ',' : ''}"${key}":${json}`;
}

/** SHA-256 of `text`'s UTF-8 bytes as lowercase hex: node:crypto's one-shot `hash` where this Node has it (20.12+). */
const sha256Hex: (text: string) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (text) => (crypto as unknown as { hash: (algorithm: string, data: string, encoding: 'hex') => string }).hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

/** The payload of `event` as `events.data` stores it: the event without its own columns (run id, seq, time). */
export function eventPayload(event: RunEvent): Record<string, unknown> {
  const { runId: _r, seq: _s, time: _t, ...data } = event;
  return data;
}

/** An event with its links, as the chain stores it (see {@link chainEvents}). */
export interface HashedEvent {
  runId: string;
  event: RunEvent;
  /** The payload's JSON, as stored in `events.data`. */
  data: string;
  prev: string | null;
  hash: string;
}

/**
 * Hashes events about to be stored, in order: each event's `prev` is the hash of the event before it among `events`
 * of its run, or, for a run's first one here, `prevOf(runId, seq)` — the stored hash at `seq - 1` (null when `seq` is 1).
 * Call it with the events' final seqs, in the transaction that stores them.
 */
export function chainEvents(events: readonly { runId: string; event: RunEvent }[], prevOf: (runId: string, seq: number) => string | null): HashedEvent[] {
  const last = new Map<string, { seq: number; hash: string }>();
  return events.map(({ runId, event }) => {
    const before = last.get(runId);
    const prev = event.seq === 1 ? null : before && before.seq === event.seq - 1 ? before.hash : prevOf(runId, event.seq);
    const payload = eventPayload(event);
    const hash = eventHash({ runId, seq: event.seq, type: event.type, time: event.time, data: payload, prev });
    last.set(runId, { seq: event.seq, hash });
    return { runId, event, data: JSON.stringify(payload), prev, hash };
  });
}

/**
 * One stored event as the audit reads it (see `AuditSource`): its content with `data` the stored payload parsed, and
 * `prev` / `hash` null when their columns are empty (an event written without the chain).
 */
export interface ChainRow extends ChainedEventContent {
  hash: string | null;
}

/** What is wrong with one event of a run's chain. */
export interface ChainProblem {
  runId: string;
  /** The seq the problem is at (for `removed`, the missing seq). */
  seq: number;
  /**
   * `changed`: its content does not match its hash (or it was re-hashed: the next event links to another one);
   * `removed`: an event that was there is gone; `inserted`: an event that was never appended by the chain;
   * `reordered`: a stored event moved to another seq (its hash was made at `writtenAs`).
   */
  kind: 'changed' | 'removed' | 'inserted' | 'reordered';
  message: string;
  /** For `reordered`: the seq the event was appended at. */
  writtenAs?: number;
}

/**
 * Checks one run's stored events (`rows`, ordered by seq) against their chain and names each changed, removed,
 * inserted or reordered event. A row whose hash matches its content at its stored seq was appended there; one that
 * matches at another seq (found by following its `prev` link to the event it was appended after) was moved; one that
 * matches nowhere was changed. Then the links: a gap in the seqs of the appended events is a removal, an appended
 * event nobody links to (but the last) is an insertion, a link to another hash than the event before it is a change
 * of that event re-hashed after the fact. What the chain cannot see — the last events removed, or every hash after a
 * change recomputed — needs an anchor kept elsewhere (the exported head hash: `anchor`).
 * @param anchor a head recorded earlier (the run's last exported seq and hash): that event must still be there.
 * @returns the problems, ordered by seq; none for a run whose chain is whole.
 */
export function verifyRunChain(runId: string, rows: readonly ChainRow[], anchor?: { seq: number; hash: string }): ChainProblem[] {
  const problems: ChainProblem[] = [];
  const byHash = new Map<string, ChainRow>();
  for (const row of rows) if (row.hash) byHash.set(row.hash, row);
  const written = new Map<ChainRow, number | null>();
  const matches = (row: ChainRow, seq: number): boolean => row.hash !== null && eventHash({ runId, seq, type: row.type, time: row.time, data: row.data, prev: row.prev }) === row.hash;
  /** The seq `row`'s hash was made at, or null when it matches none (iterative along the prev links). */
  const writtenAs = (start: ChainRow): number | null => {
    const path: ChainRow[] = [];
    let row: ChainRow | undefined = start;
    let base: number | null = null;
    const seen = new Set<ChainRow>();
    while (row && !written.has(row) && !seen.has(row)) {
      seen.add(row);
      if (matches(row, row.seq)) {
        written.set(row, row.seq);
        break;
      }
      path.push(row);
      if (row.prev === null) {
        base = 0;
        row = undefined;
        break;
      }
      row = byHash.get(row.prev);
    }
    if (row && written.has(row)) base = written.get(row)!;
    for (let i = path.length - 1; i >= 0; i--) {
      const at: number | null = base === null ? null : base + 1;
      const found = at !== null && matches(path[i], at) ? at : null;
      written.set(path[i], found);
      base = found;
    }
    return written.get(start) ?? null;
  };
  const problem = (p: Omit<ChainProblem, 'runId'>): void => void problems.push({ runId, ...p });
  const appended: ChainRow[] = [];
  for (const row of rows) {
    const at = writtenAs(row);
    if (row.hash === null) problem({ seq: row.seq, kind: 'inserted', message: 'it has no hash: it was not appended through the store' });
    else if (at === null) problem({ seq: row.seq, kind: 'changed', message: 'its content does not match its hash' });
    else if (at !== row.seq) problem({ seq: row.seq, kind: 'reordered', writtenAs: at, message: `it was appended as seq ${at}` });
    if (at !== null) appended.push(row);
  }
  // the appended events in the order they were appended: each links to the one before it
  const bySeq = new Map<number, ChainRow[]>();
  for (const row of appended) bySeq.set(written.get(row)!, [...(bySeq.get(written.get(row)!) ?? []), row]);
  const unmatched = new Set(rows.filter((r) => !appended.includes(r)).map((r) => r.seq));
  const linked = new Set(rows.map((r) => r.prev).filter((p): p is string => p !== null));
  const genuine = new Map<number, ChainRow>();
  const lastSeq = Math.max(0, ...bySeq.keys());
  for (let seq = 1; seq <= lastSeq; seq++) {
    const here = bySeq.get(seq);
    if (!here) {
      if (!unmatched.has(seq)) problem({ seq, kind: 'removed', message: `seq ${seq} is missing from the log` });
      continue;
    }
    // two events appended at one seq: the one a later event links to is the chain's, the other was added
    let kept = here;
    if (here.length > 1) {
      const linkedHere = here.filter((r) => linked.has(r.hash!));
      kept = linkedHere.length > 0 ? linkedHere.slice(0, 1) : here.slice(0, 1);
      for (const row of here) if (!kept.includes(row)) problem({ seq: row.seq, kind: 'inserted', message: `it was added beside the event appended as seq ${seq}: no later event links to it` });
    }
    const row = kept[0];
    genuine.set(seq, row);
    if (seq === 1) {
      if (row.prev !== null) problem({ seq: row.seq, kind: 'inserted', message: 'it claims to follow another event, but seq 1 starts the chain' });
      continue;
    }
    const before = genuine.get(seq - 1);
    if (before && row.prev !== before.hash) {
      if (byHash.has(row.prev ?? '')) problem({ seq: row.seq, kind: 'inserted', message: `it does not link to seq ${seq - 1}` });
      else problem({ seq: before.seq, kind: 'changed', message: `its hash is not the one seq ${seq} links to: it was changed and hashed again` });
    }
  }
  if (anchor) {
    const stored = rows.find((r) => r.seq === anchor.seq);
    if (!stored) problem({ seq: anchor.seq, kind: 'removed', message: `the anchored head (seq ${anchor.seq}) is missing: the log ends at seq ${rows.at(-1)?.seq ?? 0}` });
    else if (stored.hash !== anchor.hash) problem({ seq: anchor.seq, kind: 'changed', message: `its hash is not the anchored head's (${anchor.hash.slice(0, 12)}…): the chain was rewritten up to here` });
  }
  const seen = new Set<string>();
  return problems
    .filter((p) => {
      const key = `${p.seq}:${p.kind}:${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.seq - b.seq);
}

/**
 * The hash of the last event a store handle knows to be committed per run, so that appending needs no read of the
 * stored head: an event at a (run, seq) never changes once committed, so a known hash at `seq - 1` is the one stored.
 * Hashes written by an open transaction count only once it committed ({@link commit}); a rollback forgets them.
 * Bounded: past {@link MAX_HEADS} runs the map starts again (the next append of a forgotten run reads its head).
 */
export class ChainHeads {
  static readonly MAX_HEADS = 10_000;
  private readonly committed = new Map<string, { seq: number; hash: string }>();
  private readonly written = new Map<string, { seq: number; hash: string }>();

  /** The hash at (`runId`, `seq` - 1) when known: written by the open transaction, or committed. */
  known(runId: string, seq: number): string | undefined {
    const head = this.written.get(runId) ?? this.committed.get(runId);
    return head && head.seq === seq - 1 ? head.hash : undefined;
  }

  /** Records events the open transaction wrote (in order). */
  wrote(events: readonly { runId: string; event: { seq: number }; hash: string }[]): void {
    for (const e of events) this.written.set(e.runId, { seq: e.event.seq, hash: e.hash });
  }

  /** Records a head read from the store (committed). */
  saw(runId: string, seq: number, hash: string | null): void {
    if (hash === null) return;
    if (this.committed.size >= ChainHeads.MAX_HEADS) this.committed.clear();
    this.committed.set(runId, { seq, hash });
  }

  /** The open transaction committed: its heads count. */
  commit(): void {
    for (const [runId, head] of this.written) this.saw(runId, head.seq, head.hash);
    this.written.clear();
  }

  /** The open transaction was rolled back: its heads are forgotten. */
  rollback(): void {
    this.written.clear();
  }
}
