import { BatonError, executorId, redriveRun, resumeRun, startRun, type RunStoreApi, type RunSummary } from '@baton/runtime';
import type { RunEvent } from '@baton/protocol';
import { agentsFor, type AgentsMode, type ResolvedAgents } from '../agents-mode.js';
import { collectInputs } from '../inputs.js';
import { humanPrinter, jsonPrinter, type HumanPrinterContext, type RunPrinter } from '../output/run-printer.js';
import type { Output } from '../output/terminal.js';
import { resolveStorePath } from '../store-path.js';
import { loadDefinition, openStore, pickFlow, toCliError } from '../backend.js';
import { trackRun, untrackRun } from '../internal-error.js';
import { CliError } from '../errors.js';
import { runLimits } from '../run-limits.js';
import { useMcpServers } from '../mcp-servers.js';
import { runExpectation } from './estimate.js';

/** Options of `baton run`. */
export interface RunCommandOptions {
  flow?: string;
  input: string[];
  inputs?: string;
  agents: AgentsMode;
  json?: boolean;
  store?: string;
  /** `--record <cassette.json>` (with `--agents real`). */
  record?: string;
}

/**
 * `baton run <file>`: checks the file (errors: exit 2, the run does not start), then runs the flow,
 * printing events as they happen.
 * @returns 0 succeeded or waiting, 1 failed or cancelled.
 */
export async function runCommand(file: string, opts: RunCommandOptions, output: Output): Promise<number> {
  const { definition, entryFile } = await loadDefinition(file, output);
  const flow = pickFlow(definition, entryFile, opts.flow);
  const inputs = collectInputs(flow, opts.input, opts.inputs);
  const { agents, runAgents } = agentsFor(opts.agents, entryFile, [{ definition, flow: flow.name }], opts.record);
  const { maxFlowDepth, recordPrompts, estimateConfig } = runLimits(entryFile);
  const storePath = resolveStorePath(opts.store);
  const closeMcp = useMcpServers(entryFile);
  const store = await openStore(storePath).catch(async (error: unknown) => {
    await closeMcp();
    throw error;
  });
  let printer: RunPrinter;
  try {
    printer = opts.json ? jsonPrinter(output) : humanPrinter(output, { storePath: store.location, agentsMode: opts.agents, definition, expected: await runExpectation(definition, flow.name, entryFile, store) });
  } catch (error) {
    await closeMcp();
    await store.close();
    throw error;
  }
  let runId: string | undefined;
  const onEvent = (e: RunEvent): void => {
    if (e.type === 'run.started' && !runId) trackRun(store, e.runId);
    runId = e.runId;
    printer.onEvent(e);
  };
  try {
    const summary = await withInterrupt((signal) =>
      // BATON_CRASH_AT: set by `baton test --crash-at` for the run it crashes on purpose
      startRun(definition, flow.name, inputs, { store, file: entryFile, signal, agents, runAgents, maxFlowDepth, recordPrompts, estimateConfig, crashAt: process.env.BATON_CRASH_AT || undefined, onEvent, lease: { owner: executorId() } }),
    );
    return finish(summary, store, output, opts.json);
  } catch (error) {
    throw toCliError(busyRunHint(error, runId));
  } finally {
    // (a thrown error has marked the run already: the engine does; an uncaught one is main's, while it runs)
    if (runId) untrackRun(runId);
    await closeMcp();
    try {
      await store.close();
    } catch (error) {
      // the run's last writes did not make it: never report it as it was printed
      // eslint-disable-next-line no-unsafe-finally
      throw toCliError(busyRunHint(error, runId));
    }
  }
}

/**
 * Continues a stored run (for resume, approve and send; `how` `redrive` for `runs redrive`) and prints it like
 * `run`, with the agents `agentsToContinue` chose (the run's own unless a switch was asked for; see there) —
 * callers that record something first (a decision, an event) choose them before recording.
 */
export async function continueRun(
  runId: string,
  store: RunStoreApi,
  storePath: string,
  output: Output,
  json: boolean | undefined,
  chosen: ResolvedAgents,
  how: 'resume' | 'redrive' = 'resume',
  recorded: RunEvent[] = [],
  switchAgents = false,
  by?: string,
): Promise<number> {
  const context: HumanPrinterContext = { storePath, agentsMode: chosen.runAgents.mode };
  const printer: RunPrinter = json ? jsonPrinter(output) : humanPrinter(output, context);
  if (chosen.configChanged) output.err(`note: ${chosen.configChanged}`);
  // --json streams every event of the run this command adds, the decision or signal that woke it first
  // (a reader following the stream — the editor's graph — would otherwise never see the approval decided)
  if (json) for (const event of recorded) printer.onEvent(event);
  const go = how === 'redrive' ? redriveRun : resumeRun;
  // BATON_CRASH_AT (as for `baton run`): a crash test may kill the continued run too, e.g. after a delivered event
  let started: string | undefined;
  const onEvent = (e: RunEvent): void => {
    started = e.runId;
    printer.onEvent(e);
  };
  const run = await store.getRun(runId);
  const fullId = run.id;
  context.definition = await store.getDefinition(fullId).catch(() => undefined);
  const closeMcp = useMcpServers(run.file ?? undefined);
  trackRun(store, fullId);
  try {
    const summary = await withInterrupt((signal) => go(runId, { store, by, signal, agents: chosen.agents, runAgents: chosen.runAgents, switchAgents, onEvent, lease: { owner: executorId() }, crashAt: process.env.BATON_CRASH_AT || undefined }));
    return finish(summary, store, output, json);
  } catch (error) {
    if (error instanceof BatonError && error.code === 'RUN_BUSY') {
      // another executor (a worker, baton serve) holds the run: what this command recorded, it reads there
      if (recorded.length > 0) {
        if (!json) output.out(`${error.message}; it reads the ${recorded[0].type === 'approval.decided' ? 'decision' : 'event'} there.`);
        return 0;
      }
      throw new CliError(error.message, 1);
    }
    throw busyRunHint(error, started);
  } finally {
    untrackRun(fullId);
    await closeMcp();
  }
}

/**
 * A store that stayed busy (`STORE_BUSY`) after a run had begun leaves the run stored up to its last
 * committed event, still `running`: the message says so and how to continue it, instead of "try again".
 */
function busyRunHint(error: unknown, runId: string | undefined): unknown {
  if (!(error instanceof BatonError) || error.code !== 'STORE_BUSY' || !runId) return error;
  return new BatonError(
    'STORE_BUSY',
    `${error.message.replace(/; try again in a moment$/, '')}. Run ${runId} is stored up to its last stored step; continue it with: baton resume ${runId}`,
  );
}

function finish(summary: RunSummary, _store: RunStoreApi, output: Output, json: boolean | undefined): number {
  if (summary.status === 'interrupted' && !json) {
    output.err(`Interrupted. The run is stored; continue it with: baton resume ${summary.runId}`);
  }
  if (summary.status === 'interrupted') return EXIT_INTERRUPTED;
  return summary.status === 'succeeded' || summary.status === 'waiting' ? 0 : 1;
}

/** Exit code of a run stopped by Ctrl-C or SIGTERM: 128 + SIGINT, as shells report it. */
export const EXIT_INTERRUPTED = 130;

/** Runs `body` with a signal that Ctrl-C (SIGINT) or SIGTERM aborts: the run stops and stays resumable. */
async function withInterrupt<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await body(controller.signal);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
