import type { FlowGraph, RunEvent } from '@baton/protocol';
import { emptyRunModel, foldRunEvent, formatDuration, formatTokens, previewJson, type RunModel, type StepState } from '@baton/protocol/run-view';

/**
 * How a node looks during a run. `waiting`: an approval, timer or event holds it. `cancelled`: withdrawn — the
 * rest of a partial join (`parallel first 2 { … }`) that was cancelled when the join was reached, or an arm of a
 * `wait first { … }` that another arm beat (`wait.withdrawn`).
 */
export type NodeRunStatus = 'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

/** The overlay state of one node: its status, time spent (ms, of all attempts) and retries so far. */
export interface NodeRunState {
  status: NodeRunStatus;
  durationMs?: number;
  /** Failed attempts that were retried (`step.retrying` events). */
  retries: number;
  /** The error of a failed step or compensation, for the tooltip. */
  error?: string;
}

/**
 * One line of a step's tool loop in the graph's step details (the node's tooltip): a model turn, a tool call, or a
 * tool call waiting for its approval. `label`: `turn 2`, `tool LookupOrder`; `text`: what it did, for people —
 * a turn's calls and tokens (`2 calls · 310 tokens`, `final answer · 95 tokens`), a call's arguments summarised
 * (JSON, ≤ 60 characters) then its outcome (`running…`, `→ <output> · 12 ms`, `failed: TOOL_FAILED: … · 1.2 s`,
 * `refused: TOOL_REFUSED: …`, `waiting for approval (finance)`); under a flow tool's call, its flow's steps
 * (`↳ pay`, `Payments · succeeded · 3 ms`). `step`: the step instance, when the node ran more
 * than one (a `foreach`'s `each[2]`).
 */
export interface ToolLoopLine {
  kind: 'turn' | 'tool' | 'approval' | 'step';
  label: string;
  text: string;
  status?: 'running' | 'waiting' | 'succeeded' | 'failed' | 'refused';
  step?: string;
}

/** The most lines {@link RunOverlay.toolLoop} gives a node by default: the latest ones (a live loop's newest matter). */
export const TOOL_LOOP_LINES = 12;

/**
 * The run overlay's model: folds a run's events (in order) into per-node states and the set of decision
 * branches taken. Nodes are IR node ids, so no mapping is needed; events for nodes the drawn graph does not
 * have (a sub-flow's steps, a node deleted since the run started) are counted in `unknownNodes`, never fatal.
 * Pure: no DOM, tested in plain mocha.
 */
export class RunOverlay {
  readonly nodes = new Map<string, NodeRunState>();
  /** `<decision id>#<branch index>` for every `branch.taken`. */
  readonly branches = new Set<string>();
  /** Ids named by events that are not in the graph. */
  readonly unknownNodes = new Set<string>();
  /**
   * The drawn nodes of SLAs breached (`sla.breached`): an approval's node, and the flow's start node for the run's own
   * SLA — drawn with the class `sla-breached` (a red mark) beside their run status.
   */
  readonly slaBreached = new Set<string>();
  runId: string | undefined;
  /**
   * The run as the protocol's one fold has it (`foldRunEvent`): its status, step instances (with attempts,
   * durations, errors), waits and branches; the node states below are its drawing on this graph.
   */
  model: RunModel = emptyRunModel();

  /** The run's end: `succeeded`, `failed`, `waiting`, `cancelled`, or undefined while it runs (from the run model's status). */
  get outcome(): 'succeeded' | 'failed' | 'waiting' | 'cancelled' | undefined {
    const status = this.runId === undefined ? undefined : this.model.status;
    return status === 'succeeded' || status === 'failed' || status === 'waiting' || status === 'cancelled' ? status : undefined;
  }
  private readonly known: Set<string>;
  /** The `foreach … in event` loops of the run (nodes): waiting while their arrivals are open, running while instances start. */
  private readonly eventLoops = new Set<string>();
  private readonly decisions: Map<string, number>;
  /** Inside expanded sub-flows: an IR node id → the drawn ids carrying it (`<step id>><IR id>`) with the step names around them. */
  private readonly inlined = new Map<string, { id: string; path: string[] }[]>();

