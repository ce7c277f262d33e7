// The built bin (`out/cli.mjs`) as a child process, for the bench cases that start `baton serve` or `baton worker`
// (cluster.mjs, console-live.mjs, console-run-page.mjs, serve.mjs, serve-busy.mjs): start it, wait for its banner,
// stop it. Not a case of its own (bench/run.mjs names its cases).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The bin to measure: `BATON_BENCH_CLI` (e.g. an older build, for a before/after), else the built `out/cli.mjs`. */
export const cli = process.env.BATON_BENCH_CLI ?? path.join(root, 'out', 'cli.mjs');

/**
 * Starts `node [nodeArgs…] <cli> <args…>` and resolves once a line of its stdout starts with `banner`: with the child,
 * that line, and the last 4,000 characters of its stderr so far (`stderr()`; '' when `stderr` is `'inherit'`).
 * Rejects when the child exits first, or after `timeoutMs` (default 60,000 ms) without the banner, with what it wrote.
 * stdout stays read to its end (a full pipe would stop the child). `children`, when given, gets the child (for a
 * clean-up that stops what is left).
 * @param {{ args: string[], banner: string, cwd?: string, env?: NodeJS.ProcessEnv, nodeArgs?: string[], timeoutMs?: number, stderr?: 'pipe' | 'inherit', children?: Set<import('node:child_process').ChildProcess> }} options
 * @returns {Promise<{ child: import('node:child_process').ChildProcess, line: string, stderr: () => string }>}
 */
export function startBin({ args, banner, cwd, env, nodeArgs = [], timeoutMs = 60_000, stderr = 'pipe', children }) {
  const child = spawn(process.execPath, [...nodeArgs, cli, ...args], { cwd, env, stdio: ['ignore', 'pipe', stderr] });
  children?.add(child);
  let out = '';
  let err = '';
  let line;
  child.stderr?.on('data', (c) => (err = (err + c).slice(-4000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start: ${out}${err}`)), timeoutMs);
    child.on('exit', (code) => reject(new Error(`${args[0]} exited with ${code}: ${err}`)));
    child.stdout.on('data', (c) => {
      if (line !== undefined) return;
      out += c;
      line = out.split('\n').find((l) => l.startsWith(banner));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve({ child, line, stderr: () => err });
      }
    });
  });
}

/**
 * Starts `baton serve <args…>` (see {@link startBin}) and resolves with its URL (`http://host:port`, from the banner
 * line `baton serve · <url> · …`) besides the child.
 * @param {Omit<Parameters<typeof startBin>[0], 'banner'>} options
 */
export async function startServe(options) {
  const started = await startBin({ ...options, banner: 'baton serve' });
  return { ...started, url: /baton serve · (http:\/\/\S+) ·/.exec(started.line)[1] };
}

/**
 * Stops a child started by {@link startBin}: SIGTERM (a graceful stop), SIGKILL after `killAfterMs` (default 10,000)
 * when it has not exited by then; resolves once it has exited. A child that has exited already resolves at once.
 * `children`, when given, loses the child.
 */
export async function stopBin(child, { killAfterMs = 10_000, children } = {}) {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    await exited;
    clearTimeout(timer);
  }
  children?.delete(child);
}
