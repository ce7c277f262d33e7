import { eventWaitDetail } from './patterns-events.js';
import { approvalDetail, choiceGraph } from './patterns-choice.js';
import { cancelGraph, regionGraph, type RegionGraphHost } from './patterns-regions.js';
import { describeType, eventSourceText, exprToText, formatMs, joinText, type Expr, type FlowGraph, type GraphNodeTooltip, type StepNode, type GraphEdge, type GraphNode, type Statement, type WorkflowDefinition } from '@baton/protocol';

/**
 * Builds the graph of a flow: triggers → start → statements in order → end.
 * - a step is a `step` node (a `subflow` node when it calls a flow), labelled with its name and target;
 * - `if`/`switch` is a `decision` node with one labelled edge per branch (the condition, `case "A"`,
 *   `else`/`default`; an `if` without `else` gets an `else` edge straight to its `merge` node);
 * - `parallel` is a `fork` → branches → `join` (a `branch { … }` adds no node: its statements chain in its branch);
 *   a partial join's `join` is labelled with what it waits for (`first 2 of 3`) and its rest (`cancel rest`, `keep rest`);
 * - `wait first { … }` is a `choice` node with one `branch` edge per arm to the arm's own node, then its body, and a
 *   `merge` (patterns-choice.ts);
 * - `foreach`/`repeat` is a `loop` container holding its body (`parent`), labelled with its list or bound; a
 *   `region` a `region` container, its `on cancel` an arm beside `ended`; `cancel`/`complete` nodes have a dashed
 *   `cancel` edge to their target (patterns-regions.ts);
 * - approvals, waits, events, `set`, `let` and `fail` have their own kinds; `fail` ends its path; a `var` is a
 *   `let` node (`var total`), `set total = …` a `set` node (`total`), `wait until c` a `wait` node (`until c`),
 *   with its `on timeout` arm (branch 0) and `met` (branch 1) joined as an approval's;
 * - a step with `compensate:` gets a dashed `compensation` edge from a `step` node of the compensation
 *   (`<id>/compensate`) back to it;
 * - a sub-flow step named in `options.expand` is a container (`expanded: true`) holding the called flow's
 *   graph (ids prefixed `<step id>>`); `calling` (the flows above, for recursion) keeps a cycle from expanding.
 * @throws Error when the definition has no flow `flowName`.
 */