  /** The scopes of flow tools' runs (`<step>/<callId>`, `tool.started`'s `childRun`): their events are not this graph's. */
  private readonly toolScopes = new Set<string>();
  /** A drawn node → the step instances (run model keys) that ran there, in the order they began. */
  private readonly stepsAt = new Map<string, string[]>();

  /** The graph the overlay was made for (the whole graph, whatever the panel folds). */
  readonly graph: FlowGraph | undefined;

  constructor(graph: FlowGraph | undefined) {
    this.graph = graph;
    this.known = new Set(graph?.nodes.map((n) => n.id));
    const byId = new Map(graph?.nodes.map((n) => [n.id, n]));
    for (const n of graph?.nodes ?? []) {
      const cut = n.id.lastIndexOf('>');
      if (cut < 0) continue;
      const path: string[] = [];
      for (let p = n.parent; p; p = byId.get(p)?.parent) if (byId.get(p)?.kind === 'subflow') path.unshift(byId.get(p)!.label);
      const ir = n.id.slice(cut + 1);
      this.inlined.set(ir, [...(this.inlined.get(ir) ?? []), { id: n.id, path }]);
    }
    // how many arms each decision has: a `branch: -1` (no arm matched) is its last, implicit arm
    this.decisions = new Map();
    for (const e of graph?.edges ?? []) if (e.branch !== undefined) this.decisions.set(e.source, Math.max(this.decisions.get(e.source) ?? 0, e.branch + 1));
  }

