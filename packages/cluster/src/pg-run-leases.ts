// Leases and fencing of the PostgreSQL run store (see `RunStoreApi.claimLease`): who may execute a run, by the
// database's clock (`now()`), and the checks that keep a handle from writing a run it may no longer write — the epoch
// of a lease it claimed (`LEASE_LOST`) and the seqs its buffered events were numbered with (`EVENTS_CONFLICT`).
import type pg from 'pg';
import type { PoolClient, QueryResultRow } from 'pg';
import type { RunEvent } from '@baton/protocol';
import { BatonError, SIGNAL_EVENT_TYPES, type Lease } from '@baton/runtime';

/** A buffered event: its run and the event (whose `seq` a flush may move after signals stored meanwhile). */
export interface BufferedEvent {
  runId: string;
  event: RunEvent;
}

/** What the leases use of the store handle ({@link PgRunStore}) that holds them. */
export interface PgRunLeaseHost {
  /** Where the store is (in error messages): the URL without its password. */
  readonly location: string;
  /** The handle's buffered events, in append order. */
  readonly pending: BufferedEvent[];
  /** The next seq of each run this handle knows the log's end of. */
  readonly nextSeq: Map<string, number>;
  /** A query on any pooled connection. */
  query<R extends QueryResultRow = QueryResultRow>(sql: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Writes the buffered events (see `RunStoreApi.flush`). */
  flush(runId: string): Promise<void>;
}

/** What {@link PgRunLeases.check} found in a write's transaction. */
export interface WriteCheck {
  /** The runs whose buffered events (and state updates) may not be written, with why. */
  refused: Map<string, BatonError>;
  /** By how many seqs each run's buffered events move, after the signals stored since they were numbered. */
  shifts: Map<string, number>;
}

/**
 * A store handle's leases and fences: the epoch of each run whose lease it claimed (its flushes are fenced with
 * it) and the refusal of each run whose buffered events a write dropped.
 */
export class PgRunLeases {
  /** The epoch of each run whose lease this handle claimed: its flushes are fenced with it. */
  private readonly fences = new Map<string, number>();
  /**
   * The refusal of each run whose buffered events a write dropped (`LEASE_LOST`, `EVENTS_CONFLICT`): the run's own
   * writes (`flush` with its id, `updateRun`) reject with it until this handle claims or releases the run's lease or
   * reads its log again. Another run's write is never failed by it.
   */
  private readonly refusals = new Map<string, BatonError>();

  constructor(private readonly host: PgRunLeaseHost) {}

  /**
   * Claims run `runId`'s lease for `owner` for `ttlMs` (by the database's clock) when it is free, expired or
   * already `owner`'s, or held by `from` (a holder known to be gone): the epoch grows by one, and from now on this
   * handle's writes of the run are fenced with it.
   * @returns the lease, or undefined when another owner holds an unexpired one.
   * @throws BatonError `RUN_NOT_FOUND`.
   */
  async claim(runId: string, owner: string, ttlMs: number, from?: string): Promise<Lease | undefined> {
    const host = this.host;
    const { rows } = await host.query<{ epoch: string; expires: Date; next_seq: number }>(
      `UPDATE runs SET lease_owner = $2, lease_expires_at = now() + $3 * interval '1 millisecond', epoch = epoch + 1
       WHERE id = $1 AND (lease_owner IS NULL OR lease_expires_at <= now() OR lease_owner = $2 OR lease_owner = $4)
       RETURNING epoch, lease_expires_at AS expires, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE run_id = $1) AS next_seq`,
      [runId, owner, ttlMs, from ?? null],
    );
    if (!rows[0]) {
      const exists = await host.query('SELECT 1 FROM runs WHERE id = $1', [runId]);
      if (exists.rowCount === 0) throw new BatonError('RUN_NOT_FOUND', `no run with id "${runId}" in ${host.location}`);
      return undefined;
    }
    const epoch = Number(rows[0].epoch);
    this.fences.set(runId, epoch);
    this.refusals.delete(runId);
    // the new holder continues the log where it is now (buffered events of an earlier claim are not its own)
    if (!host.pending.some((p) => p.runId === runId)) host.nextSeq.set(runId, rows[0].next_seq);
    return { runId, owner, epoch, expiresAt: rows[0].expires.toISOString() };
  }

  /** The run's lease as stored (expired or not), or undefined when nobody holds it. @throws BatonError `RUN_NOT_FOUND`. */
  async leaseOf(runId: string): Promise<Lease | undefined> {
    const { rows } = await this.host.query<{ lease_owner: string | null; expires: Date | null; epoch: string }>('SELECT lease_owner, lease_expires_at AS expires, epoch FROM runs WHERE id = $1', [runId]);
    if (!rows[0]) throw new BatonError('RUN_NOT_FOUND', `no run with id "${runId}" in ${this.host.location}`);
    const { lease_owner: owner, expires, epoch } = rows[0];
    return owner === null || expires === null ? undefined : { runId, owner, epoch: Number(epoch), expiresAt: expires.toISOString() };
  }

  /** Extends a held lease by `ttlMs` from the database's now. @throws BatonError `LEASE_LOST` when its epoch is no longer the run's. */
  async renew(lease: Lease, ttlMs: number): Promise<Lease> {
    const { rows } = await this.host.query<{ expires: Date }>(
      `UPDATE runs SET lease_expires_at = now() + $4 * interval '1 millisecond'
       WHERE id = $1 AND epoch = $2 AND lease_owner = $3 RETURNING lease_expires_at AS expires`,
      [lease.runId, lease.epoch, lease.owner, ttlMs],
    );
    if (!rows[0]) throw await this.leaseLost(lease.runId, lease.epoch);
    return { ...lease, expiresAt: rows[0].expires.toISOString() };
  }