export function buildFlowGraph(definition: WorkflowDefinition, flowName: string, options: BuildGraphOptions = {}, calling: string[] = []): FlowGraph {
  const expand = new Set(options.expand ?? []);
  const flow = definition.flows[flowName];
  if (!flow) throw new Error(`no flow named ${flowName}`);
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const edge = (source: string, target: string, kind: GraphEdge['kind'] = 'flow', label?: string, branch?: number): void => {
    const e: GraphEdge = { id: `${source}->${target}${label ? `:${label}` : ''}`, source, target, kind };
    if (label) e.label = label;
    if (branch !== undefined) e.branch = branch;
    edges.push(e);
  };
  const start = `${flow.name}/start`;
  nodes.push({ id: start, kind: 'start', label: flow.name, range: flow.range });
  flow.triggers.forEach((t, i) => {
    const id = `${flow.name}/trigger@${i}`;
    const label = t.kind === 'webhook' ? `POST ${t.path}` : t.kind === 'schedule' ? `cron ${t.cron}` : `event ${t.event}`;
    nodes.push({ id, kind: 'trigger', label, detail: t.kind, range: t.range });
    edge(id, start);
  });

  /** Adds `body` after the nodes `from`; returns the nodes its end flows out of (empty after `fail`). */
  const block = (body: Statement[], from: string[], parent: string | undefined, firstLabel?: string, branch?: number): string[] => {
    let tails = from;
    let label = firstLabel;
    for (const s of body) {
      tails = statement(s, tails, parent, label, branch);
      label = undefined;
      branch = undefined;
    }
    return tails;
  };

  const connect = (from: string[], to: string, label?: string, kind: GraphEdge['kind'] = 'flow', branch?: number): void => {
    for (const f of from) edge(f, to, label ? 'branch' : kind, label, label ? branch : undefined);
  };

  const add = (node: GraphNode, parent: string | undefined): GraphNode => {
    if (parent) node.parent = parent;
    nodes.push(node);
    return node;
  };

  /**
   * The `on timeout { … }` arm of the waiting statement `id` (approval, event wait, signal wait, `wait until`, lock):
   * the arm (branch 0, `on timeout`) beside the one taken when the wait ended in time (branch 1, `inTime`), joined by
   * a merge node `<id>/merge`; returns it as the tail. An empty arm is one edge straight to the merge.
   */
  const onTimeoutArm = (id: string, onTimeout: Statement[], range: GraphNode['range'], parent: string | undefined, inTime: string): string[] => {
    const merge = `${id}/merge`;
    const tails = onTimeout.length > 0 ? block(onTimeout, [id], parent, 'on timeout', 0) : [`${id}:on timeout`];
    add({ id: merge, kind: 'merge', label: '', range }, parent);
    for (const t of tails) {
      if (t === `${id}:on timeout`) edge(id, merge, 'branch', 'on timeout', 0);
      else edge(t, merge);
    }
    edge(id, merge, 'branch', inTime, 1);
    return [merge];
  };

  const end = `${flow.name}/end`;
  const regionHost: RegionGraphHost = { add, edge, connect, block: (body, from, parent, firstLabel, branch) => block(body, from, parent, firstLabel, branch), end };
  /** The ids of the regions around the statement being added (a `cancel`/`complete` of one ends its path). */
  const regions: string[] = [];
  const raises: Extract<Statement, { kind: 'signal' }>[] = [];
  const signalWaits: { id: string; signal: string }[] = [];
  const statement = (s: Statement, from: string[], parent: string | undefined, label?: string, branch?: number): string[] => {
    switch (s.kind) {
      case 'step': {
        const expanded = s.target.kind === 'flow' && expand.has(s.id) && definition.flows[s.target.name] !== undefined && !calling.includes(s.target.name) && s.target.name !== flowName;
        add({ id: s.id, kind: s.target.kind === 'agent' ? 'step' : 'subflow', label: s.name, detail: s.target.kind === 'generated' ? `run ${s.target.name}` : s.target.name, range: s.range, tooltip: stepTooltip(definition, s), ...(expanded ? { expanded: true } : {}) }, parent);
        connect(from, s.id, label, 'flow', branch);
        if (expanded) inline(s.id, s.target.name);
        if (s.compensate) {
          const comp = `${s.id}/compensate`;
          add({ id: comp, kind: 'step', label: `undo ${s.name}`, detail: s.compensate.agent, range: s.compensate.range, tooltip: agentTooltip(definition, s.compensate.agent, s.compensate.prompt) }, parent);
          edge(comp, s.id, 'compensation', 'compensates');
        }
        return [s.id];
      }
      case 'if':
      case 'switch': {
        const detail = s.kind === 'if' ? exprToText(s.branches[0].condition) : exprToText(s.subject);
        add({ id: s.id, kind: 'decision', label: s.kind, detail, range: s.range }, parent);
        connect(from, s.id, label, 'flow', branch);
        const merge = `${s.id}/merge`;
        const tails: string[] = [];
        const arms: { label: string; body: Statement[] }[] =
          s.kind === 'if'
            ? s.branches.map((b, i) => ({ label: i === 0 ? 'then' : `else if ${exprToText(b.condition)}`, body: b.body }))
            : s.cases.map((c) => ({ label: `case ${c.values.map((v) => exprToText(v)).join(', ')}`, body: c.body }));
        const rest = s.kind === 'if' ? s.else : s.default;
        arms.push({ label: s.kind === 'if' ? 'else' : 'default', body: rest ?? [] });
        const empty = new Map<string, number>();
        arms.forEach((arm, index) => {
          if (arm.body.length === 0) {
            tails.push(`${s.id}:${arm.label}`);
            empty.set(arm.label, index);
          } else tails.push(...block(arm.body, [s.id], parent, arm.label, index));
        });
        add({ id: merge, kind: 'merge', label: '', range: s.range }, parent);
        for (const t of tails) {
          if (t.startsWith(`${s.id}:`)) {
            const armLabel = t.slice(s.id.length + 1);
            edge(s.id, merge, 'branch', armLabel, empty.get(armLabel));
          } else edge(t, merge);
        }
        return [merge];
      }
      case 'parallel': {
        const fork = `${s.id}/fork`;
        const join = `${s.id}/join`;
        const forkDetail = s.concurrency === undefined ? undefined : s.concurrency === 1 ? 'one at a time' : `${s.concurrency} at once`;
        add({ id: fork, kind: 'fork', label: 'parallel', range: s.range, ...(forkDetail ? { detail: forkDetail } : {}) }, parent);
        connect(from, fork, label, 'flow', branch);
        const tails = s.branches.flatMap((b) => statement(b, [fork], parent));
        // a partial join says when it goes on and what happens to the rest: `first 2 of 3` / `cancel rest`
        add({ id: join, kind: 'join', label: s.join ? joinText(s.join, s.branches.length) : '', range: s.range, ...(s.join ? { detail: `${s.join.rest} rest` } : {}) }, parent);
        connect(tails, join);
        return [join];
      }
      case 'block':
        // `branch { … }`: no node of its own; its statements chain in the branch (an empty one joins at once)
        return block(s.body, from, parent, label, branch);
      case 'foreach':
      case 'repeat': {
        const detail =
          s.kind === 'foreach'
            ? `${s.variable} in ${s.source ? eventSourceText(s.source) : exprToText(s.items!)}${s.concurrency ? ` · ${s.concurrency} at once` : ''}${s.join ? ` · ${joinText(s.join)}${s.join.rest === 'keep' ? ' · keep' : ''}` : ''}`
            : `max ${s.max} until ${exprToText(s.until)}`;
        add({ id: s.id, kind: 'loop', label: s.kind, detail, range: s.range }, parent);
        connect(from, s.id, label, 'flow', branch);
        const inner = block(s.body, [s.id], s.id);
        if (inner.length && s.kind === 'repeat') for (const t of inner) edge(t, s.id, 'loop', 'again');
        return [s.id];
      }
      case 'approval': {
        add({ id: s.id, kind: 'approval', label: s.name, detail: approvalDetail(s.timeoutMs, s.slaMs), range: s.range, tooltip: approvalTooltip(s.prompt, s.assignee) }, parent);
        connect(from, s.id, label, 'flow', branch);
        if (!s.onTimeout) return [s.id];
        // `on timeout { … }`: an escalation arm (branch 0) beside the decided one (branch 1), joined after
        return onTimeoutArm(s.id, s.onTimeout, s.range, parent, 'decided');
      }
      case 'wait':
        add({ id: s.id, kind: 'wait', label: `wait ${formatMs(s.durationMs)}`, range: s.range }, parent);
        connect(from, s.id, label, 'flow', branch);
        return [s.id];
      case 'waitEvent': {
        add({ id: s.id, kind: 'event', label: `event ${s.event}`, detail: eventWaitDetail(s), range: s.range }, parent);
        connect(from, s.id, label, 'flow', branch);
        if (!s.onTimeout) return [s.id];
        // `on timeout { … }`: the timeout arm (branch 0) beside the received one (branch 1), joined after — as an approval's
        return onTimeoutArm(s.id, s.onTimeout, s.range, parent, 'received');
      }
      case 'set':
        add({ id: s.id, kind: 'set', label: `output.${s.output}`, detail: exprToText(s.value), range: s.range }, parent);
        connect(from, s.id, label, 'flow', branch);
        return [s.id];
      case 'let':
        add({ id: s.id, kind: 'let', label: s.name, detail: exprToText(s.value), range: s.range }, parent);
        connect(from, s.id, label, 'flow', branch);
        return [s.id];
      case 'var':
        add({ id: s.id, kind: 'let', label: `var ${s.name}`, detail: exprToText(s.value), range: s.range }, parent);
        connect(from, s.id, label, 'flow', branch);
        return [s.id];
      case 'assign':
        add({ id: s.id, kind: 'set', label: s.name, detail: exprToText(s.value), range: s.range }, parent);
        connect(from, s.id, label, 'flow', branch);
        return [s.id];
      case 'signal':
        add({ id: s.id, kind: 'signal', label: `signal ${s.name}`, range: s.range }, parent);
        connect(from, s.id, label, 'flow', branch);
        raises.push(s);
        return [s.id];
      case 'waitSignal': {
        add({ id: s.id, kind: 'event', label: `signal ${s.signal}`, detail: s.timeoutMs !== undefined ? `timeout ${formatMs(s.timeoutMs)}` : undefined, range: s.range }, parent);
        connect(from, s.id, label, 'flow', branch);
        signalWaits.push(s);
        if (!s.onTimeout) return [s.id];
        // `on timeout { … }` (branch 0) beside the raised signal (branch 1), joined after — as a `wait until`'s
        return onTimeoutArm(s.id, s.onTimeout, s.range, parent, 'raised');
      }
      case 'waitUntil': {
        add({ id: s.id, kind: 'wait', label: `until ${exprToText(s.condition)}`, detail: s.timeoutMs !== undefined ? `timeout ${formatMs(s.timeoutMs)}` : undefined, range: s.range }, parent);
        connect(from, s.id, label, 'flow', branch);
        if (!s.onTimeout) return [s.id];
        // `on timeout { … }` (branch 0) beside the met condition (branch 1), joined after — as an approval's
        return onTimeoutArm(s.id, s.onTimeout, s.range, parent, 'met');
      }
      case 'fail':
        add({ id: s.id, kind: 'fail', label: 'fail', detail: exprToText(s.message), range: s.range }, parent);
        connect(from, s.id, label, 'flow', branch);
        return [];
      case 'lock': {
        // a container holding the critical section (its body hangs from it, as a loop's does)
        add({ id: s.id, kind: 'lock', label: `lock ${exprToText(s.name)}`, detail: s.timeoutMs !== undefined ? `timeout ${formatMs(s.timeoutMs)}` : undefined, range: s.range }, parent);
        connect(from, s.id, label, 'flow', branch);
        block(s.body, [s.id], s.id);
        if (!s.onTimeout) return [s.id];
        // `on timeout { … }`: the arm taken when the lock did not come in time (branch 0) beside the locked one (1)
        return onTimeoutArm(s.id, s.onTimeout, s.range, parent, 'locked');
      }
      case 'choice':
        return choiceGraph({ add, edge, connect, block: (body, tails, p) => block(body, tails, p), signalWait: (id, signal) => signalWaits.push({ id, signal }) }, s, from, parent, label, branch);
      case 'region': {
        regions.push(s.id);
        try {
          return regionGraph(regionHost, s, from, parent, label, branch);
        } finally {
          regions.pop();
        }
      }
      case 'cancel':
      case 'complete':
        return cancelGraph(regionHost, s, from, parent, regions, label, branch);
    }
  };

  /**
   * An expanded sub-flow step is a container holding the called flow's own graph: its nodes and edges with ids
   * prefixed `<step id>>`, its start replaced by the container (as a loop's body hangs from the loop), its end
   * and triggers left out. Sub-flow steps inside it expand when `expand` names them with the same prefix.
   */
  const inline = (stepId: string, called: string): void => {
    const prefix = `${stepId}>`;
    const innerExpand = [...expand].filter((id) => id.startsWith(prefix)).map((id) => id.slice(prefix.length));
    const inner = buildFlowGraph(definition, called, { expand: innerExpand }, [...calling, flowName]);
    const dropped = new Set(inner.nodes.filter((n) => n.kind === 'end' || n.kind === 'trigger').map((n) => n.id));
    const innerStart = inner.nodes.find((n) => n.kind === 'start')?.id;
    const rename = (id: string): string => (id === innerStart ? stepId : prefix + id);
    for (const n of inner.nodes) {
      if (n.id === innerStart || dropped.has(n.id)) continue;
      nodes.push({ ...n, id: prefix + n.id, parent: n.parent ? prefix + n.parent : stepId });
    }
    for (const e of inner.edges) {
      if (dropped.has(e.source) || dropped.has(e.target)) continue;
      edges.push({ ...e, id: prefix + e.id, source: rename(e.source), target: rename(e.target) });
    }
  };

  const tails = block(flow.body, [start], undefined);
  // a dotted edge from each raise of a signal to each wait for it
  for (const r of raises) for (const w of signalWaits) if (w.signal === r.name) edge(r.id, w.id, 'signal');
  nodes.push({ id: end, kind: 'end', label: 'end' });
  connect(tails, end);
  for (const n of nodes) {
    if (n.detail === undefined) delete n.detail;
    if (n.tooltip === undefined) delete n.tooltip;
  }
  // the flow's SLA beside its name (`Purchase · sla 4h`: the JSON's title, Mermaid's, DOT's label, the SVG's)
  return { flow: flow.name, ...(flow.slaMs !== undefined ? { title: `sla ${formatMs(flow.slaMs)}` } : {}), nodes, edges };
}

