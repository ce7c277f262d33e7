// The `.flow` texts a stored definition was compiled from (SQLite schema 8, issue 13): written in the transaction that
// stores a run or moves it to another definition, read back for the console's Source tab.
import { createHash } from 'node:crypto';
import { BatonError } from '../errors.js';
import type { SourceFile, TenantScope } from './store-api.js';
import { storedDefinitionHash } from './sqlite-migrate.js';
import { textBytes } from './sqlite-schema.js';

/** The statements the sources use of the store handle (inside its open transaction, or a read). */
export interface SqliteSourcesHost {
  all(sql: string, values: (string | number)[]): unknown[];
  run(sql: string, values: (string | number | null | Uint8Array)[]): unknown;
}

/** The SHA-256 (hex) a source text is stored under. */
export function sourceHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Stores `sources` for definition `definition` (its SHA-256 hex) in the open transaction: each text once per content
 * (`sources`), each file once per definition (`definition_sources`; a file already stored for that definition keeps
 * its text — the definition, which holds the ranges, is the same). A file already there costs one lookup: its text is
 * not bound again.
 */
export function writeSqliteSources(host: SqliteSourcesHost, definition: string, sources: readonly SourceFile[] | undefined): void {
  for (const { file, text } of sources ?? []) {
    if (host.all('SELECT 1 AS found FROM definition_sources WHERE definition = ? AND file = ?', [definition, file]).length > 0) continue;
    const hash = sourceHash(text);
    host.run('INSERT INTO sources (hash, text) VALUES (?, CAST(? AS TEXT)) ON CONFLICT DO NOTHING', [hash, textBytes(text)]);
    host.run('INSERT INTO definition_sources (definition, file, source) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [definition, file, hash]);
  }
}

/**
 * See `RunStoreApi.getDefinitionSources`: the texts stored with run `runId`'s definition, by file name.
 * @throws BatonError `RUN_NOT_FOUND` (also for a run that is not `scope`'s tenant's).
 */
export function readSqliteSources(read: (sql: string, values: (string | number)[]) => unknown[], runId: string, scope: TenantScope = {}): { definition: string; sources: SourceFile[] } {
  const [row] = read('SELECT definition, tenant FROM runs WHERE id = ?', [runId]) as { definition: string; tenant: string }[];
  if (!row || (scope.tenant !== undefined && row.tenant !== scope.tenant)) throw new BatonError('RUN_NOT_FOUND', `no run with id "${runId}"`);
  const definition = storedDefinitionHash(row.definition);
  return { definition, sources: readSqliteSourcesByHash(read, definition) };
}

/** See `RunStoreApi.getSourcesByHash`: the texts stored with definition `hash` (SHA-256 hex, `sha256:` allowed), by file. */
export function readSqliteSourcesByHash(read: (sql: string, values: (string | number)[]) => unknown[], hash: string): SourceFile[] {
  const definition = hash.replace(/^sha256:/, '');
  const sources = read('SELECT ds.file, s.text FROM definition_sources ds JOIN sources s ON s.hash = ds.source WHERE ds.definition = ? ORDER BY ds.file', [definition]) as SourceFile[];
  return sources.map((s) => ({ file: s.file, text: s.text }));
}