  /**
   * Flushes, then lets the lease go; a lease already lost (or the run's events refused) is ignored, and the run's
   * kept refusal forgotten.
   * @returns whether this handle stopped fencing the run (it held the lease with this epoch).
   */
  async release(lease: Lease): Promise<boolean> {
    try {
      await this.host.flush(lease.runId);
    } catch (error) {
      if (!(error instanceof BatonError && (error.code === 'LEASE_LOST' || error.code === 'EVENTS_CONFLICT'))) throw error;
    }
    this.refusals.delete(lease.runId);
    await this.host.query('UPDATE runs SET lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND epoch = $2', [lease.runId, lease.epoch]);
    if (this.fences.get(lease.runId) !== lease.epoch) return false;
    this.fences.delete(lease.runId);
    return true;
  }

  /** The epoch this handle fences run `runId`'s writes with (it claimed its lease), if any. */
  epochOf(runId: string): number | undefined {
    return this.fences.get(runId);
  }

  /** The refusal kept for `runId` (see {@link refusals}), if any. */
  refusal(runId: string): BatonError | undefined {
    return this.refusals.get(runId);
  }

  /** Forgets the refusal kept for `runId`: the handle has read the run's log again, its next event follows it. */
  forgetRefusal(runId: string): void {
    this.refusals.delete(runId);
  }

  /**
   * In a write's transaction: locks the rows of `runs` (the buffered runs and any others the write fences), in id
   * order — no deadlock between two writes, no signal slips in between the look at the log's end and the insert, and
   * a claim waits for this commit — then refuses each run refused before, each whose epoch is no longer the one this
   * handle claimed (`LEASE_LOST`), and each whose buffered events' seqs were taken meanwhile by anything but signals
   * ({@link SIGNAL_EVENT_TYPES}: `EVENTS_CONFLICT`); a run whose seqs signals took moves after them.
   * @param runs sorted by id.
   */
  async check(client: PoolClient, batch: readonly BufferedEvent[], runs: readonly string[]): Promise<WriteCheck> {
    const shifts = new Map<string, number>();
    const refused = new Map<string, BatonError>();
    const locked = runs.length
      ? (await client.query<{ id: string; epoch: string }>('SELECT id, epoch FROM runs WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE', [runs])).rows
      : [];
    for (const runId of runs) {
      const before = this.refusals.get(runId);
      if (before) refused.set(runId, before);
      const held = this.fences.get(runId);
      const row = locked.find((r) => r.id === runId);
      if (held !== undefined && (!row || Number(row.epoch) !== held)) {
        refused.set(runId, new BatonError('LEASE_LOST', `the lease on run ${runId} was taken over (epoch ${held} → ${row ? Number(row.epoch) : 'gone'}); nothing was written`));
      }
    }
    for (const runId of new Set(batch.map((p) => p.runId))) {
      if (refused.has(runId)) continue;
      const first = batch.find((p) => p.runId === runId)!.event.seq;
      const taken = await client.query<{ type: string }>('SELECT type FROM events WHERE run_id = $1 AND seq >= $2 ORDER BY seq', [runId, first]);
      if (taken.rows.length === 0) continue;
      const foreign = taken.rows.find((r) => !SIGNAL_EVENT_TYPES.has(r.type));
      if (foreign) {
        refused.set(runId, new BatonError('EVENTS_CONFLICT', `another writer appended "${foreign.type}" to run ${runId} at seq ${first} or later; this handle's buffered events of the run were dropped`));
      } else shifts.set(runId, taken.rows.length);
    }
    return { refused, shifts };
  }

  /** After the write committed: moves the runs' buffered events (those written and those appended since) after the signals. */
  moveAfterSignals(shifts: Map<string, number>): void {
    const host = this.host;
    for (const [runId, shift] of shifts) {
      for (const p of host.pending) if (p.runId === runId) p.event.seq += shift;
      host.nextSeq.set(runId, (host.nextSeq.get(runId) ?? 1) + shift);
    }
  }

  /**
   * After the write committed: keeps run `runId`'s refusal and drops its buffered events; its next seq goes back to
   * the first dropped one (`firstSeq`, when those of the write were taken off the buffer already). The fence stays:
   * until it claims the run again (or releases the lease), this handle's writes of it fail too.
   */
  refuse(runId: string, refusal: BatonError, firstSeq?: number): void {
    this.refusals.set(runId, refusal);
    const pending = this.host.pending;
    const first = firstSeq ?? pending.find((p) => p.runId === runId)?.event.seq;
    for (let i = pending.length - 1; i >= 0; i--) if (pending[i].runId === runId) pending.splice(i, 1);
    if (first !== undefined) this.host.nextSeq.set(runId, first);
  }

  private async leaseLost(runId: string, held: number): Promise<BatonError> {
    const { rows } = await this.host.query<{ epoch: string }>('SELECT epoch FROM runs WHERE id = $1', [runId]);
    return new BatonError('LEASE_LOST', `the lease on run ${runId} was taken over (epoch ${held} → ${rows[0] ? Number(rows[0].epoch) : 'gone'})`);
  }
}
