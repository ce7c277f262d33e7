import { describeStatement, elapsedMs, emptyRunModel, foldRunEvent, formatCost, formatDuration, formatSlaBreach, formatTimeOfDay, formatTokens, type FlowEstimate, type RunEvent, type WorkflowDefinition } from '@baton/protocol';
import { isStoreUrl } from '../store-path.js';
import { displayPath, preview, type Output } from './terminal.js';
import { ExpectedPath } from './expected-path.js';

/** The fields of the `RunEvent` union the human printer reads, all optional (one flat view of the union). */
interface PrintableEvent {
  type: string;
  runId: string;
  time: string;
  step?: string;
  node?: string;
  agent?: string;
  status?: string;
  output?: unknown;
  error?: { code: string; message: string };
  durationMs?: number;
  attempts?: number;
  attempt?: number;
  delayMs?: number;
  branch?: string;
  label?: string;
  task?: string;
  assignee?: string;
  decision?: string;
  by?: string;
  event?: string;
  outputs?: Record<string, unknown>;
  flow?: string;
  waitingOn?: unknown;
  state?: string;
  redrive?: boolean;
  condition?: string;
  timedOut?: boolean;
  deadline?: string;
  tokens?: number;
  costUsd?: number;
  failures?: number;
  until?: string;
  rest?: string;
  withdrawn?: number[];
  name?: string;
  holder?: string;
  key?: string;
  kind?: string;
  [key: string]: unknown;
}

/** Receives a run's events as they happen and prints them. */
export interface RunPrinter {
  onEvent(event: RunEvent): void;
}

/** `--json`: one JSON object per line per event, exactly as the runtime produced it (spec section 7). */
export function jsonPrinter(output: Output): RunPrinter {
  return { onEvent: (event) => output.out(JSON.stringify(event)) };
}

/** Context the human printer shows in its header and closing lines. */
export interface HumanPrinterContext {
  storePath: string;
  /** `stub`, `real` or `replay:<cassette>`. */
  agentsMode: string;
  /**
   * The run's definition, when the caller has it (read when an event is printed, so it may be set after the printer
   * is made): `cancel`/`complete` statements are then named by their text and line, not their node id.
   */
  definition?: WorkflowDefinition;
  /** What a new run is expected to take (`baton run`): printed under the header, and `step i/N` on step lines. */
  expected?: RunExpectation;
}

/** A flow's static worst case and what the store saw of its earlier runs (`runs`, their median duration `p50Ms`). */
export interface RunExpectation {
  estimate: FlowEstimate;
  runs: number;
  p50Ms: number | null;
}

/**
 * The `expected:` line: the worst case's agent calls, output tokens, cost and duration (`≤ …`; a figure the flow does
 * not bound says so; zero tokens, cost or time are left out), then the median of the stored runs when there are some.
 */
export function expectedText(expected: RunExpectation): string {
  const t = expected.estimate.total;
  const parts = [t.calls === null ? 'agent calls unbounded' : `≤ ${t.calls} agent call${t.calls === 1 ? '' : 's'}`];
  if (t.outputTokens !== 0) parts.push(t.outputTokens === null ? 'tokens unbounded' : `≤ ${formatTokens(t.outputTokens)}`);
  if (t.outputCostUsd !== null && t.outputCostUsd > 0) parts.push(`≤ ${formatCost(t.outputCostUsd)}`);
  if (t.durationMs !== 0) parts.push(t.durationMs === null ? 'duration unbounded' : `≤ ${formatDuration(t.durationMs)}`);
  if (expected.p50Ms !== null) parts.push(`p50 ~${formatDuration(expected.p50Ms)} (from ${expected.runs} stored run${expected.runs === 1 ? '' : 's'})`);
  return `expected: ${parts.join(' · ')}`;
}

/**
 * Human output for a run: a header, one line per finished step (status symbol, step, agent, duration,
 * attempts), branch decisions, retries, compensations, approvals and waits, and a closing line with
 * the status, time, step count and where the run is stored.
 */
