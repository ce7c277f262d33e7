// Leases and fencing of the embedded SQLite store (see `RunStoreApi.claimLease`): who may execute a run, and the
// checks that keep a handle from writing a run it may no longer write — the epoch of a lease it claimed
// (`LEASE_LOST`) and the seqs its buffered events were numbered with (`EVENTS_CONFLICT`). Leases use this machine's
// clock: every process on one store file shares it.
import type { RunEvent } from '@baton/protocol';
import { BatonError } from '../errors.js';
import { SIGNAL_EVENT_TYPES, type Lease } from './store-api.js';

/** A buffered event of a store handle; `signal`: appended by a decision, a delivered event or a cancellation. */
export interface BufferedEvent {
  runId: string;
  event: RunEvent;
  signal?: boolean;
}

/** What the leases use of the store handle ({@link RunStore}) that holds them. */
export interface RunLeaseHost {
  /** The store file (in error messages). */
  readonly path: string;
  /** The handle's buffered events, in append order (the open transaction writes them from `written()` on). */
  readonly pending: BufferedEvent[];
  /** How many buffered events, from the buffer's start, the open transaction has written. */
  written(): number;
  /** The next seq of each run this handle knows the log's end of. */
  readonly nextSeq: Map<string, number>;
  /** Runs `body` as one write transaction, waiting for other connections' locks. */
  transaction(body: () => void): void;
  /** Reads rows, waiting while another connection holds the store. */
  read(sql: string, values: (string | number)[]): unknown[];
  /** Reads rows inside the open transaction. */
  all(sql: string, values: (string | number)[]): unknown[];
  /** Reads rows inside the open transaction with a kept prepared statement (run to completion: no read lock kept). */
  cachedAll(sql: string, values: (string | number)[]): unknown[];
  /** Writes inside the open transaction. @returns how many rows changed. */
  run(sql: string, values: (string | number | null)[]): number;
  /** Writes the buffered events (see `RunStoreApi.flush`). */
  flush(runId: string): void;
  /** The id of the store lock's current uninterrupted hold, if this handle keeps it across commits (`LockSession.heldSince`). */
  heldSince(): number | undefined;
}

/** What a store handle learnt of a run's stored log in a commit made while it held the lock. */
interface HeldKnowledge {
  /** The id of that hold (`LockSession.heldSince`). */
  hold: number;
  /** The log's last seq: the run's events this handle committed end there. */
  end?: number;
  /** The run's epoch was checked against this handle's fence. */
  epochChecked?: boolean;
}

/**
 * A store handle's leases and fences: the epoch of each run whose lease it claimed (its writes of the run check
 * it) and the refusal of each run whose buffered events a write dropped.
 */
export class RunLeases {
  /** The epoch of each run whose lease this handle claimed: writes of its events and state check it. */
  private readonly fences = new Map<string, number>();
  /**
   * The refusal of each run whose buffered events a write dropped (`LEASE_LOST`, `EVENTS_CONFLICT`): the run's own
   * writes (`flush` with its id, `updateRun`) reject with it until this handle claims or releases the run's lease or
   * reads its log again. Another run's write is never failed by it.
   */
  private readonly refusals = new Map<string, BatonError>();
  /**
   * What this handle learnt of each run's stored log in its commits during the current hold of the store lock: while
   * that hold lasts nobody else can write, so {@link check} needs no look-up for it (one or two per commit otherwise).
   * Bounded like `ChainHeads`: past {@link MAX_KNOWN} runs it starts again.
   */
  private readonly known = new Map<string, HeldKnowledge>();
  static readonly MAX_KNOWN = 10_000;

  constructor(private readonly host: RunLeaseHost) {}

  /** What is known of `runId`'s stored log in the store lock's hold `hold` (none outside a hold, or from an earlier one). */
  private knownIn(runId: string, hold: number | undefined): HeldKnowledge | undefined {
    if (hold === undefined) return undefined;
    const known = this.known.get(runId);
    return known?.hold === hold ? known : undefined;
  }

  /** Records what a check learnt of `runId` in the hold `hold`. */
  private learn(runId: string, hold: number | undefined, fact: Omit<HeldKnowledge, 'hold'>): void {
    if (hold === undefined) return;
    const known = this.knownIn(runId, hold);
    if (!known && this.known.size >= RunLeases.MAX_KNOWN) this.known.clear();
    this.known.set(runId, { ...known, ...fact, hold });
  }

  /**
   * After a commit made in the hold `hold` (`LockSession.heldSince`, read before the lock may be let go): the runs of
   * the first `written` buffered events end where those end.
   */
  committed(pending: readonly BufferedEvent[], written: number, hold: number | undefined): void {
    if (hold === undefined) return;
    for (let i = 0; i < written; i++) this.learn(pending[i].runId, hold, { end: pending[i].event.seq });
  }