  /** Applies one event. A `run.started` of another run clears the overlay first. */
  apply(event: RunEvent): void {
    if (event.type === 'run.started' && this.runId !== undefined && this.runId !== event.runId) this.clear();
    this.runId = event.runId;
    foldRunEvent(this.model, event);
    if (event.type === 'tool.started' && event.childRun) this.toolScopes.add(event.childRun);
    // a flow tool's steps run that flow, not this graph's: the step's tool loop shows the call, nothing is drawn or missing
    if (this.inToolFlow(event)) return;
    if ('node' in event && typeof event.node === 'string' && !this.known.has(event.node)) {
      // a step of an expanded sub-flow: drawn as `<step id>><IR id>`; the step path (`incident/page`) picks the copy
      const drawn = this.resolveInlined(event.node, 'step' in event && typeof event.step === 'string' ? event.step : undefined);
      if (drawn) event = { ...event, node: drawn } as RunEvent;
    }
    if ('step' in event && typeof event.step === 'string' && (event.type === 'step.started' || event.type === 'turn.finished' || event.type === 'tool.started' || event.type === 'tool.finished' || event.type === 'step.finished')) {
      const keys = this.stepsAt.get(event.node) ?? [];
      if (!keys.includes(event.step)) this.stepsAt.set(event.node, [...keys, event.step]);
    }
    switch (event.type) {
      case 'step.started':
        this.set(event.node, { status: 'running' });
        break;
      case 'step.retrying':
        this.set(event.node, { status: 'running', retries: (this.nodes.get(event.node)?.retries ?? 0) + 1, error: `${event.error.code}: ${event.error.message}` });
        break;
      case 'step.finished': {
        // the step instance as the run model has it (its status, time of all attempts, attempts, error)
        const step = this.model.steps.get(event.step);
        const error = step?.error ?? event.error;
        this.set(event.node, { status: event.status, durationMs: step?.durationMs ?? event.durationMs, retries: Math.max(0, (step?.attemptCount ?? event.attempts) - 1), error: error ? `${error.code}: ${error.message}` : undefined });
        break;
      }
      case 'compensation.started':
        this.set(`${event.node}/compensate`, { status: 'running' });
        break;
      case 'compensation.finished':
        this.set(`${event.node}/compensate`, { status: event.status, durationMs: event.durationMs, error: event.error ? `${event.error.code}: ${event.error.message}` : undefined });
        break;
      case 'approval.requested':
      case 'wait.started':
      case 'event.waiting':
      case 'lock.requested':
        // an event loop (`foreach … in event`) opened: it waits for its events
        if (event.type === 'event.waiting' && event.stream) this.eventLoops.add(event.node);
        this.set(event.node, { status: 'waiting' });
        break;
      case 'signal.raised':
        this.set(event.node, { status: 'succeeded' });
        break;
      case 'signal.received':
        // a `wait signal … on timeout { }` is drawn with two arms: `on timeout` (0) and `raised` (1)
        if (this.decisions.has(event.node)) this.branches.add(`${event.node}#${event.timedOut ? 0 : 1}`);
        this.set(event.node, { status: 'succeeded' });
        break;
      case 'lock.acquired':
        // a lock with `on timeout { }` has two arms: `on timeout` (0) and `locked` (1)
        if (this.decisions.has(event.node)) this.branches.add(`${event.node}#1`);
        this.set(event.node, { status: 'running' });
        break;
      case 'lock.released':
        if (event.timedOut && this.decisions.has(event.node)) this.branches.add(`${event.node}#0`);
        this.set(event.node, { status: 'succeeded' });
        break;
      case 'approval.decided':
        // a tool call's approval: the step's tool loop goes on whatever the decision (a rejection is the model's to read)
        if (this.model.waits.get(event.task)?.toolCall) this.set(event.node, { status: 'running' });
        else this.set(event.node, { status: event.decision === 'rejected' ? 'failed' : 'succeeded' });
        break;
      case 'timer.fired':
        this.set(event.node, { status: 'succeeded' });
        break;
      case 'event.received':
        // an event loop's admission starts an instance (the loop runs on); its timeout ends the arrivals
        if (event.node && this.eventLoops.has(event.node) && !event.timedOut) this.set(event.node, { status: 'running' });
        // a delivered event (or its wait's timeout) ends the wait; older logs name no node
        else if (event.node) this.set(event.node, { status: 'succeeded' });
        break;
      case 'output.set':
      case 'var.set':
        this.set(event.node, { status: 'succeeded' });
        break;
      case 'condition.waiting':
        this.set(event.node, { status: 'waiting' });
        break;
      case 'condition.met':
        // a `wait until … on timeout { }` is drawn with two arms: `on timeout` (0) and `met` (1)
        if (this.decisions.has(event.node)) this.branches.add(`${event.node}#${event.timedOut ? 0 : 1}`);
        this.set(event.node, { status: 'succeeded' });
        break;
      case 'branch.taken': {
        if (!this.known.has(event.node)) {
          this.unknownNodes.add(event.node);
          break;
        }
        const arms = this.decisions.get(event.node) ?? 0;
        this.branches.add(`${event.node}#${event.branch < 0 ? arms - 1 : event.branch}`);
        // a cancelled region's `on cancel` arm keeps the region shown cancelled
        if (this.nodes.get(event.node)?.status !== 'cancelled') this.set(event.node, { status: 'succeeded' });
        // a `wait first`: its winning arm came (its own event may be a decision or delivery made outside this stream)
        const won = this.graph?.edges.find((e) => e.source === event.node && e.branch === event.branch && this.graph?.nodes.find((n) => n.id === e.source)?.kind === 'choice');
        if (won) this.set(won.target, { status: 'succeeded' });
        break;
      }
      case 'wait.withdrawn':
        // an arm of a `wait first` that lost: its wait is withdrawn (the winner's arm is lit by its own event)
        this.set(event.node, { status: 'cancelled' });
        break;
      case 'region.cancelled':
      case 'region.completed':
        // the region ended early: what in it had not ended is withdrawn; the cancel/complete statement ran
        this.set(event.by, { status: 'succeeded' });
        this.endRegion(event.node, event.type === 'region.cancelled' ? 'cancelled' : 'succeeded');
        break;
      case 'step.cancelRequested':
        this.set(event.by, { status: 'succeeded' });
        break;
      case 'flow.completed':
        this.set(event.node, { status: 'succeeded' });
        break;
      case 'join.reached':
        if (event.rest === 'cancel') this.withdraw(`${event.node}/fork`, `${event.node}/join`, event.withdrawn);
        // an event loop's join ends its arrivals
        if (this.eventLoops.has(event.node)) this.set(event.node, { status: 'succeeded' });
        break;
      case 'run.waiting':
        // an event loop whose arrivals are open waits again for its next event
        for (const w of event.waitingOn) if (w.kind === 'event' && w.stream && this.eventLoops.has(w.node)) this.set(w.node, { status: 'waiting' });
        break;
      case 'run.succeeded':
      case 'run.failed':
      case 'run.cancelled':
      case 'run.started':
      case 'run.resumed':
        // the run's status is the model's (outcome)
        break;
      case 'sla.breached': {
        // the run's own SLA marks its start node; an approval's, the approval
        const node = event.key === 'flow' ? `${event.node}/start` : event.node;
        if (this.known.has(node)) this.slaBreached.add(node);
        else this.unknownNodes.add(node);
        break;
      }
      case 'event.buffered':
      case 'run.migrated':
      case 'value.recorded':
      case 'cancel.requested':
      case 'circuit.changed':
      case 'turn.finished': // a step's tool loop: the step stays running until its step.finished
      case 'tool.started':
      case 'tool.finished':
      case 'flow.generated': // a generating step's attempt: the step stays running until its step.finished
        break;
      default: {
        // A newer event type than this webview knows: ignored, the overlay stays as it is.
        const unknown: never = event;
        void unknown;
      }
    }
  }

