import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunEvent } from '@baton/protocol';
import { CliError, UsageError } from '../errors.js';
import { displayPath, type Output } from '../output/terminal.js';
import { loadDefinition, openStore, pickFlow } from '../backend.js';
import { resolveStorePath, unusedTestStoreNote } from '../store-path.js';

/** Options of `baton test <file> --crash-at <step>`. */
export interface CrashTestOptions {
  crashAt: string;
  flow?: string;
  input: string[];
  inputs?: string;
  json?: boolean;
  /**
   * The store the crashed run is kept in (a file or a `postgres://` URL); default: a temporary file, removed after.
   * `BATON_STORE` is not read ({@link unusedTestStoreNote}).
   */
  store?: string;
}

/** What a crash test found (`--json`). */
export interface CrashTestReport {
  file: string;
  flow: string;
  crashAt: string;
  runId?: string;
  /** Whether the first process died by SIGKILL at the step. */
  crashed: boolean;
  /** The run's status after the resume. */
  status?: string;
  /** Step instances and how many times each finished (each must be 1). */
  steps: Record<string, number>;
  passed: boolean;
  problem?: string;
}

/**
 * `baton test <file> --crash-at <step>`: proves a flow survives a crash at that step. Runs the flow in a child
 * process (`baton run`, a temporary store) that kills itself with SIGKILL once the step has started and its
 * start is stored (the runtime's `crashAt` hook, through `BATON_CRASH_AT`); then resumes the run in a second
 * process (`baton resume`, as after a restart); then reads the run's log and checks that it ended, and that
 * every step instance finished exactly once — none lost, none run twice. With `--store` (never `BATON_STORE`: a shell's
 * shared store must not get a deliberately killed run, which its cluster's reconciler would hand to workers), the run is
 * kept in that store (a file, or a PostgreSQL store's `postgres://` URL: the crash and the resume then go through it)
 * instead of a temporary file. The children are given the store in `BATON_STORE`, not on their command lines (a
 * password in a URL stays out of the process list), and never a cluster's queue (`BATON_QUEUE`): the resume must
 * continue the run itself, not hand it to workers.
 * @returns 0 when it held, 1 when it did not (the report says what); a step name the flow never reaches is a
 *   failure too (the process was not killed). Bad usage (no such flow, inputs) throws a UsageError (exit 2).
 */
export async function crashTestCommand(file: string, opts: CrashTestOptions, output: Output): Promise<number> {
  const note = unusedTestStoreNote(opts.store);
  if (note) output.err(note);
  const { definition, entryFile } = await loadDefinition(file, output);
  const flow = pickFlow(definition, entryFile, opts.flow);
  if (!opts.crashAt.trim()) throw new UsageError('--crash-at: name a step, e.g. --crash-at load (or load[2] inside a foreach)');
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-crash-'));
  const store = opts.store !== undefined ? resolveStorePath(opts.store) : path.join(dir, 'runs.db');
  const cli = process.argv[1];
  const report: CrashTestReport = { file: displayPath(entryFile), flow: flow.name, crashAt: opts.crashAt, crashed: false, steps: {}, passed: false };
  try {
    const inputArgs = [...opts.input.flatMap((i) => ['--input', i]), ...(opts.inputs ? ['--inputs', opts.inputs] : [])];
    const first = await runChild(cli, ['run', entryFile, '--flow', flow.name, ...inputArgs, '--json'], { BATON_STORE: store, BATON_CRASH_AT: opts.crashAt });
    if (first.code === 2) throw new UsageError(first.stderr.trim().replace(/^baton: /, '') || 'the run could not start');
    report.runId = firstRunId(first.stdout);
    report.crashed = first.signal === 'SIGKILL';
    if (!report.crashed || !report.runId) {
      report.problem = `the run never reached step ${opts.crashAt} (it ended with ${first.signal ?? `exit ${first.code}`}); name a step the flow runs`;
      return finish(report, output, opts.json);
    }
    const resumed = await runChild(cli, ['resume', report.runId, '--json'], { BATON_STORE: store });
    if (resumed.code !== 0 && resumed.code !== 1) {
      report.problem = `baton resume failed: ${resumed.stderr.trim() || `exit ${resumed.code ?? resumed.signal}`}`;
      return finish(report, output, opts.json);
    }
    const opened = await openStore(store);
    let events: RunEvent[];
    try {
      report.status = (await opened.getRun(report.runId)).status;
      events = await opened.getEvents(report.runId);
    } finally {
      await opened.close();
    }
    for (const e of events) if (e.type === 'step.finished') report.steps[e.step] = (report.steps[e.step] ?? 0) + 1;
    const started = new Set(events.filter((e) => e.type === 'step.started').map((e) => (e.type === 'step.started' ? e.step : '')));
    const twice = Object.entries(report.steps).filter(([, n]) => n !== 1).map(([step, n]) => `${step} ×${n}`);
    const lost = [...started].filter((step) => report.steps[step] === undefined);
    // a tool call of a step's tool loop finished twice would have been made again after it was answered
    const calls = new Map<string, number>();
    for (const e of events) if (e.type === 'tool.finished') calls.set(`${e.step}/${e.callId}`, (calls.get(`${e.step}/${e.callId}`) ?? 0) + 1);
    const callsTwice = [...calls].filter(([, n]) => n > 1).map(([call, n]) => `${call} ×${n}`);
    const seqs = events.map((e) => e.seq);
    const gapless = seqs.every((seq, i) => seq === i + 1);
    if (report.status === 'running' || report.status === 'interrupted') report.problem = `the resumed run did not end (${report.status})`;
    else if (twice.length > 0) report.problem = `steps finished more than once: ${twice.join(', ')}`;
    else if (callsTwice.length > 0) report.problem = `tool calls finished more than once: ${callsTwice.join(', ')}`;
    else if (lost.length > 0) report.problem = `steps started but never finished: ${lost.join(', ')}`;
    else if (!gapless) report.problem = 'the run log has a gap or a duplicate event';
    report.passed = report.problem === undefined;
    return finish(report, output, opts.json);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function finish(report: CrashTestReport, output: Output, json: boolean | undefined): number {
  if (json) {
    output.out(JSON.stringify(report, null, 2));
    return report.passed ? 0 : 1;
  }
  const c = output.colors;
  const count = Object.keys(report.steps).length;
  if (report.passed) {
    output.out(`${c.green('✓')} ${report.file} · ${report.flow}: killed (SIGKILL) at step ${report.crashAt}, resumed run ${report.runId} → ${report.status}; ${count} step${count === 1 ? '' : 's'}, each finished exactly once`);
  } else {
    output.out(`${c.red('✗')} ${report.file} · ${report.flow}: crash at step ${report.crashAt}: ${report.problem ?? 'failed'}`);
  }
  return report.passed ? 0 : 1;
}

function firstRunId(stdout: string): string | undefined {
  for (const line of stdout.split('\n')) {
    try {
      const event = JSON.parse(line) as { type?: string; runId?: string };
      if (event.type === 'run.started' && event.runId) return event.runId;
    } catch {
      // not an event line
    }
  }
  return undefined;
}

function runChild(cli: string | undefined, args: string[], env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  if (!cli) return Promise.reject(new CliError('cannot find the baton CLI to run the crash test with', 2));
  return new Promise((resolve, reject) => {
    const { BATON_QUEUE: _queue, ...inherited } = process.env;
    const child = spawn(process.execPath, [cli, ...args], { env: { ...inherited, ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
