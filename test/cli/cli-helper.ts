import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The bundled CLI, built by `npm run build` (npm test builds before the suites run). */
export const CLI = path.join(ROOT, 'out', 'cli.mjs');

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
