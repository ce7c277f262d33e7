import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The bundled CLI, built by `npm run build` (npm test builds before the suites run). */
export const CLI = path.join(ROOT, 'out', 'cli.mjs');

/** The text of the CLI's bundle: out/cli.mjs and the chunks beside it that its dynamic imports load (`cli-chunk-*.mjs`). */
export function cliBundleText(): string {
  const out = path.dirname(CLI);
  const chunks = readdirSync(out).filter((f) => /^cli-chunk-[\w-]+\.mjs$/.test(f));
  return [CLI, ...chunks.map((f) => path.join(out, f))].map((f) => readFileSync(f, 'utf8')).join('\n');
}

/** What a CLI invocation produced. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `baton` bin as a user would: a child process in `cwd`, colour off (NO_COLOR), no
 * stdin. `env` adds to the environment (BATON_STORE is removed unless given).
 */
/**
 * What `baton test <file> --crash-at <point> --json` prints: the run it crashed on purpose (SIGKILL at `point`, then
 * resumed), whether the crash happened, the run's final status, how many times each step finished, and the
 * problem found (a step finished twice, a lost step) if any; `passed` is the test's own verdict.
 */
export interface CrashReport {
  runId: string;
  crashed: boolean;
  status: string;
  steps: Record<string, number>;
  passed?: boolean;
  problem?: string;
}

export function baton(args: string[], options: { cwd: string; env?: Record<string, string>; input?: string }): CliResult {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...options.env };
  if (!options.env?.BATON_STORE) delete env.BATON_STORE;
  delete env.FORCE_COLOR;
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env,
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/**
 * {@link baton}, without blocking this process's event loop: for tests whose CLI run talks to a server in
 * this process (the fake model provider).
 */
export function batonAsync(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...options.env };
  if (!options.env?.BATON_STORE) delete env.BATON_STORE;
  delete env.FORCE_COLOR;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A fresh temporary workspace with a copy of examples/; removed by the returned cleanup. */
export function tempWorkspace(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-cli-'));
  cpSync(path.join(ROOT, 'examples'), path.join(dir, 'examples'), { recursive: true });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A long-running `baton` child (e.g. `runs watch`): its output lines as they come, waits on them, and its exit. */
export interface LiveBaton {
  child: ChildProcess;
  /** stdout lines so far. */
  lines: string[];
  /** stderr so far. */
  stderr(): string;
  /** Resolves with the first stdout line at index ≥ `from` that `match` accepts (rejects after `ms` or on exit). */
  waitForLine(match: (line: string) => boolean, from?: number, ms?: number): Promise<string>;
  /** Resolves with the exit code once it has exited. */
  exited: Promise<number | null>;
}

/** Starts the built bin like {@link batonAsync}, without waiting for it to end. */
export function batonLive(args: string[], options: { cwd: string; env?: Record<string, string> }): LiveBaton {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...options.env };
  if (!options.env?.BATON_STORE) delete env.BATON_STORE;
  delete env.FORCE_COLOR;
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let err = '';
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const w of [...waiters]) w();
  };
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    wake();
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    err += chunk;
    wake();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
    wake();
  });
  return {
    child,
    lines,
    stderr: () => err,
    exited,
    waitForLine: (match, from = 0, ms = 20_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`no such line within ${ms} ms; stdout:\n${lines.join('\n')}\nstderr:\n${err}`)), ms);
        const check = (): void => {
          const found = lines.slice(from).find(match);
          if (found !== undefined) done(undefined, found);
          else if (gone) done(new Error(`baton exited (${child.exitCode}) first; stdout:\n${lines.join('\n')}\nstderr:\n${err}`));
        };
        const done = (error?: Error, line?: string): void => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error) reject(error);
          else resolve(line!);
        };
        waiters.add(check);
        check();
      }),
  };
}

/** A `baton serve` child whose whole banner has been printed. */
export interface ServingBaton {
  child: ChildProcess;
  /** The URL the banner names (`http://127.0.0.1:<port>`). */
  url: string;
  /** stdout so far. */
  stdout(): string;
}

/**
 * Starts the built bin's `baton serve <args>` (in `cwd`, else this process's folder; colour off, `env` added to this
 * process's environment) and resolves once its banner is out as far as the line holding `until` (default `runs API:`;
 * `metrics:` waits for the metrics line after it). Rejects with its output when it exits first, or after `timeoutMs`
 * (default 30,000 ms; the child then killed).
 */
export async function serveUntilBanner(args: string[], options: { cwd?: string; env?: Record<string, string>; until?: string; timeoutMs?: number } = {}): Promise<ServingBaton> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const until = options.until ?? 'runs API:';
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`no banner: ${stdout}${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`baton serve exited (${code}): ${stdout}${stderr}`));
    });
    child.stdout.on('data', () => {
      const m = /baton serve · (http:\/\/[^ ]+) ·/.exec(stdout);
      if (m && stdout.includes(until)) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  return { child, url, stdout: () => stdout };
}
