// The `.flow` texts a stored definition was compiled from (PostgreSQL migration 7, issue 13): written in the transaction
// that stores a run or moves it to another definition, read back for the console's Source tab.
import type { PoolClient } from 'pg';
import { BatonError, sourceHash, type SourceFile, type TenantScope } from '@baton/runtime';
import type { Query } from './pg-chain.js';
import { DEFINITION_REF } from './pg-rows.js';

/**
 * Stores `sources` for definition `definition` (its SHA-256 hex) on `client`, inside its transaction: each text once
 * per content (`sources`), each file once per definition (`definition_sources`, the first text kept). One statement.
 */
export async function writePgSources(client: PoolClient, definition: string, sources: readonly SourceFile[] | undefined): Promise<void> {
  if (!sources || sources.length === 0) return;
  const hashes = sources.map((s) => sourceHash(s.text));
  await client.query(
    `WITH given AS (SELECT * FROM unnest($2::text[], $3::text[], $4::text[]) AS g(file, hash, text)),
      texts AS (INSERT INTO sources (hash, text) SELECT hash, text FROM given ON CONFLICT DO NOTHING)
    INSERT INTO definition_sources (definition, file, source) SELECT $1, file, hash FROM given ON CONFLICT DO NOTHING`,
    [definition, sources.map((s) => s.file), hashes, sources.map((s) => s.text)],
  );
}

/**
 * See `RunStoreApi.getDefinitionSources`: the texts stored with run `runId`'s definition, by file name.
 * @throws BatonError `RUN_NOT_FOUND` (also for a run that is not `scope`'s tenant's).
 */
export async function readPgSources(query: Query, runId: string, scope: TenantScope = {}): Promise<{ definition: string; sources: SourceFile[] }> {
  const { rows } = await query<{ definition: string; tenant: string }>('SELECT definition, tenant FROM runs WHERE id = $1', [runId]);
  const row = rows[0];
  if (!row || (scope.tenant !== undefined && row.tenant !== scope.tenant)) throw new BatonError('RUN_NOT_FOUND', `no run with id "${runId}"`);
  const definition = row.definition.startsWith(DEFINITION_REF) ? row.definition.slice(DEFINITION_REF.length) : '';
  const texts = await query<SourceFile>('SELECT ds.file, s.text FROM definition_sources ds JOIN sources s ON s.hash = ds.source WHERE ds.definition = $1 ORDER BY ds.file COLLATE "C"', [definition]);
  return { definition, sources: texts.rows.map((s) => ({ file: s.file, text: s.text })) };
}
