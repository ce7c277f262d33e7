import { describeStatement, elapsedMs, formatDuration, formatDurationLiteral, formatSlaBreach, formatTimestamp, runStateFrom, type RunEvent, type RunStatus, type WorkflowDefinition } from '@baton/protocol';
import { definitionHash, type RunRecord } from '@baton/runtime';
import { UsageError } from '../errors.js';
import { describeWait, waitLines } from '../output/run-printer.js';
import { preview, type Output } from '../output/terminal.js';
import { resolveStorePath } from '../store-path.js';
import { openStore, toCliError } from '../backend.js';
import { writtenFlows } from './runs-written.js';

/** The run statuses `--status` accepts. */
export const RUN_STATUSES: RunStatus[] = ['running', 'waiting', 'succeeded', 'failed', 'cancelled', 'interrupted', 'queued'];

/** `baton runs list`: stored runs, newest first. */
export async function runsListCommand(opts: { status?: string; failed?: boolean; flow?: string; limit: string; json?: boolean; store?: string }, output: Output): Promise<number> {
  if (opts.failed) {
    if (opts.status && opts.status !== 'failed') throw new UsageError(`--failed lists failed runs; it cannot be combined with --status ${opts.status}`);
    return deadLetters(opts, output);
  }
  if (opts.status && !RUN_STATUSES.includes(opts.status as RunStatus)) {
    throw new UsageError(`--status ${opts.status}: use one of ${RUN_STATUSES.join(', ')}`);
  }
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit ${opts.limit}: expected a whole number above 0`);
  const store = await openStore(resolveStorePath(opts.store));
  try {
    const runs = await store.listRuns({ status: opts.status as RunStatus | undefined, flow: opts.flow, limit });
    if (opts.json) {
      output.out(JSON.stringify(runs, null, 2));
      return 0;
    }
    if (runs.length === 0) {
      output.out('No runs stored yet. Start one with: baton run <file.flow>');
      return 0;
    }
    const c = output.colors;
    output.out(c.dim(`${'ID'.padEnd(26)}  ${'FLOW'.padEnd(22)}  ${'STATUS'.padEnd(11)}  ${'STARTED'.padEnd(19)}  DURATION`));
    for (const r of runs) {
      output.out(`${r.id}  ${r.flow.padEnd(22)}  ${statusColor(r.status, output)(r.status.padEnd(11))}  ${formatTimestamp(r.startedAt)}  ${r.finishedAt ? formatDuration(elapsedMs(r.startedAt, r.finishedAt)) : ''}`);
    }
    return 0;
  } catch (error) {
    throw toCliError(error);
  } finally {
    await store.close();
  }
}

/**
 * `baton runs list --failed`: the dead letters — failed runs, newest first, each with its cause (the error's
 * code and message and the step that failed it) and the command that redrives it. `--json`: the run records
 * with `failedStep`.
 */
async function deadLetters(opts: { flow?: string; limit: string; json?: boolean; store?: string }, output: Output): Promise<number> {
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit ${opts.limit}: expected a whole number above 0`);
  const store = await openStore(resolveStorePath(opts.store));
  try {
    const runs = [];
    for (const r of await store.listRuns({ status: 'failed', flow: opts.flow, limit })) {
      const closing = [...(await store.getEvents(r.id))].reverse().find((e) => e.type === 'run.failed');
      runs.push({ ...r, failedStep: closing?.type === 'run.failed' ? closing.step : undefined });
    }
    if (opts.json) {
      output.out(JSON.stringify(runs, null, 2));
      return 0;
    }
    if (runs.length === 0) {
      output.out('No failed runs.');
      return 0;
    }
    const c = output.colors;
    for (const r of runs) {
      output.out(`${r.id}  ${r.flow}  ${c.dim(r.finishedAt ? formatTimestamp(r.finishedAt) : '')}`);
      output.out(`  ${c.red(r.error?.code ?? 'FAILED')}${r.failedStep ? ` at step ${r.failedStep}` : ''}: ${r.error?.message ?? ''}`);
      output.out(c.dim(`  redrive: baton runs redrive ${r.id}`));
    }
    output.out(c.dim(`${runs.length} failed run${runs.length === 1 ? '' : 's'}`));
    return 0;
  } catch (error) {
    throw toCliError(error);
  } finally {
    await store.close();
  }
}