  /** Whether `event` happened inside a flow tool's run (its step, scope, approval task or wait key is under one's scope). */
  private inToolFlow(event: RunEvent): boolean {
    if (this.toolScopes.size === 0) return false;
    const e = event as Partial<Record<'step' | 'scope' | 'task' | 'key', unknown>>;
    for (const name of [e.step, e.scope, e.task, e.key]) {
      if (typeof name !== 'string') continue;
      for (const scope of this.toolScopes) if (name.startsWith(`${scope}/`)) return true;
    }
    return false;
  }

  /** The drawn id of IR node `ir` inside expanded sub-flows: the copy whose enclosing steps match `step`'s path, or the only copy. */
  private resolveInlined(ir: string, step: string | undefined): string | undefined {
    const copies = this.inlined.get(ir);
    if (!copies?.length) return undefined;
    if (step && step.includes('/')) {
      const path = step.split('/').slice(0, -1).map((s) => s.replace(/\[\d+\]$/, ''));
      const match = copies.find((c) => c.path.join('/') === path.join('/'));
      if (match) return match.id;
    }
    return copies.length === 1 ? copies[0].id : undefined;
  }

  /**
   * The tool loop of the step(s) drawn as `node`, for its details: per step instance, each model turn followed by
   * the tool calls it asked for, then the calls waiting for a person's approval (with their arguments). Empty for
   * a node whose steps ran no tool loop. At most `limit` lines, the latest, after a `… N earlier` line when cut.
   */
  toolLoop(node: string, limit = TOOL_LOOP_LINES): ToolLoopLine[] {
    const keys = this.stepsAt.get(node) ?? [];
    const lines: ToolLoopLine[] = [];
    for (const key of keys) {
      const step = this.model.steps.get(key);
      if (!step) continue;
      const instance = keys.length > 1 ? { step: key } : {};
      for (const line of stepToolLoop(step, this.model)) lines.push({ ...line, ...instance });
    }
    if (lines.length <= limit) return lines;
    const kept = lines.slice(lines.length - (limit - 1));
    return [{ kind: 'turn', label: '…', text: `${lines.length - kept.length} earlier` }, ...kept];
  }

  /** Forgets every state (a new run, or another flow drawn). */
  clear(): void {
    this.stepsAt.clear();
    this.toolScopes.clear();
    this.nodes.clear();
    this.branches.clear();
    this.unknownNodes.clear();
    this.slaBreached.clear();
    this.eventLoops.clear();
    this.runId = undefined;
    this.model = emptyRunModel();
  }