export function humanPrinter(output: Output, context: HumanPrinterContext): RunPrinter {
  const c = output.colors;
  let width = 18;
  // the run as far as this stream told it (the one fold every view uses): steps finished, when it started
  const run = emptyRunModel();
  let firstTime: string | undefined;
  const pad = (text: string): string => {
    width = Math.max(width, Math.min(text.length + 2, 40));
    return text.padEnd(width);
  };
  const attemptsText = (attempts?: number): string => (attempts && attempts > 1 ? c.yellow(` ${attempts} attempts`) : '');
  // real agents' usage: tokens, and their cost when baton.config.json gives the model's prices
  // `step i/N`: the flow's own steps reached, of those its path may still reach (expected-path.ts)
  const expectedFlow = context.expected && context.definition?.flows[context.expected.estimate.flow];
  const path = expectedFlow ? new ExpectedPath(expectedFlow) : undefined;
  const progressText = (node?: string): string => {
    const text = path?.reached(node);
    return text ? c.dim(` · ${text}`) : '';
  };
  const usageText = (tokens?: number, costUsd?: number): string =>
    tokens ? c.dim(` · ${formatTokens(tokens)}${costUsd !== undefined ? ` · ${formatCost(costUsd)}` : ''}`) : '';

  // a step's tool call, under the step (its ✓ line comes when the loop ends): `tool <name>  <step> · turn N`
  const toolLine = (event: Extract<RunEvent, { type: 'tool.finished' }>): string => {
    const where = c.dim(`${event.step} · turn ${event.turn}`.padEnd(24));
    const head = `    ${event.status === 'succeeded' ? c.green('⚙') : event.status === 'refused' ? c.yellow('⊘') : c.red('✗')} ${pad(`tool ${event.tool}`)}`;
    if (event.status === 'succeeded') return `${head}${where}${c.dim(formatDuration(event.durationMs).padStart(8))}${usageText(event.tokens)}`;
    const message = event.error?.message ?? event.status;
    return `${head}${where}  ${event.status === 'refused' ? c.yellow(`refused: ${message}`) : c.red(message)}`;
  };

  // an answer of a generating step, under the step: `flow <name>  <step> · attempt N  accepted`, or refused with the
  // first of the checker's diagnostics (docs/agents.md, Flows written by agents)
  const writtenLine = (event: Extract<RunEvent, { type: 'flow.generated' }>): string => {
    const where = c.dim(`${event.step} · attempt ${event.attempt}`.padEnd(24));
    if (event.accepted) return `    ${c.green('✎')} ${pad(`flow ${event.flow ?? ''}`)}${where}  ${c.dim(`accepted ${event.definition?.slice(0, 19) ?? ''}`)}`;
    const [first] = event.diagnostics;
    const more = event.diagnostics.length > 1 ? ` (+${event.diagnostics.length - 1} more)` : '';
    return `    ${c.yellow('⊘')} ${pad('flow')}${where}  ${c.yellow(`refused: ${first ? `${first.line}:${first.column} ${first.code}: ${first.message}` : 'no diagnostics'}${more}`)}`;
  };

  return {
    onEvent(event) {
      const e = event as unknown as PrintableEvent;
      foldRunEvent(run, event);
      firstTime ??= event.time;
      switch (e.type) {
        case 'run.started':
          output.out(`${c.bold('▶ ' + (e.flow ?? 'flow'))}  ${c.dim(`run ${e.runId} · ${context.agentsMode.startsWith('replay:') ? `agents replayed from ${context.agentsMode.slice(7)}` : `${context.agentsMode} agents`}`)}`);
          if (context.expected) output.out(c.dim(`  ${expectedText(context.expected)}`));
          break;
        case 'run.resumed':
          output.out(`${c.bold(`▶ ${e.redrive ? 'redriven' : 'resumed'} ${e.flow ?? ''}`)}  ${c.dim(`run ${e.runId}${e.redrive ? ' · from the step that failed it' : ''}`)}`);
          break;
        case 'sla.breached':
          if (event.type === 'sla.breached') output.out(`  ${c.red('⚑')} ${c.red(formatSlaBreach(event))}`);
          break;
        case 'circuit.changed':
          output.out(
            `  ${e.state === 'closed' ? c.green('⚡') : c.yellow('⚡')} ${c.dim(`circuit of ${e.agent ?? ''}`)} ${e.state}` +
              (e.state === 'open' ? c.dim(` after ${e.failures ?? '?'} failures in a row${e.until ? `, until ${formatTimeOfDay(e.until)}` : ''}`) : ''),
          );
          break;
        case 'step.retrying':
          output.out(
            `  ${c.yellow('↻')} ${pad(e.step ?? '')}${c.dim(e.agent ?? '')}  attempt ${e.attempt ?? '?'} failed: ${e.error?.message ?? ''}` +
              (e.delayMs !== undefined ? c.dim(` — retrying in ${formatDuration(e.delayMs)}`) : ''),
          );
          break;
        case 'step.finished': {
          const agent = c.dim((e.agent ?? '').padEnd(24));
          const duration = c.dim(formatDuration(e.durationMs ?? 0).padStart(8));
          const progress = progressText(e.node);
          if (e.status === 'succeeded') {
            output.out(`  ${c.green('✓')} ${pad(e.step ?? '')}${agent}${duration}${attemptsText(e.attempts)}${usageText(e.tokens, e.costUsd)}${progress}`);
          } else if (e.status === 'skipped') {
            output.out(`  ${c.dim('○')} ${pad(e.step ?? '')}${agent}${c.dim('skipped'.padStart(8))}${progress}`);
          } else if (e.status === 'cancelled') {
            // withdrawn: the rest of a partial join
            output.out(`  ${c.dim('⊘')} ${pad(e.step ?? '')}${agent}${c.dim('cancelled'.padStart(8))}${progress}`);
          } else {
            output.out(
              `  ${c.red('✗')} ${pad(e.step ?? '')}${agent}${duration}${attemptsText(e.attempts)}  ${c.red(e.error?.message ?? e.status ?? 'failed')}${progress}`,
            );
          }
          break;
        }
        case 'branch.taken':
          if (event.type === 'branch.taken') path?.taken(event.node, event.scope, event.branch);
          output.out(`  ${c.cyan('↳')} ${c.dim(String(e.label ?? e.branch ?? ''))}`);
          break;
        case 'join.reached':
          output.out(`  ${c.cyan('⋈')} ${c.dim(`${e.label ?? ''} reached${e.rest === 'keep' ? ' — the rest runs on' : e.withdrawn?.length ? ` — ${e.withdrawn.length} withdrawn` : ''}`)}`);
          break;
        case 'compensation.started':
          output.out(`  ${c.magenta('↺')} ${pad('undo ' + (e.step ?? ''))}${c.dim(e.agent ?? '')}`);
          break;
        case 'compensation.finished':
          if (e.status && e.status !== 'succeeded') output.out(`  ${c.red('✗')} ${pad('undo ' + (e.step ?? ''))}${c.red(e.error?.message ?? 'failed')}`);
          break;
        case 'approval.requested': {
          const call = event.type === 'approval.requested' ? event.toolCall : undefined;
          output.out(`  ${c.yellow('⏸')} ${pad(e.task ?? '')}${c.dim('approval')}${e.assignee ? c.dim(` for ${e.assignee}`) : ''}${call ? c.dim(` · tool ${call.tool} ${preview(call.arguments)}`) : ''}`);
          break;
        }
        case 'tool.finished':
          if (event.type === 'tool.finished') output.out(toolLine(event));
          break;
        case 'flow.generated':
          if (event.type === 'flow.generated') output.out(writtenLine(event));
          break;
        case 'approval.decided':
          output.out(`  ${c.green('✓')} ${pad(e.task ?? '')}${c.dim('approval')}  ${e.decision ?? ''}${e.by ? c.dim(` by ${e.by}`) : ''}`);
          break;
        case 'condition.waiting':
          output.out(`  ${c.yellow('⏸')} ${c.dim('wait until')} ${e.condition ?? ''}${e.deadline ? c.dim(` (timeout ${formatTimeOfDay(e.deadline)})`) : ''}`);
          break;
        case 'condition.met':
          output.out(`  ${e.timedOut ? c.yellow('⏱') : c.green('✓')} ${c.dim('wait until')} ${e.condition ?? ''}${c.dim(e.timedOut ? ' — timed out → on timeout' : ' — met')}`);
          break;
        case 'lock.requested':
          output.out(`  ${c.yellow('⏸')} ${c.dim('lock')} "${e.name ?? ''}"${c.dim(` — waiting its turn${e.holder ? ` (held by run ${e.holder})` : ''}${e.deadline ? `, timeout ${formatTimeOfDay(e.deadline)}` : ''}`)}`);
          break;
        case 'lock.acquired':
          output.out(`  ${c.cyan('⊏')} ${c.dim('lock')} "${e.name ?? ''}"${c.dim(' — held')}`);
          break;
        case 'lock.released':
          output.out(`  ${e.timedOut ? c.yellow('⏱') : c.cyan('⊐')} ${c.dim('lock')} "${e.name ?? ''}"${c.dim(e.timedOut ? ' — not got in time → on timeout' : ' — given up')}`);
          break;
        case 'region.cancelled':
        case 'region.completed':
          output.out(`  ${c.cyan('⊗')} ${c.dim(`region ${e.region ?? ''} — ${e.type === 'region.cancelled' ? 'cancelled' : 'completed'} by ${describeStatement(String(e.by ?? ''), context.definition)}`)}`);
          break;
        case 'step.cancelRequested':
          output.out(`  ${c.dim('⊘')} ${pad(e.step ?? '')}${c.dim('cancel requested')}`);
          break;
        case 'flow.completed':
          output.out(`  ${c.cyan('■')} ${c.dim(`${e.scope ? `sub-flow ${String(e.scope).slice(0, -1)}` : `flow ${e.flow ?? ''}`} — completed`)}`);
          break;
        case 'signal.raised':
          output.out(`  ${c.cyan('⚑')} ${c.dim('signal')} ${e.name ?? ''}`);
          break;
        case 'wait.withdrawn':
          // an arm of a `wait first` another arm beat
          output.out(`  ${c.dim('⊘')} ${c.dim(`${e.label ?? e.key ?? ''} — withdrawn`)}`);
          break;
        case 'signal.received':
          output.out(`  ${e.timedOut ? c.yellow('⏱') : c.green('✓')} ${c.dim('wait signal')} ${e.name ?? ''}${c.dim(e.timedOut ? ' — timed out → on timeout' : ' — raised')}`);
          break;
        case 'run.succeeded':
        case 'run.failed':
        case 'run.cancelled':
        case 'run.waiting':
          closing(e);
          break;
        default:
          break;
      }
    },
  };

  function closing(e: PrintableEvent): void {
    const from = run.startedAt ?? firstTime;
    const elapsed = from !== undefined ? formatDuration(elapsedMs(from, e.time)) : '';
    const finished = run.totals.stepsFinished;
    const steps = `${finished} step${finished === 1 ? '' : 's'}`;
    const outputs = e.outputs && Object.keys(e.outputs).length > 0
      ? Object.entries(e.outputs).map(([k, v]) => `${k}=${preview(v, 60)}`).join(', ')
      : '';
    output.out('');
    switch (e.type) {
      case 'run.succeeded':
        output.out(`${c.green(c.bold('✓ succeeded'))} in ${elapsed} · ${steps}${outputs ? c.dim(' · ' + outputs) : ''}`);
        break;
      case 'run.failed':
        output.out(`${c.red(c.bold('✗ failed'))} in ${elapsed} · ${steps} · ${c.red(`${e.error?.code ?? 'ERROR'}: ${e.error?.message ?? ''}`)}`);
        break;
      case 'run.cancelled':
        output.out(`${c.yellow(c.bold('■ cancelled'))} after ${elapsed} · ${steps}`);
        break;
      case 'run.waiting':
        output.out(`${c.yellow(c.bold('⏸ waiting'))} after ${elapsed} · ${steps} · ${describeWait(e.waitingOn, e.runId, storeFlag(context.storePath))}`);
        break;
    }
    output.out(c.dim(`  run ${e.runId} stored in ${displayPath(context.storePath)} — baton runs show ${e.runId}${storeFlag(context.storePath)}`));
  }
}

