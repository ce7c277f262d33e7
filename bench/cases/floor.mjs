// The floor: a bare loop of N awaited no-op calls, each writing one SQLite row. `engine` is
// better-sqlite3 (native, WAL, synchronous=NORMAL — the figure conventions.md quotes) or wasm
// (node-sqlite3-wasm, the engine Baton embeds, with Baton's settings: journal PERSIST, synchronous OFF,
// the lock held across commits as during a run's burst of writes).
// Prints one JSON line.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

const [engine, nText] = process.argv.slice(2);
const n = Number(nText);
const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-floor-'));
const file = path.join(dir, 'floor.db');
const noop = async (i) => ({ i });

let insert;
let close;
if (engine === 'better-sqlite3') {
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE events (id INTEGER PRIMARY KEY, run TEXT, data TEXT)');
  const stmt = db.prepare('INSERT INTO events (run, data) VALUES (?, ?)');
  insert = (data) => stmt.run('r', data);
  close = () => db.close();
} else {
  const require = createRequire(path.resolve('package.json'));
  const { Database } = require('node-sqlite3-wasm');
  const db = new Database(file);
  db.exec('PRAGMA journal_mode = PERSIST; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE');
  db.exec('CREATE TABLE events (id INTEGER PRIMARY KEY, run TEXT, data TEXT)');
  const stmt = db.prepare('INSERT INTO events (run, data) VALUES (?, ?)');
  insert = (data) => stmt.run(['r', data]);
  close = () => { stmt.finalize(); db.close(); };
}

for (let i = 0; i < 100; i++) insert(JSON.stringify(await noop(i))); // warm-up
let totalMs = Infinity; // best of three, as for every system measured
for (let round = 0; round < 3; round++) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) insert(JSON.stringify(await noop(i)));
  totalMs = Math.min(totalMs, Number(process.hrtime.bigint() - start) / 1e6);
}
close();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ system: `floor-${engine}`, shape: 'chain', n, totalMs, perStepUs: (totalMs * 1000) / n }));