  /**
   * The edges of the path taken, by edge id: an edge whose source ran to completion (or is a start, fork,
   * join, merge, loop, `let` — nodes with no events of their own, reached through a taken edge) and whose
   * target was reached; a decision's outgoing edges only for the branch taken.
   */
  takenEdges(graph: FlowGraph): Set<string> {
    const passThrough = new Set(['start', 'fork', 'join', 'merge', 'loop', 'let', 'trigger', 'end']);
    const kind = new Map(graph.nodes.map((n) => [n.id, n.kind]));
    const reached = new Set<string>();
    const done = new Set<string>();
    for (const [id, state] of this.nodes) {
      reached.add(id);
      // a cancelled region ended too: the run went on after it (through its `on cancel` arm)
      if (state.status === 'succeeded' || state.status === 'skipped' || (state.status === 'cancelled' && kind.get(id) === 'region')) done.add(id);
    }
    if (this.runId === undefined) return new Set();
    const start = graph.nodes.find((n) => n.kind === 'start');
    if (start) {
      reached.add(start.id);
      done.add(start.id);
    }
    const taken = new Set<string>();
    const usable = (e: FlowGraph['edges'][number]): boolean =>
      e.kind !== 'compensation' && e.kind !== 'loop' && e.kind !== 'cancel' && done.has(e.source) && (e.branch === undefined || this.branches.has(`${e.source}#${e.branch}`));
    // Propagate through nodes without events until nothing changes (the graph is small; loops end it).
    for (let changed = true, rounds = 0; changed && rounds < graph.nodes.length + 1; rounds++) {
      changed = false;
      for (const e of graph.edges) {
        if (!usable(e)) continue;
        const targetKind = kind.get(e.target);
        const isPass = targetKind !== undefined && passThrough.has(targetKind) && !this.nodes.has(e.target);
        if (isPass && !reached.has(e.target) && (targetKind !== 'end' || this.outcome === 'succeeded')) {
          reached.add(e.target);
          done.add(e.target);
          changed = true;
        }
        if (reached.has(e.target) && !taken.has(e.id)) {
          taken.add(e.id);
          changed = true;
        }
      }
    }
    return taken;
  }

  /**
   * Shows the withdrawn branches of a partial join's `parallel` (numbers in source order, as `join.reached` gives
   * them) as cancelled: every node of the branch, from the fork up to the join, that has not ended. A `foreach`'s
   * withdrawn iterations share their nodes with the counted ones: their steps show through `step.finished`.
   */
  /** A region ended by `cancel`/`complete`: it shows `status`, and the nodes inside it that had not ended show cancelled. */
  private endRegion(region: string, status: NodeRunStatus): void {
    if (!this.graph || !this.known.has(region)) return;
    this.set(region, { status });
    const parents = new Map(this.graph.nodes.map((n) => [n.id, n.parent]));
    const inside = (id: string): boolean => {
      for (let p = parents.get(id); p; p = parents.get(p)) if (p === region) return true;
      return false;
    };
    for (const n of this.graph.nodes) {
      if (!inside(n.id)) continue;
      const current = this.nodes.get(n.id)?.status;
      if (current === undefined || current === 'running' || current === 'waiting') this.set(n.id, { status: 'cancelled' });
    }
  }

  private withdraw(fork: string, join: string, withdrawn: number[]): void {
    if (!this.graph || !this.known.has(fork)) return;
    const out = new Map<string, string[]>();
    for (const e of this.graph.edges) if (e.kind !== 'compensation') out.set(e.source, [...(out.get(e.source) ?? []), e.target]);
    // the fork's edges in source order, less those of empty branches (straight to the join, drawn last)
    const firsts = (out.get(fork) ?? []).filter((t) => t !== join);
    for (const i of withdrawn) {
      const queue = firsts[i] ? [firsts[i]] : [];
      const seen = new Set<string>();
      while (queue.length) {
        const id = queue.shift()!;
        if (id === join || seen.has(id)) continue;
        seen.add(id);
        const status = this.nodes.get(id)?.status;
        if (status === undefined || status === 'running' || status === 'waiting') this.set(id, { status: 'cancelled' });
        queue.push(...(out.get(id) ?? []));
      }
    }
  }

  private set(node: string, state: Partial<NodeRunState> & { status: NodeRunStatus }): void {
    if (!this.known.has(node)) {
      this.unknownNodes.add(node);
      return;
    }
    const previous = this.nodes.get(node);
    const next: NodeRunState = { retries: state.retries ?? previous?.retries ?? 0, status: state.status };
    const duration = state.durationMs ?? previous?.durationMs;
    if (duration !== undefined) next.durationMs = duration;
    const error = 'error' in state ? state.error : previous?.error;
    if (error !== undefined) next.error = error;
    this.nodes.set(node, next);
  }
}