/** Longest prompt text a tooltip carries (characters). */
const MAX_TOOLTIP_PROMPT = 400;

const promptText = (prompt: Expr | undefined): string | undefined => {
  if (!prompt) return undefined;
  const text = exprToText(prompt);
  return text.length <= MAX_TOOLTIP_PROMPT ? text : `${text.slice(0, MAX_TOOLTIP_PROMPT - 1)}…`;
};

/** A step's tooltip: its prompt, `agent X`/`flow Y`, and the agent's output type (a sub-flow's outputs as a record). */
function stepTooltip(definition: WorkflowDefinition, s: StepNode): GraphNodeTooltip | undefined {
  if (s.target.kind === 'agent') return agentTooltip(definition, s.target.name, s.prompt);
  if (s.target.kind === 'generated') return { target: `the flow step ${s.target.name} generated` };
  const tooltip: GraphNodeTooltip = { target: `flow ${s.target.name}` };
  const flow = definition.flows[s.target.name];
  if (flow && flow.outputs.length > 0) tooltip.output = `{ ${flow.outputs.map((o) => `${o.name}: ${describeType(o.type)}`).join(', ')} }`;
  return tooltip;
}

function agentTooltip(definition: WorkflowDefinition, agent: string, prompt: Expr | undefined): GraphNodeTooltip {
  const tooltip: GraphNodeTooltip = { target: `agent ${agent}` };
  const text = promptText(prompt);
  if (text) tooltip.prompt = text;
  const output = definition.agents[agent]?.output;
  if (output) tooltip.output = describeType(output);
  const tools = definition.agents[agent]?.tools;
  if (tools?.length) tooltip.tools = tools.map((t) => (t.approval ? `${t.name} (approval${t.approval.assignee ? ` ${t.approval.assignee}` : ''})` : t.name)).join(', ');
  return tooltip;
}

function approvalTooltip(prompt: Expr | undefined, assignee: Expr | undefined): GraphNodeTooltip | undefined {
  const tooltip: GraphNodeTooltip = {};
  const text = promptText(prompt);
  if (text) tooltip.prompt = text;
  if (assignee) tooltip.target = `assignee ${exprToText(assignee)}`;
  return text || assignee ? tooltip : undefined;
}

/** Options of {@link buildFlowGraph}. */
export interface BuildGraphOptions {
  /**
   * Sub-flow steps to draw expanded, by node id: the step's own id (`Flow/step`), or for a sub-flow step
   * inside an expanded one, `<outer step id>><inner step id>` (`Main/incident>Incident/page`).
   */
  expand?: Iterable<string>;
}

/** `1500` → `1.5s`, `7200000` → `2h` (protocol's, shared with the run labels). */
export { formatMs };
