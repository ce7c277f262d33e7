// The prepared statements a SQLite run store keeps for its connection's life (preparing costs more than running).
import type sqlite from 'node-sqlite3-wasm';

type Db = InstanceType<(typeof sqlite)['Database']>;

/** A prepared statement of node-sqlite3-wasm. */
export type Stmt = ReturnType<Db['prepare']>;

/** Prepared statements of one connection, kept by SQL text until {@link finalizeAll}. */
export class StatementCache {
  private readonly statements = new Map<string, Stmt>();

  constructor(private readonly db: Db) {}

  /**
   * Runs `use` with the kept statement for `sql` (prepared on first use). A statement whose use failed is
   * finalized and dropped: node-sqlite3-wasm resets a statement just before binding its next values, and
   * that reset returns the failed step's code (SQLITE_BUSY), which it reports as "Could not reset statement
   * prior to binding new values" — the retry of a busy write failed with that.
   */
  use<T>(sql: string, use: (statement: Stmt) => T): T {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    try {
      return use(statement);
    } catch (error) {
      this.statements.delete(sql);
      finalizeQuietly(statement);
      throw error;
    }
  }

  /** The SQL texts of the kept statements. */
  texts(): string[] {
    return [...this.statements.keys()];
  }

  /**
   * Prepares and keeps a statement for each of `texts` not kept yet (a warm-up: preparing costs more than running).
   * A text that does not prepare (a table this store lacks) is skipped.
   */
  prepareAll(texts: Iterable<string>): void {
    for (const sql of texts) {
      if (this.statements.has(sql)) continue;
      try {
        this.statements.set(sql, this.db.prepare(sql));
      } catch {
        // not this store's (an older schema): prepared on first use, which reports the error then
      }
    }
  }

  /** Finalizes every kept statement (before the database is closed). */
  finalizeAll(): void {
    for (const statement of this.statements.values()) finalizeQuietly(statement);
    this.statements.clear();
  }
}

/** Finalizes a statement, ignoring the error it repeats from its last failed step. */
function finalizeQuietly(statement: Stmt): void {
  try {
    if (!statement.isFinalized) statement.finalize();
  } catch {
    // finalize() reports the last step's error again; the statement is gone either way
  }
}
