import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteRunStore } from '../../packages/runtime/src/index.js';
import { slaConformance } from './conformance-sla.js';

/** The SLA methods on the SQLite store: a fresh file per test, each handle its own connection (another process's view). */
let dir: string | undefined;
slaConformance('SQLite', {
  async fresh() {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-sla-'));
    const file = path.join(dir, 'runs.db');
    return { handle: async () => SqliteRunStore.open(file, { holdLock: false }) };
  },
  async cleanup() {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  },
});
