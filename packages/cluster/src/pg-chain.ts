// The PostgreSQL store's side of the audit chain (the runtime's event-chain.ts): the stored heads new events link to,
// the chaining of the events stored before migration 6, and the keyset-paged reads of `baton audit`.
import type { PoolClient, QueryResult, QueryResultRow } from 'pg';
import type { RunEvent } from '@baton/protocol';
import { chainEvents, eventHash, type ChainRow, type HashedEvent } from '@baton/runtime';

/** Runs one query (a pooled connection, or the open transaction's client). */
export type Query = <R extends QueryResultRow = QueryResultRow>(sql: string, values?: unknown[]) => Promise<QueryResult<R>>;

/**
 * The stored hashes at (run, seq) for each `at` — committed rows, or rows of the open transaction when `query` is its
 * client. @returns `run_id:seq` → hash (absent when there is no such event or it has no hash).
 */
export async function storedHashes(query: Query, at: readonly { runId: string; seq: number }[]): Promise<Map<string, string>> {
  const wanted = at.filter((a) => a.seq >= 1);
  const found = new Map<string, string>();
  if (wanted.length === 0) return found;
  const { rows } = await query<{ run_id: string; seq: number; hash: string | null }>(
    'SELECT e.run_id, e.seq, e.hash FROM events e JOIN unnest($1::text[], $2::int[]) AS w(run_id, seq) ON e.run_id = w.run_id AND e.seq = w.seq',
    [wanted.map((a) => a.runId), wanted.map((a) => a.seq)],
  );
  for (const row of rows) if (row.hash !== null) found.set(`${row.run_id}:${row.seq}`, row.hash);
  return found;
}

/** The first event of each run among `events` (the one whose link is a stored hash). */
export function firstOfEachRun(events: readonly { runId: string; event: RunEvent }[]): { runId: string; seq: number }[] {
  const firsts = new Map<string, number>();
  for (const { runId, event } of events) if (!firsts.has(runId)) firsts.set(runId, event.seq);
  return [...firsts].map(([runId, seq]) => ({ runId, seq }));
}

/**
 * Hashes `events` (final seqs, in order) with the stored heads they follow, read with `client` — inside the
 * transaction that inserts them, after it placed them: the head at `seq - 1` is then the stored one.
 */
export async function hashInTransaction(client: PoolClient, events: readonly { runId: string; event: RunEvent }[]): Promise<HashedEvent[]> {
  const heads = await storedHashes((sql, values) => client.query(sql, values), firstOfEachRun(events).map((f) => ({ runId: f.runId, seq: f.seq - 1 })));
  return chainEvents(events, (runId, seq) => heads.get(`${runId}:${seq - 1}`) ?? null);
}

/** How many events one page of the migration's chaining reads. */
const PAGE = 1000;

/**
 * Migration 6's step in JavaScript (the canonical JSON is not SQL's): chains the events stored before it, run by run
 * in seq order, as if they had been appended with the chain, in the migration's transaction; keyset pages of
 * {@link PAGE} events.
 */
export async function chainStoredEvents(client: PoolClient): Promise<void> {
  let after = { runId: '', seq: 0 };
  let prev: { runId: string; hash: string } | undefined;
  for (;;) {
    const { rows } = await client.query<{ run_id: string; seq: number; type: string; time: Date; data: unknown }>(
      'SELECT run_id, seq, type, time, data FROM events WHERE (run_id, seq) > ($1, $2) ORDER BY run_id, seq LIMIT $3',
      [after.runId, after.seq, PAGE],
    );
    if (rows.length === 0) return;
    const links: (string | null)[] = [];
    const hashes: string[] = [];
    for (const row of rows) {
      const link = prev && prev.runId === row.run_id ? prev.hash : null;
      const hash = eventHash({ runId: row.run_id, seq: row.seq, type: row.type, time: row.time.toISOString(), data: row.data, prev: link });
      links.push(link);
      hashes.push(hash);
      prev = { runId: row.run_id, hash };
    }
    await client.query(
      'UPDATE events e SET prev_hash = u.prev_hash, hash = u.hash FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]) AS u(run_id, seq, prev_hash, hash) WHERE e.run_id = u.run_id AND e.seq = u.seq',
      [rows.map((r) => r.run_id), rows.map((r) => r.seq), links, hashes],
    );
    const last = rows[rows.length - 1];
    after = { runId: last.run_id, seq: last.seq };
  }
}

/** One page of stored events with their links (see `RunStoreApi.readChain`). */
export async function readChainPage(query: Query, after: { runId: string; seq: number } | undefined, limit: number, runIds?: readonly string[]): Promise<ChainRow[]> {
  const from = after ?? { runId: '', seq: 0 };
  const only = runIds ? ' AND run_id = ANY($4::text[])' : '';
  const { rows } = await query<{ run_id: string; seq: number; type: string; time: Date; data: unknown; prev_hash: string | null; hash: string | null }>(
    `SELECT run_id, seq, type, time, data, prev_hash, hash FROM events WHERE (run_id, seq) > ($1, $2)${only} ORDER BY run_id, seq LIMIT $3`,
    runIds ? [from.runId, from.seq, limit, runIds] : [from.runId, from.seq, limit],
  );
  return rows.map((r) => ({ runId: r.run_id, seq: r.seq, type: r.type, time: r.time.toISOString(), data: r.data, prev: r.prev_hash, hash: r.hash }));
}
