import { SHARE_ENV, Worker } from 'node:worker_threads';

/** What {@link spawnOffThread} runs: a program without a shell. */
export interface SpawnRequest {
  command: string;
  args: string[];
  cwd?: string;
  /** Added to this process's environment (which the spawner threads share). */
  env?: Record<string, string>;
  /** Written to the program's stdin, which is then closed. */
  stdin: string;
  /** The most bytes read from stdout; beyond them the program gets SIGTERM and `tooLarge` is set. */
  maxStdoutBytes: number;
}

/** How a program spawned by {@link spawnOffThread} ended. */
export type SpawnOutcome =
  /** It could not start (`code`: the errno code, e.g. ENOENT). */
  | { kind: 'error'; code?: string; message: string }
  /** It exited (`code`) or was killed (`signal`); stdout whole (unless `tooLarge`), the last 2,000 characters of stderr. */
  | { kind: 'exit'; code: number | null; signal: string | null; stdout: Buffer; stderr: string; tooLarge: boolean };

/** A spawned program: its outcome, and a way to signal it. */
export interface SpawnedProcess {
  outcome: Promise<SpawnOutcome>;
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
}

// The spawner thread. Plain JavaScript evaluated as a worker (the bundles stay one file each): it spawns,
// collects output and reports; all decisions (timeouts, cancellation, parsing) stay with the caller.
const SPAWNER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const children = new Map();
parentPort.on('message', (m) => {
  if (m.kill) {
    const child = children.get(m.id);
    if (child) child.kill(m.kill);
    return;
  }
  let child;
  try {
    child = spawn(m.command, m.args, { cwd: m.cwd, env: m.env ? { ...process.env, ...m.env } : process.env, stdio: ['pipe', 'pipe', 'pipe'], shell: false });
  } catch (error) {
    parentPort.postMessage({ id: m.id, kind: 'error', code: error.code, message: error.message });
    return;
  }
  children.set(m.id, child);
  const stdout = [];
  let size = 0;
  let stderr = '';
  let tooLarge = false;
  let failed = false;
  child.stdout.on('data', (chunk) => {
    if (tooLarge) return;
    size += chunk.length;
    if (size > m.maxStdoutBytes) {
      tooLarge = true;
      child.kill('SIGTERM');
      return;
    }
    stdout.push(chunk);
  });
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2000);
  });
  child.on('error', (error) => {
    failed = true;
    children.delete(m.id);
    parentPort.postMessage({ id: m.id, kind: 'error', code: error.code, message: error.message });
  });
  child.on('close', (code, signal) => {
    children.delete(m.id);
    if (failed) return;
    const out = Buffer.concat(stdout);
    const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength).slice();
    parentPort.postMessage({ id: m.id, kind: 'exit', code, signal, stdout: bytes, stderr, tooLarge }, [bytes.buffer]);
  });
  child.stdin.on('error', () => undefined);
  child.stdin.end(m.stdin);
});
`;

/** How many spawner threads a process uses: a spawn blocks its thread, so a few go on in parallel. */
const SPAWNER_THREADS = 4;

interface Spawner {
  worker: Worker;
  /** Spawns in flight: id → how to settle it. */
  pending: Map<number, (outcome: SpawnOutcome) => void>;
}

const spawners: (Spawner | undefined)[] = [];
let nextId = 1;

/** The spawner thread with the fewest spawns in flight (started when first needed, again after a failure). */
function spawner(): Spawner {
  let best: Spawner | undefined;
  for (let i = 0; i < SPAWNER_THREADS; i++) {
    const s = spawners[i] ?? (spawners[i] = startSpawner(i));
    if (!best || s.pending.size < best.pending.size) best = s;
    if (best.pending.size === 0) break;
  }
  return best!;
}

function startSpawner(slot: number): Spawner {
  const worker = new Worker(SPAWNER_SOURCE, { eval: true, env: SHARE_ENV });
  const s: Spawner = { worker, pending: new Map() };
  worker.unref();
  worker.on('message', (m: { id: number; kind: 'error' | 'exit'; code?: string | number | null; message?: string; signal?: string | null; stdout?: Uint8Array; stderr?: string; tooLarge?: boolean }) => {
    const settle = s.pending.get(m.id);
    if (!settle) return;
    s.pending.delete(m.id);
    if (s.pending.size === 0) worker.unref();
    if (m.kind === 'error') settle({ kind: 'error', code: m.code as string | undefined, message: m.message ?? 'could not start' });
    else settle({ kind: 'exit', code: m.code as number | null, signal: m.signal ?? null, stdout: Buffer.from(m.stdout!.buffer, m.stdout!.byteOffset, m.stdout!.byteLength), stderr: m.stderr ?? '', tooLarge: m.tooLarge ?? false });
  });
  const fail = (message: string): void => {
    if (spawners[slot] === s) spawners[slot] = undefined;
    for (const settle of s.pending.values()) settle({ kind: 'error', message });
    s.pending.clear();
  };
  worker.on('error', (error) => fail(`the process spawner failed: ${error.message}`));
  worker.on('exit', () => fail('the process spawner stopped'));
  return s;
}

/**
 * Spawns a program from a helper thread instead of this one. Starting a process blocks the thread that starts
 * it until the program has been exec'd (libuv forks, then waits for the exec on a pipe): measured 3–35 ms per
 * spawn on the project machine under load, which a server accepting requests on this thread cannot afford
 * (issue 10, item 19: `baton serve` with command agents spent 43 s of a 54 s run in `spawn`). A few threads
 * ({@link SPAWNER_THREADS}) do the process's spawns, sharing its environment; they are unref'ed while nothing
 * runs, so they never keep the process alive.
 */
export function spawnOffThread(request: SpawnRequest): SpawnedProcess {
  const s = spawner();
  const id = nextId++;
  const outcome = new Promise<SpawnOutcome>((resolve) => s.pending.set(id, resolve));
  s.worker.ref();
  s.worker.postMessage({ id, ...request });
  return {
    outcome,
    kill: (signal) => {
      if (s.pending.has(id)) s.worker.postMessage({ id, kill: signal });
    },
  };
}