/** `baton runs show <id>`: a run's steps, outputs, waits and error. */
export async function runsShowCommand(id: string, opts: { json?: boolean; store?: string }, output: Output): Promise<number> {
  const store = await openStore(resolveStorePath(opts.store));
  try {
    const run = await store.getRun(id);
    const events = await store.getEvents(run.id);
    if (opts.json) {
      // which definition the run executes now (after a migration: the new one), by its SHA-256
      const stored = await store.getDefinition(run.id);
      const statements = statementsOf(events, stored);
      // the flows agents wrote and their policies accepted, with their graphs (the editor's graph panel draws them)
      const written = await writtenFlows(store, events);
      output.out(JSON.stringify({ run, events, definition: definitionHash(stored), ...(Object.keys(statements).length > 0 ? { statements } : {}), ...(written.length > 0 ? { written } : {}) }, null, 2));
      return 0;
    }
    // the run's definition names the cancel/complete statements by their text and line
    printRun(run, events, output, await store.getDefinition(run.id).catch(() => undefined));
    return 0;
  } catch (error) {
    throw toCliError(error);
  } finally {
    await store.close();
  }
}

/**
 * The statements that ended regions early in `events` (their `by`: a cancel or complete node id), each named as the
 * CLI names it — `cancel fulfil (line 14)`, by `describeStatement` in `definition` — for `baton runs show --json`'s
 * `statements` (node id → name): the editor's Runs view names them alike without the definition.
 */
export function statementsOf(events: readonly RunEvent[], definition: WorkflowDefinition): Record<string, string> {
  const named: Record<string, string> = {};
  for (const e of events) if (e.type === 'region.cancelled' || e.type === 'region.completed') named[e.by] = describeStatement(e.by, definition);
  return named;
}

/**
 * `region fulfil: cancelled by cancel fulfil (line 14) (2 compensations)` / `region review[2]: completed by complete
 * review (line 9)`: how a region ended early — the statement by its text and line in `definition` (the run's), by its
 * node id (`cancel@4.1`) when the definition does not have it. The compensations counted are those that finished right after the decision, before the run
 * went on (its withdrawn steps' ends and a resume may come between).
 */
export function regionLine(e: Extract<RunEvent, { type: 'region.cancelled' | 'region.completed' }>, after: RunEvent[], definition?: WorkflowDefinition): string {
  const name = `region ${e.scope.endsWith('/') || !e.scope ? `${e.scope}${e.region}` : `${e.region}${e.scope}`}`;
  if (e.type === 'region.completed') return `${name}: completed by ${describeStatement(e.by, definition)}`;
  let compensations = 0;
  for (const next of after) {
    if (next.type === 'compensation.finished') compensations++;
    else if (next.type !== 'compensation.started' && next.type !== 'step.finished' && next.type !== 'run.resumed' && next.type !== 'value.recorded') break;
  }
  return `${name}: cancelled by ${describeStatement(e.by, definition)} (${compensations} compensation${compensations === 1 ? '' : 's'})`;
}

