// The SQLite store's side of the audit chain (event-chain.ts): the stored head a new event links to, the chaining of
// the events stored before schema 7, and the keyset-paged reads of `baton audit`.
import type sqlite from 'node-sqlite3-wasm';
import { eventHash, type ChainRow } from './event-chain.js';

type Db = InstanceType<(typeof sqlite)['Database']>;

/** The hash stored at (`runId`, `seq`), or null (seq 0, a missing event, or one without a hash). */
export function storedHash(db: Db, runId: string, seq: number): string | null {
  if (seq < 1) return null;
  const row = db.get('SELECT hash FROM events WHERE run_id = ? AND seq = ?', [runId, seq]) as { hash: string | null } | null;
  return row?.hash ?? null;
}

/** How many events one page of a keyset-paged read holds. */
const PAGE = 1000;

/**
 * Schema 6 → 7: adds `events.prev_hash` and `events.hash` and chains the events already stored, run by run in seq
 * order, as if they had been appended with the chain (so `baton audit verify` checks them like the others: the upgrade
 * is the moment from which a change is visible). Call inside the upgrade's transaction; reads in keyset pages.
 */
export function chainStoredEvents(db: Db): void {
  const columns = new Set((db.all('PRAGMA table_info(events)') as { name: string }[]).map((c) => c.name));
  if (!columns.has('prev_hash')) db.exec('ALTER TABLE events ADD COLUMN prev_hash TEXT');
  if (!columns.has('hash')) db.exec('ALTER TABLE events ADD COLUMN hash TEXT');
  let after: { runId: string; seq: number } = { runId: '', seq: 0 };
  let prev: { runId: string; hash: string } | undefined;
  for (;;) {
    const rows = db.all('SELECT run_id, seq, type, time, data FROM events WHERE (run_id, seq) > (?, ?) ORDER BY run_id, seq LIMIT ?', [after.runId, after.seq, PAGE]) as {
      run_id: string;
      seq: number;
      type: string;
      time: string;
      data: string;
    }[];
    if (rows.length === 0) return;
    for (const row of rows) {
      const link = prev && prev.runId === row.run_id ? prev.hash : null;
      const hash = eventHash({ runId: row.run_id, seq: row.seq, type: row.type, time: row.time, data: JSON.parse(row.data), prev: link });
      db.run('UPDATE events SET prev_hash = ?, hash = ? WHERE run_id = ? AND seq = ?', [link, hash, row.run_id, row.seq]);
      prev = { runId: row.run_id, hash };
    }
    const last = rows[rows.length - 1];
    after = { runId: last.run_id, seq: last.seq };
  }
}

/**
 * One page of stored events with their links, ordered by run id then seq, after `after` (exclusive; from the start
 * when undefined), of the runs `runIds` only when given.
 */
export function readChainPage(all: (sql: string, values: (string | number)[]) => unknown[], after: { runId: string; seq: number } | undefined, limit: number, runIds?: readonly string[]): ChainRow[] {
  const from = after ?? { runId: '', seq: 0 };
  const only = runIds ? ` AND run_id IN (${runIds.map(() => '?').join(', ')})` : '';
  const rows = all(`SELECT run_id, seq, type, time, data, prev_hash, hash FROM events WHERE (run_id, seq) > (?, ?)${only} ORDER BY run_id, seq LIMIT ?`, [from.runId, from.seq, ...(runIds ?? []), limit]) as {
    run_id: string;
    seq: number;
    type: string;
    time: string;
    data: string;
    prev_hash: string | null;
    hash: string | null;
  }[];
  return rows.map((r) => ({ runId: r.run_id, seq: r.seq, type: r.type, time: r.time, data: parseData(r.data), prev: r.prev_hash, hash: r.hash }));
}

/** A stored payload, parsed; text that is not JSON any more (tampered with) is kept as the string it is. */
function parseData(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
