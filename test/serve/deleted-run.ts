/**
 * Removes a run from a test store behind the store's back, as an operator's SQL would (the store has no delete): every
 * row of every table with a `run_id` column, then its `runs` row. `location` is a StoreKind's (`fresh().location`).
 * Also counts what is left of it.
 */
import sqlite from 'node-sqlite3-wasm';

type Db = InstanceType<typeof sqlite.Database>;
import pg from 'pg';

async function onStore<T>(location: string, onSqlite: (db: Db) => T, postgres: (client: pg.Client, schema: string) => Promise<T>): Promise<T> {
  const pgLocation = /^(postgres:\/\/\S+) \(schema (\w+)\)$/.exec(location);
  if (!pgLocation) {
    const db = new sqlite.Database(location);
    try {
      return onSqlite(db);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: pgLocation[1] });
  await client.connect();
  try {
    return await postgres(client, pgLocation[2]);
  } finally {
    await client.end();
  }
}

function sqliteTables(db: Db): string[] {
  const tables = (db.all("SELECT name FROM sqlite_master WHERE type = 'table'") as { name: string }[]).map((t) => t.name);
  return tables.filter((t) => (db.all(`PRAGMA table_info("${t}")`) as { name: string }[]).some((c) => c.name === 'run_id'));
}

async function pgTables(client: pg.Client, schema: string): Promise<string[]> {
  const { rows } = await client.query<{ table_name: string }>("SELECT DISTINCT table_name FROM information_schema.columns WHERE table_schema = $1 AND column_name = 'run_id'", [schema]);
  return rows.map((r) => r.table_name);
}

/** Deletes run `id` and every row naming it. */
export function deleteRunRows(location: string, id: string): Promise<void> {
  return onStore(
    location,
    (db) => {
      for (const t of sqliteTables(db)) db.run(`DELETE FROM "${t}" WHERE run_id = ?`, [id]);
      db.run('DELETE FROM runs WHERE id = ?', [id]);
    },
    async (client, schema) => {
      for (const t of await pgTables(client, schema)) await client.query(`DELETE FROM "${schema}"."${t}" WHERE run_id = $1`, [id]);
      await client.query(`DELETE FROM "${schema}".runs WHERE id = $1`, [id]);
    },
  );
}

/** The rows naming run `id`, by table (tables with none left out). */
export function rowsOfRun(location: string, id: string): Promise<Record<string, number>> {
  return onStore(
    location,
    (db) => {
      const counts: Record<string, number> = {};
      for (const t of [...sqliteTables(db), 'runs']) {
        const n = Number((db.get(`SELECT count(*) AS n FROM "${t}" WHERE ${t === 'runs' ? 'id' : 'run_id'} = ?`, [id]) as { n: number }).n);
        if (n > 0) counts[t] = n;
      }
      return counts;
    },
    async (client, schema) => {
      const counts: Record<string, number> = {};
      for (const t of [...(await pgTables(client, schema)), 'runs']) {
        const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}"."${t}" WHERE ${t === 'runs' ? 'id' : 'run_id'} = $1`, [id]);
        if (Number(rows[0].n) > 0) counts[t] = Number(rows[0].n);
      }
      return counts;
    },
  );
}
