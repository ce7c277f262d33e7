import { spawn } from 'node:child_process';

/** What a finished `baton` child process produced. */
export interface CliProcessResult {
  /** The exit code; -1 when the process was killed by a signal (e.g. cancelled). */
  exitCode: number;
  stdout: string;
  stderr: string;
  /** True when `signal` aborted the run and the child was killed. */
  cancelled: boolean;
}

/**
 * Runs the bundled CLI (`out/cli.mjs`) in a child process of the given Node/Electron binary, so a long or
 * crashing run never blocks the editor. `ELECTRON_RUN_AS_NODE=1` makes VS Code's Electron behave as Node;
 * `NO_COLOR=1` keeps ANSI codes out of the output.
 * @param nodeExecutable usually `process.execPath` of the extension host.
 * @param cliPath absolute path of `out/cli.mjs`.
 * @param args the CLI's arguments, e.g. `['test', file, '--test', name, '--json']`.
 * @param options.cwd the working directory (the workspace folder: the run store and imports are relative to it).
 * @param options.signal aborting it kills the child (SIGTERM) and resolves with `cancelled: true`.
 * @param options.onStdout receives stdout as it arrives (UTF-8 chunks), e.g. for a live output view.
 * @returns when the process has exited; never rejects for a non-zero exit (a spawn failure, such as a
 *   missing binary, resolves with exit code -1 and the error's message as `stderr`).
 */
export function runCliProcess(
  nodeExecutable: string,
  cliPath: string,
  args: string[],
  options: { cwd?: string; signal?: AbortSignal; onStdout?: (chunk: string) => void; env?: NodeJS.ProcessEnv } = {},
): Promise<CliProcessResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let cancelled = false;
    let settled = false;
    const finish = (exitCode: number): void => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', abort);
      resolve({ exitCode, stdout, stderr, cancelled });
    };
    const child = spawn(nodeExecutable, [cliPath, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env, ELECTRON_RUN_AS_NODE: '1', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const abort = (): void => {
      cancelled = true;
      child.kill('SIGTERM');
    };
    if (options.signal?.aborted) abort();
    else options.signal?.addEventListener('abort', abort, { once: true });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      stderr += error.message;
      finish(-1);
    });
    child.on('close', (code) => finish(code ?? -1));
  });
}