/**
 * ` --store <url>` for the commands a line suggests when the run is in a PostgreSQL store that `BATON_STORE` does
 * not name (the suggested command would otherwise look in the default SQLite store); '' otherwise. The URL is the
 * store's location: never its password.
 */
function storeFlag(storePath: string): string {
  return isStoreUrl(storePath) && process.env.BATON_STORE === undefined ? ` --store ${storePath}` : '';
}

/**
 * One line saying what a waiting run waits for and the command that continues it (`flag`: see {@link storeFlag}); the
 * arms of one `wait first` (waits sharing a `group`) as one item: `whichever comes first: a | b | c`.
 */
export function describeWait(waitingOn: unknown, runId: string, flag = ''): string {
  const items = Array.isArray(waitingOn) ? waitingOn : waitingOn ? [waitingOn] : [];
  if (items.length === 0) return `continue with: baton resume ${runId}${flag}`;
  return waitLines(items, runId, flag).join('; ');
}

/**
 * What a waiting run waits for, one entry per wait — but the arms of a `wait first` (sharing a `group`) are one entry,
 * `whichever comes first: …`, at the place of its first arm — or, with `armsApart`, one entry per arm, each marked
 * `first of:` (`baton runs show` lists the open arms on lines of their own).
 */
export function waitLines(items: Record<string, unknown>[], runId: string, flag = '', armsApart = false): string[] {
  const entries: ({ text: string } | { arms: string[] })[] = [];
  const groups = new Map<string, string[]>();
  for (const w of items) {
    const text = describeOne(w, runId, flag);
    const group = typeof w.group === 'string' ? w.group : undefined;
    if (group === undefined || armsApart) entries.push({ text: group === undefined ? text : `first of: ${text}` });
    else if (groups.has(group)) groups.get(group)!.push(text);
    else {
      const arms = [text];
      groups.set(group, arms);
      entries.push({ arms });
    }
  }
  return entries.map((e) => ('text' in e ? e.text : `whichever comes first: ${e.arms.join(' | ')}`));
}

function describeOne(w: Record<string, unknown>, runId: string, flag: string): string {
      switch (w.kind) {
        case 'approval':
          return `approval "${w.task}"${w.assignee ? ` for ${w.assignee}` : ''} — baton approve ${runId} ${w.task}${flag} [--reject]`;
        case 'event':
          return `event "${w.event}" — baton send ${runId} ${w.event}${flag} --data '{…}'`;
        case 'timer':
          return `a timer until ${w.until ?? w.resumeAt ?? '?'} — then: baton resume ${runId}${flag}`;
        case 'condition':
          return `wait until ${w.condition} (checked again when the run continues${w.deadline ? `; times out at ${w.deadline}` : ''})`;
        case 'signal':
          return `signal ${w.signal} from another branch (checked again when the run continues${w.deadline ? `; times out at ${w.deadline}` : ''})`;
        case 'lock':
          return `lock "${w.name}"${w.deadline ? ` until ${w.deadline}` : ''}, held by another run — it continues when the lock is handed to it (baton serve, a worker), or: baton resume ${runId}${flag}`;
        default:
          return `baton resume ${runId}${flag}`;
      }
}