  /** A write failed (rolled back): what was learnt is forgotten, the next commit looks again. */
  forgetHeld(): void {
    this.known.clear();
  }

  /**
   * Claims run `runId`'s lease for `owner` for `ttlMs` when it is free, expired or already `owner`'s: the epoch
   * grows by one, and from now on this handle's writes of the run check it (`LEASE_LOST` once another claims it).
   * With `from`, also when `from` holds it (a holder known to be gone), expired or not.
   * @returns the lease, or undefined when another owner holds an unexpired one.
   * @throws BatonError `RUN_NOT_FOUND`.
   */
  claim(runId: string, owner: string, ttlMs: number, from?: string): Lease | undefined {
    const host = this.host;
    let lease: Lease | undefined;
    let nextSeq = 1;
    host.transaction(() => {
      const [row] = host.all('SELECT lease_owner, lease_expires_at, epoch FROM runs WHERE id = ?', [runId]) as { lease_owner: string | null; lease_expires_at: string | null; epoch: number }[];
      if (!row) throw new BatonError('RUN_NOT_FOUND', `no run with id "${runId}" in ${host.path}`);
      const now = Date.now();
      if (row.lease_owner !== null && row.lease_owner !== owner && row.lease_owner !== from && row.lease_expires_at !== null && Date.parse(row.lease_expires_at) > now) return;
      const expiresAt = new Date(now + ttlMs).toISOString();
      host.run('UPDATE runs SET lease_owner = ?, lease_expires_at = ?, epoch = ? WHERE id = ?', [owner, expiresAt, row.epoch + 1, runId]);
      const [last] = host.all('SELECT MAX(seq) AS seq FROM events WHERE run_id = ?', [runId]) as { seq: number | null }[];
      nextSeq = (last?.seq ?? 0) + 1;
      lease = { runId, owner, epoch: row.epoch + 1, expiresAt };
    });
    if (!lease) return undefined;
    this.known.delete(runId);
    this.fences.set(runId, lease.epoch);
    this.refusals.delete(runId);
    // the new holder continues the log where it is now
    if (!host.pending.some((p) => p.runId === runId)) host.nextSeq.set(runId, nextSeq);
    return lease;
  }

  /** The run's lease as stored (expired or not), or undefined when nobody holds it. @throws BatonError `RUN_NOT_FOUND`. */
  leaseOf(runId: string): Lease | undefined {
    const [row] = this.host.read('SELECT lease_owner, lease_expires_at, epoch FROM runs WHERE id = ?', [runId]) as { lease_owner: string | null; lease_expires_at: string | null; epoch: number }[];
    if (!row) throw new BatonError('RUN_NOT_FOUND', `no run with id "${runId}" in ${this.host.path}`);
    if (row.lease_owner === null || row.lease_expires_at === null) return undefined;
    return { runId, owner: row.lease_owner, epoch: row.epoch, expiresAt: row.lease_expires_at };
  }

  /** Extends a held lease by `ttlMs` from now. @throws BatonError `LEASE_LOST` when its epoch is no longer the run's. */
  renew(lease: Lease, ttlMs: number): Lease {
    const expiresAt = new Date(Date.now() + ttlMs).toISOString();
    let changed = 0;
    this.host.transaction(() => {
      changed = this.host.run('UPDATE runs SET lease_expires_at = ? WHERE id = ? AND epoch = ? AND lease_owner = ?', [expiresAt, lease.runId, lease.epoch, lease.owner]);
    });
    if (changed === 0) {
      throw new BatonError('LEASE_LOST', `the lease on run ${lease.runId} (epoch ${lease.epoch}) was taken over`);
    }
    return { ...lease, expiresAt };
  }

  /**
   * Flushes, then lets the lease go and stops fencing the run; a lease already lost (or the run's events refused) is
   * ignored, and the run's kept refusal forgotten.
   */
  release(lease: Lease): void {
    try {
      this.host.flush(lease.runId);
    } catch (error) {
      if (!(error instanceof BatonError && (error.code === 'LEASE_LOST' || error.code === 'EVENTS_CONFLICT'))) throw error;
    }
    this.refusals.delete(lease.runId);
    this.host.transaction(() => {
      this.host.run('UPDATE runs SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND epoch = ?', [lease.runId, lease.epoch]);
    });
    if (this.fences.get(lease.runId) === lease.epoch) this.fences.delete(lease.runId);
    this.known.delete(lease.runId);
  }