function printRun(run: RunRecord, events: RunEvent[], output: Output, definition?: WorkflowDefinition): void {
  const c = output.colors;
  output.out(`${c.bold(run.flow)}  ${c.dim(run.id)}`);
  output.out(`  status   ${statusColor(run.status, output)(run.status)}`);
  output.out(`  started  ${run.startedAt}${run.finishedAt ? `  finished ${run.finishedAt} (${formatDuration(elapsedMs(run.startedAt, run.finishedAt))})` : ''}`);
  if (run.file) output.out(`  file     ${run.file}`);
  const state = runStateFrom(events);
  if (run.slaFlowAt) {
    const breached = state.slaBreaches.has('flow');
    const sla = formatDurationLiteral(Date.parse(run.slaFlowAt) - Date.parse(run.startedAt));
    output.out(`  sla      ${sla}, due ${formatTimestamp(run.slaFlowAt)}${breached ? c.red(' — breached') : ''}`);
  }
  if (Object.keys(run.inputs).length) output.out(`  inputs   ${Object.entries(run.inputs).map(([k, v]) => `${k}=${preview(v, 50)}`).join(', ')}`);
  output.out('');
  output.out(c.bold('Steps'));
  events.forEach((e, i) => {
    if (e.type === 'region.cancelled' || e.type === 'region.completed') {
      output.out(`  ${c.cyan('⊗')} ${c.dim(regionLine(e, events.slice(i + 1), definition))}`);
    } else if (e.type === 'step.cancelRequested') {
      output.out(`  ${c.dim('⊘')} ${c.dim(`step ${e.step}: cancelled by ${describeStatement(e.by, definition)}`)}`);
    } else if (e.type === 'flow.completed') {
      output.out(`  ${c.cyan('■')} ${c.dim(`${e.scope ? `sub-flow ${e.scope.slice(0, -1)}` : `flow ${e.flow}`}: completed by ${describeStatement(e.node, definition)}`)}`);
    } else if (e.type === 'step.finished') {
      const mark = e.status === 'succeeded' ? c.green('✓') : e.status === 'skipped' ? c.dim('○') : e.status === 'cancelled' ? c.dim('⊘') : c.red('✗');
      const extra = e.status === 'failed' ? c.red(`  ${e.error?.code}: ${e.error?.message}`) : e.status === 'succeeded' ? c.dim(`  ${preview(e.output, 60)}`) : '';
      output.out(`  ${mark} ${e.step.padEnd(22)} ${c.dim(e.agent.padEnd(22))} ${formatDuration(e.durationMs).padStart(8)}${e.attempts > 1 ? c.yellow(` ${e.attempts} attempts`) : ''}${extra}`);
    } else if (e.type === 'tool.finished') {
      // a step's tool call (its step's line follows when the loop ends)
      const mark = e.status === 'succeeded' ? c.green('⚙') : e.status === 'refused' ? c.yellow('⊘') : c.red('✗');
      const extra = e.status === 'succeeded' ? c.dim(`  ${preview(e.output, 60)}`) : (e.status === 'refused' ? c.yellow : c.red)(`  ${e.error?.code}: ${e.error?.message}`);
      output.out(`    ${mark} ${`tool ${e.tool}`.padEnd(20)} ${c.dim(`${e.step} · turn ${e.turn}`.padEnd(22))} ${formatDuration(e.durationMs).padStart(8)}${extra}`);
    } else if (e.type === 'flow.generated') {
      // an answer of a generating step (its step's line follows when one was accepted or none was)
      const first = e.diagnostics[0];
      const extra = e.accepted ? c.dim(`  accepted ${e.definition ?? ''}`) : c.yellow(`  refused: ${first ? `${first.line}:${first.column} ${first.code}: ${first.message}` : ''}${e.diagnostics.length > 1 ? ` (+${e.diagnostics.length - 1} more)` : ''}`);
      output.out(`    ${e.accepted ? c.green('✎') : c.yellow('⊘')} ${`flow ${e.flow ?? ''}`.padEnd(20)} ${c.dim(`${e.step} · attempt ${e.attempt}`.padEnd(22))}${extra}`);
    } else if (e.type === 'branch.taken') {
      output.out(`  ${c.cyan('↳')} ${c.dim(e.label)}`);
    } else if (e.type === 'join.reached') {
      output.out(`  ${c.cyan('⋈')} ${c.dim(`${e.label} reached${e.rest === 'keep' ? ' — the rest runs on' : e.withdrawn.length ? ` — ${e.withdrawn.length} withdrawn` : ''}`)}`);
    } else if (e.type === 'wait.withdrawn') {
      output.out(`  ${c.dim('⊘')} ${c.dim(`${e.label} — withdrawn`)}`);
    } else if (e.type === 'approval.decided') {
      output.out(`  ${c.green('✓')} ${e.task.padEnd(22)} ${c.dim('approval'.padEnd(22))} ${e.decision}${e.by ? c.dim(` by ${e.by}`) : ''}${e.comment ? c.dim(` — ${e.comment}`) : ''}`);
    } else if (e.type === 'run.migrated') {
      const renamed = Object.keys(e.renamed).length;
      output.out(`  ${c.cyan('⇢')} migrated to definition ${e.to.slice(0, 8)} from ${e.from.slice(0, 8)}${c.dim(`${e.flow !== run.flow ? ` (flow ${e.flow})` : ''}${renamed ? ` · ${renamed} node id${renamed === 1 ? '' : 's'} renamed` : ''}${e.by ? ` by ${e.by}` : ''} · ${formatTimestamp(e.time)}`)}`);
    } else if (e.type === 'sla.breached' && state.slaBreaches.get(e.key)?.time === e.time) {
      // (the first record of each SLA: a second one a race left is not shown)
      output.out(`  ${c.red('⚑')} ${c.red(formatSlaBreach(e))}${c.dim(` · recorded ${formatTimestamp(e.time)}`)}`);
    } else if (e.type === 'compensation.finished') {
      output.out(`  ${c.magenta('↺')} undo ${e.step.padEnd(17)} ${c.dim(e.agent.padEnd(22))} ${e.status}`);
    }
  });
  output.out('');
  // the flows agents wrote and their policies accepted: their text, as the checker accepted it (docs/agents.md)
  for (const e of events) {
    if (e.type !== 'flow.generated' || !e.accepted) continue;
    output.out(`${c.bold('Written flow')} ${e.flow} ${c.dim(`by step ${e.step} · ${e.definition}`)}`);
    for (const line of e.source.split('\n')) output.out(`  ${line}`);
    output.out('');
  }
  if (Object.keys(run.outputs).length) output.out(`${c.bold('Outputs')}  ${Object.entries(run.outputs).map(([k, v]) => `${k}=${preview(v, 60)}`).join(', ')}`);
  if (run.error) output.out(`${c.bold('Error')}    ${c.red(`${run.error.code}: ${run.error.message}`)}`);
  if (run.status === 'waiting') {
    // one line per wait; the open arms of a `wait first` each on its own line
    const [first, ...rest] = waitLines(run.waitingOn as unknown as Record<string, unknown>[], run.id, '', true);
    if (first === undefined) output.out(`${c.bold('Waiting')}  ${describeWait(run.waitingOn, run.id)}`);
    else {
      output.out(`${c.bold('Waiting')}  ${first}`);
      for (const line of rest) output.out(`         ${line}`);
    }
  }
  // events sent before the run waited for them, not taken yet (persistent triggers)
  for (const kept of state.buffered.values()) {
    if (!kept.taken && run.finishedAt === null) output.out(`${c.bold('Kept')}     event "${kept.event}" ${preview(kept.data, 50)} ${c.dim(`until ${kept.expires}`)}`);
  }
  if (run.status === 'interrupted' || run.status === 'running' || run.status === 'queued') output.out(c.dim(`Continue it with: baton resume ${run.id}`));
  output.out(c.dim(`${events.length} events`));
}

/** The colour of a status in a listing. */
export function statusColor(status: string, output: Output): (s: string) => string {
  const c = output.colors;
  switch (status) {
    case 'succeeded':
      return c.green;
    case 'failed':
      return c.red;
    case 'waiting':
    case 'interrupted':
    case 'queued':
      return c.yellow;
    default:
      return (s) => s;
  }
}