/** A step of a flow tool's run, as a line under its call: `↳ pay  Payments · succeeded · 3 ms` (its error when it failed). */
function flowToolStep(step: StepState, scope: string): ToolLoopLine {
  const took = step.durationMs !== undefined ? ` · ${formatDuration(step.durationMs)}` : '';
  const status = step.status === 'succeeded' || step.status === 'failed' ? step.status : step.status === 'running' || step.status === 'retrying' ? 'running' : undefined;
  const what = step.error ? `${step.status}: ${step.error.code}: ${step.error.message}` : step.status === 'running' ? 'running…' : step.status;
  return { kind: 'step', label: `↳ ${step.key.slice(scope.length + 1)}`, text: `${step.agent} · ${what}${took}`, ...(status ? { status } : {}) };
}

/** One step instance's tool loop lines (see {@link RunOverlay.toolLoop}). */
function stepToolLoop(step: StepState, model: RunModel): ToolLoopLine[] {
  const lines: ToolLoopLine[] = [];
  const turns = [...new Set([...(step.turns ?? []).map((t) => t.turn), ...(step.tools ?? []).map((c) => c.turn)])].sort((a, b) => a - b);
  for (const n of turns) {
    const turn = step.turns?.find((t) => t.turn === n);
    if (turn) {
      const what = turn.final ? 'final answer' : `${turn.calls} ${turn.calls === 1 ? 'call' : 'calls'}`;
      lines.push({ kind: 'turn', label: `turn ${n}`, text: `${what} · ${formatTokens(turn.tokens)}` });
    }
    for (const call of step.tools?.filter((c) => c.turn === n) ?? []) {
      // a call refused at its approval never started: its arguments are the approval's
      const given = call.arguments ?? model.waits.get(`${step.key}/${call.callId}`)?.toolCall?.arguments;
      const args = given === undefined ? '' : `${previewJson(given, 60)} `;
      const took = call.durationMs !== undefined ? ` · ${formatDuration(call.durationMs)}` : '';
      const outcome =
        call.status === 'running'
          ? 'running…'
          : call.error
            ? `${call.status}: ${call.error.code}: ${call.error.message}${took}`
            : `→ ${previewJson(call.output, 60)}${took}`;
      lines.push({ kind: 'tool', label: `tool ${call.tool}`, text: `${args}${outcome}`, status: call.status });
      // a flow tool: its flow's steps (drawn in no graph here), under the call
      if (call.childRun) for (const inner of model.steps.values()) if (inner.key.startsWith(`${call.childRun}/`)) lines.push(flowToolStep(inner, call.childRun));
    }
  }
  for (const wait of model.waits.values()) {
    if (wait.kind !== 'approval' || wait.status !== 'waiting' || wait.toolCall?.step !== step.key) continue;
    const who = wait.assignee ? ` (${wait.assignee})` : '';
    lines.push({ kind: 'approval', label: `tool ${wait.toolCall.tool}`, text: `${previewJson(wait.toolCall.arguments, 60)} waiting for approval${who}`, status: 'waiting' });
  }
  return lines;
}

/**
 * The state of a folded region drawn as one node, from the states of the nodes it hides (and its own):
 * `running` while any runs, else `waiting` while any waits, else `failed` when any failed, else `succeeded`
 * when any succeeded, else `cancelled` when any was withdrawn, else `skipped` when all that have a state were skipped; undefined when none has a state.
 * No duration (the nodes inside may have run in parallel); `retries` is their sum.
 */
export function regionState(states: (NodeRunState | undefined)[]): NodeRunState | undefined {
  const known = states.filter((s): s is NodeRunState => s !== undefined);
  if (known.length === 0) return undefined;
  const retries = known.reduce((sum, s) => sum + s.retries, 0);
  for (const status of ['running', 'waiting', 'failed', 'succeeded', 'cancelled'] as const) if (known.some((s) => s.status === status)) return { status, retries };
  return { status: 'skipped', retries };
}

/** The protocol's duration formatter, the one every run view uses (`840 ms`, `1.2 s`, `3 min 5 s`, `2 h 5 min`). */
export { formatDuration } from '@baton/protocol/run-view';