  /**
   * Inside the open transaction, before the buffered events not yet written are: checks, for every run among them
   * (and `alsoFenced`), the epoch when this handle holds its lease and the seqs its events were numbered with (see
   * {@link placeAfterStored}). A run refused there has its buffered events dropped and its refusal kept; the others'
   * stay to be written.
   * @returns the runs refused by this call.
   */
  check(alsoFenced: string[]): string[] {
    const host = this.host;
    const refused: string[] = [];
    const refuse = (runId: string, code: 'LEASE_LOST' | 'EVENTS_CONFLICT', message: string): void => {
      refused.push(runId);
      this.known.delete(runId);
      this.refusals.set(runId, new BatonError(code, message));
      this.dropRun(runId, host.written());
    };
    const hold = host.heldSince();
    for (const runId of new Set([...host.pending.slice(host.written()).map((p) => p.runId), ...alsoFenced])) {
      const held = this.fences.get(runId);
      if (held === undefined || this.knownIn(runId, hold)?.epochChecked) continue;
      const [row] = host.cachedAll('SELECT epoch FROM runs WHERE id = ?', [runId]) as { epoch: number }[];
      if (row?.epoch !== held) refuse(runId, 'LEASE_LOST', `the lease on run ${runId} was taken over (epoch ${held} → ${row ? row.epoch : 'gone'}); nothing was written`);
      else this.learn(runId, hold, { epochChecked: true });
    }
    const written = host.pending.slice(host.written());
    for (const runId of new Set(written.map((p) => p.runId))) {
      const first = written.find((p) => p.runId === runId)!.event.seq;
      // the log ends where this handle's last commit in this hold left it: nobody else can have appended since
      const end = this.knownIn(runId, hold)?.end;
      if (end !== undefined && end < first) continue;
      const conflict = this.placeAfterStored(runId, first, written.every((p) => p.runId !== runId || p.signal));
      if (conflict) refuse(runId, 'EVENTS_CONFLICT', conflict);
    }
    return refused;
  }

  /** Whether this handle claimed run `runId`'s lease and fences its writes (refused once the lease is lost). */
  holds(runId: string): boolean {
    return this.fences.has(runId);
  }

  /** The refusal kept for `runId` (see {@link refusals}), if any. */
  refusal(runId: string): BatonError | undefined {
    return this.refusals.get(runId);
  }

  /** Throws the refusal kept for `runId` (see {@link refusals}), if any. */
  throwRefusal(runId: string): void {
    const refusal = this.refusals.get(runId);
    if (refusal) throw refusal;
  }

  /** Forgets the refusal kept for `runId`: the handle has read the run's log again, its next event follows it. */
  forgetRefusal(runId: string): void {
    this.refusals.delete(runId);
  }

  /**
   * Another process (or store handle) may have appended to the run since this handle numbered its
   * buffered events (`baton approve`, `send` or `cancel` while this process keeps the store open): the
   * buffered events then go after the stored ones, so the log stays one gap-free sequence — when those are
   * signals ({@link SIGNAL_EVENT_TYPES}), or when this handle's buffered events of the run are all signals
   * themselves. Anything else is a second executor's: refused (`EVENTS_CONFLICT`), never interleaved.
   * @returns the refusal's message, or undefined when the events were placed.
   */
  private placeAfterStored(runId: string, firstSeq: number, onlySignals: boolean): string | undefined {
    const host = this.host;
    // all(): the statement runs to completion, so it holds no read lock afterwards (get() would keep it active)
    const [row] = host.cachedAll('SELECT MAX(seq) AS seq FROM events WHERE run_id = ?', [runId]) as { seq: number | null }[];
    const stored = row?.seq ?? 0;
    if (stored < firstSeq) return undefined;
    const taken = onlySignals ? [] : (host.cachedAll('SELECT type FROM events WHERE run_id = ? AND seq >= ? ORDER BY seq', [runId, firstSeq]) as { type: string }[]);
    const foreign = taken.find((t) => !SIGNAL_EVENT_TYPES.has(t.type));
    if (foreign) return `another writer appended "${foreign.type}" to run ${runId} at seq ${firstSeq} or later; this handle's buffered events of the run were dropped`;
    const shift = stored + 1 - firstSeq;
    for (const p of host.pending.slice(host.written())) if (p.runId === runId) p.event.seq += shift;
    host.nextSeq.set(runId, (host.nextSeq.get(runId) ?? firstSeq) + shift);
    return undefined;
  }

  /**
   * Drops the buffered events of a run this handle may not write, from the `from`th buffered one (those before were
   * written by the open transaction); its next seq goes back to the first dropped one. The fence stays: until it
   * claims the run again (or releases the lease), this handle's writes of it fail too.
   */
  private dropRun(runId: string, from: number): void {
    const pending = this.host.pending;
    const first = pending.slice(from).find((p) => p.runId === runId);
    for (let i = pending.length - 1; i >= from; i--) if (pending[i].runId === runId) pending.splice(i, 1);
    if (first) this.host.nextSeq.set(runId, first.event.seq);
  }
}
