import { spawn, type ChildProcess } from 'node:child_process';

/** What {@link spawnInHelper} runs: a program without a shell. */
export interface SpawnRequest {
  command: string;
  args: string[];
  cwd?: string;
  /** The program's whole environment. */
  env: Record<string, string | undefined>;
  /** Written to the program's stdin, which is then closed. */
  stdin: string;
  /** The most bytes read from stdout; beyond them the program gets SIGTERM and `tooLarge` is set. */
  maxStdoutBytes: number;
}

/** How a program spawned by {@link spawnInHelper} ended. */
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

// The spawner process: plain JavaScript run by `node -e` (the bundles stay one file each). It spawns, collects
// output and reports over its IPC channel; every decision (timeouts, cancellation, parsing) stays with the caller.
const SPAWNER_SOURCE = `
const { spawn } = require('node:child_process');
const children = new Map();
process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  if (m.kill) {
    const child = children.get(m.id);
    if (child) child.kill(m.kill);
    return;
  }
  let child;
  try {
    child = spawn(m.command, m.args, { cwd: m.cwd, env: m.env, stdio: ['pipe', 'pipe', 'pipe'], shell: false });
  } catch (error) {
    process.send({ id: m.id, kind: 'error', code: error.code, message: error.message });
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
    process.send({ id: m.id, kind: 'error', code: error.code, message: error.message });
  });
  child.on('close', (code, signal) => {
    children.delete(m.id);
    if (failed) return;
    process.send({ id: m.id, kind: 'exit', code, signal, stdout: Buffer.concat(stdout), stderr, tooLarge });
  });
  child.stdin.on('error', () => undefined);
  child.stdin.end(m.stdin);
});
`;

/** The most spawner processes a process starts: a spawn blocks its spawner until the program runs, so a few go on in parallel. */
const MAX_SPAWNERS = 4;

interface Spawner {
  process: ChildProcess;
  /** Spawns in flight: id → how to settle it. */
  pending: Map<number, (outcome: SpawnOutcome) => void>;
}

const spawners: Spawner[] = [];
let nextId = 1;

/** An idle spawner, else a new one (up to {@link MAX_SPAWNERS}), else the least busy. */
function spawner(): Spawner {
  let best: Spawner | undefined;
  for (const s of spawners) if (!best || s.pending.size < best.pending.size) best = s;
  if (best && (best.pending.size === 0 || spawners.length >= MAX_SPAWNERS)) return best;
  const s = startSpawner();
  spawners.push(s);
  return s;
}

function startSpawner(): Spawner {
  const child = spawn(process.execPath, ['-e', SPAWNER_SOURCE], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    serialization: 'advanced',
    // an Electron host (VS Code) runs its binary as plain Node only when told
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  const s: Spawner = { process: child, pending: new Map() };
  const idle = (): void => {
    child.unref();
    child.channel?.unref();
  };
  idle();
  child.on('message', (m: { id: number; kind: 'error' | 'exit'; code?: string | number | null; message?: string; signal?: string | null; stdout?: Uint8Array; stderr?: string; tooLarge?: boolean }) => {
    const settle = s.pending.get(m.id);
    if (!settle) return;
    s.pending.delete(m.id);
    if (s.pending.size === 0) idle();
    if (m.kind === 'error') settle({ kind: 'error', code: m.code as string | undefined, message: m.message ?? 'could not start' });
    else settle({ kind: 'exit', code: m.code as number | null, signal: m.signal ?? null, stdout: Buffer.from(m.stdout!.buffer, m.stdout!.byteOffset, m.stdout!.byteLength), stderr: m.stderr ?? '', tooLarge: m.tooLarge ?? false });
  });
  const fail = (message: string): void => {
    const at = spawners.indexOf(s);
    if (at >= 0) spawners.splice(at, 1);
    for (const settle of s.pending.values()) settle({ kind: 'error', message });
    s.pending.clear();
  };
  child.on('error', (error) => fail(`the process spawner failed: ${error.message}`));
  child.on('exit', () => fail('the process spawner stopped'));
  return s;
}

/**
 * Starts the helper processes {@link spawnInHelper} uses now rather than at the first spawns (each start forks
 * this process once: a long-running server does it before it accepts requests, not during a burst of them).
 */
export function startProcessSpawners(): void {
  while (spawners.length < MAX_SPAWNERS) spawners.push(startSpawner());
}

/**
 * Spawns a program from a small helper process instead of this one. Starting a process blocks the thread that
 * starts it until the program has been exec'd (libuv forks, then waits for the exec on a pipe), and forking a
 * large process costs the whole process: its page tables are copied and every page it writes until the exec is
 * copied on write — measured 3–35 ms of blocked event loop per spawn on the project machine under load; from a
 * worker thread the main thread still lost ~11 ms per spawn to the fork's faults. A server accepting requests
 * cannot afford that (issue 10, item 19: `baton serve` with command agents spent 43 s of a 54 s run in
 * `spawn`). Up to {@link MAX_SPAWNERS} helper processes (plain Node, started when first needed) do the spawns
 * and report over IPC; they are unref'ed while nothing runs, so they never keep this process alive, and they
 * exit with it.
 */
export function spawnInHelper(request: SpawnRequest): SpawnedProcess {
  const s = spawner();
  const id = nextId++;
  const outcome = new Promise<SpawnOutcome>((resolve) => s.pending.set(id, resolve));
  s.process.ref();
  s.process.channel?.ref();
  s.process.send({ id, ...request });
  return {
    outcome,
    kill: (signal) => {
      if (s.pending.has(id) && s.process.connected) s.process.send({ id, kill: signal });
    },
  };
}
