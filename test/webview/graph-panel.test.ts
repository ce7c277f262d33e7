import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { NodeFileSystem } from 'langium/node';
import type { FlowGraph, RunEvent, WebviewToHostMessage, WorkflowDefinition } from '@baton/protocol';
import { createBatonServices, loadWorkspace } from '../../language/src/index.js';
import { buildFlowGraph } from '../../packages/graph/src/index.js';
import { PanelHarness, ROOT, type PanelPage } from './webview-harness.js';

const EXAMPLES = path.join(ROOT, 'examples');
const SHOTS = path.join(ROOT, 'out', 'webview-shots');

type Posted<T extends WebviewToHostMessage['type']> = Extract<WebviewToHostMessage, { type: T }>;
const is =
  <T extends WebviewToHostMessage['type']>(type: T, extra: (m: Posted<T>) => boolean = () => true) =>
  (m: WebviewToHostMessage): m is Posted<T> =>
    m.type === type && extra(m as Posted<T>);

let time = 0;
const base = (runId = 'run-01') => ({ runId, seq: ++time, time: new Date(Date.UTC(2026, 0, 1, 0, 0, time)).toISOString() });

describe('the graph panel webview (out/webview in headless Chromium)', function () {
  this.timeout(120_000);
  const harness = new PanelHarness();
  const definitions = new Map<string, WorkflowDefinition>();
  let outreach: FlowGraph;
  let panel: PanelPage;

  before(async function () {
    this.timeout(120_000);
    const services = createBatonServices(NodeFileSystem);
    for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.flow')).sort()) {
      const loaded = await loadWorkspace(services, [path.join(EXAMPLES, file)]);
      definitions.set(file, services.Baton.ir.WorkflowBuilder.build(loaded.documents));
    }
    outreach = buildFlowGraph(definitions.get('outreach.flow')!, 'Outreach');
    await harness.start();
  });

  after(async () => {
    await harness.stop();
  });

  beforeEach(async () => {
    panel = await harness.open('light');
  });

  afterEach(async () => {
    await panel.page.close();
  });

  const show = (graph: FlowGraph = outreach, uri = 'file:///w/outreach.flow') => panel.update({ uri, title: 'outreach.flow', flows: [graph.flow], flow: graph.flow, graph });
  const nodeIds = () => panel.page.$$eval('svg.baton-graph g.node', (gs) => gs.map((g) => g.getAttribute('data-id')));

  it('sends ready first, then draws every node of the graph with its IR id and an accessible label', async () => {
    const rendered = await show();
    assert.equal((await panel.posted())[0].type, 'ready');
    assert.equal(rendered.nodes, outreach.nodes.length);
    assert.deepEqual((await nodeIds()).sort(), outreach.nodes.map((n) => n.id).sort());
    const label = await panel.page.getAttribute('g.node[data-id="Outreach/research"]', 'aria-label');
    assert.equal(label, 'step research: ProspectResearcher');
    assert.deepEqual(panel.errors, [], 'no console errors, no CSP violations');
  });

  it('posts reveal with the node’s id when a node is clicked, and marks it selected', async () => {
    await show();
    await panel.page.click('g.node[data-id="Outreach/message"]');
    const reveal = await panel.waitForPosted(is('reveal'), 'a reveal message');
    assert.deepEqual(reveal, { type: 'reveal', id: 'Outreach/message' });
    assert.equal(await panel.page.getAttribute('g.node[data-id="Outreach/message"]', 'aria-pressed'), 'true');
  });

  it('moves between nodes with the arrow keys and reveals the focused node on Enter', async () => {
    await show();
    await panel.page.focus('g.node[data-id="Outreach/message"]');
    await panel.page.keyboard.press('ArrowDown');
    const below = await panel.page.evaluate(() => document.activeElement?.getAttribute('data-id'));
    assert.equal(below, 'Outreach/if@2', 'the decision is right below the message step');
    await panel.page.keyboard.press('ArrowUp');
    assert.equal(await panel.page.evaluate(() => document.activeElement?.getAttribute('data-id')), 'Outreach/message');
    await panel.page.keyboard.press('Enter');
    assert.deepEqual(await panel.waitForPosted(is('reveal'), 'a reveal on Enter'), { type: 'reveal', id: 'Outreach/message' });
  });

  it('shows a node’s prompt, target and output type on hover', async () => {
    await show();
    await panel.page.hover('g.node[data-id="Outreach/research"]');
    const text = await panel.page.innerText('.tooltip');
    assert.match(text, /step research: ProspectResearcher/);
    assert.match(text, /calls agent ProspectResearcher/);
    assert.match(text, /prompt "Research \$\{input\.domain\}"/);
    assert.match(text, /output \{ company: string, pains: string\[\], confidence: number \}/);
  });

  it('recolours nodes from run events: running, then succeeded with its duration and retries; the branch taken is highlighted', async () => {
    await show();
    const send = (event: RunEvent) => panel.send({ type: 'runEvent', event });
    await send({ ...base(), type: 'run.started', flow: 'Outreach', inputs: {} });
    await send({ ...base(), type: 'step.started', step: 'research', node: 'Outreach/research', agent: 'ProspectResearcher', target: 'agent' });
    assert.match((await panel.page.getAttribute('g.node[data-id="Outreach/research"]', 'class')) ?? '', /\brun-running\b/);
    await send({ ...base(), type: 'step.retrying', step: 'research', node: 'Outreach/research', agent: 'ProspectResearcher', attempt: 1, delayMs: 10, error: { code: 'agent-error', message: 'boom' }, callIndex: 0 });
    await send({ ...base(), type: 'step.finished', step: 'research', node: 'Outreach/research', agent: 'ProspectResearcher', status: 'succeeded', durationMs: 1250, attempts: 2, tokens: 0, callIndexes: [0, 1] });
    const cls = (await panel.page.getAttribute('g.node[data-id="Outreach/research"]', 'class')) ?? '';
    assert.match(cls, /\brun-succeeded\b/);
    assert.doesNotMatch(cls, /\brun-running\b/);
    assert.equal(await panel.page.textContent('g.node[data-id="Outreach/research"] .run-badge'), '1.3 s · ↻ 1');
    assert.equal(await panel.page.getAttribute('g.node[data-id="Outreach/research"]', 'aria-label'), 'step research: ProspectResearcher, succeeded, 1.3 s, 1 retry');
    await send({ ...base(), type: 'step.finished', step: 'message', node: 'Outreach/message', agent: 'Copywriter', status: 'succeeded', durationMs: 20, attempts: 1, tokens: 0, callIndexes: [2] });
    await send({ ...base(), type: 'branch.taken', node: 'Outreach/if@2', scope: '', branch: 0, label: 'if message.status == "succeeded" → then' });
    const thenEdge = outreach.edges.find((e) => e.source === 'Outreach/if@2' && e.branch === 0)!;
    const elseEdge = outreach.edges.find((e) => e.source === 'Outreach/if@2' && e.branch === 1)!;
    await send({ ...base(), type: 'step.started', step: 'send', node: thenEdge.target, agent: 'Mailer', target: 'agent' });
    assert.match((await panel.page.getAttribute(`g.edge[data-id="${thenEdge.id}"]`, 'class')) ?? '', /\btaken\b/);
    assert.doesNotMatch((await panel.page.getAttribute(`g.edge[data-id="${elseEdge.id}"]`, 'class')) ?? '', /\btaken\b/);
  });

  it('lists an agent step\'s tools on hover, and with a run its tool loop: turns, calls with arguments and outcome, a call waiting for approval — updated live while shown', async () => {
    const help = buildFlowGraph(definitions.get('support-tools.flow')!, 'Help');
    await show(help, 'file:///w/support-tools.flow');
    const node = 'g.node[data-id="Help/answer"]';
    await panel.page.hover(node);
    const tooltip = () => panel.page.innerText('.tooltip');
    assert.match(await tooltip(), /tools LookupOrder, RefundFlow \(approval finance\)/);
    assert.equal(await panel.page.$$eval('.tooltip .tool-loop', (l) => l.length), 0, 'no run: no tool loop');
    const send = (event: Record<string, unknown>) => panel.send({ type: 'runEvent', event: { ...base('run-tools'), ...event } as RunEvent });
    const at = { step: 'answer', node: 'Help/answer' };
    const refund = { id: 'stub-2-1', tool: 'RefundFlow', arguments: { order: 42, amount: 42, reason: 'lost in transit' } };
    await send({ type: 'run.started', flow: 'Help', inputs: { question: 'refund 42' } });
    await send({ type: 'step.started', ...at, agent: 'Support', target: 'agent' });
    await send({ type: 'turn.finished', ...at, agent: 'Support', turn: 1, tokens: 0, calls: [{ id: 'stub-1-1', tool: 'LookupOrder', arguments: { prompt: 'order 42' } }], final: false });
    await send({ type: 'tool.started', ...at, turn: 1, callId: 'stub-1-1', tool: 'LookupOrder', target: 'agent', arguments: { prompt: 'order 42' } });
    // the tooltip still shown follows the run
    const rows = () => panel.page.$$eval('.tooltip .tool-loop .row', (rs) => rs.map((r) => [r.className, (r as HTMLElement).innerText]));
    assert.deepEqual(await rows(), [
      ['row turn', 'turn 1 1 call · 0 tokens'],
      ['row tool running', 'tool LookupOrder {"prompt":"order 42"} running…'],
    ]);
    await send({ type: 'tool.finished', ...at, turn: 1, callId: 'stub-1-1', tool: 'LookupOrder', status: 'succeeded', output: { status: 'lost', paid: 42 }, durationMs: 12, tokens: 0 });
    await send({ type: 'turn.finished', ...at, agent: 'Support', turn: 2, tokens: 0, calls: [refund], final: false });
    await send({ type: 'approval.requested', task: 'answer/stub-2-1', node: 'Help/answer', assignee: 'finance', options: ['approved', 'rejected'], toolCall: { ...refund, step: 'answer' } });
    assert.match((await panel.page.getAttribute(node, 'class')) ?? '', /\brun-waiting\b/);
    assert.deepEqual((await rows()).slice(1), [
      ['row tool succeeded', 'tool LookupOrder {"prompt":"order 42"} → {"status":"lost","paid":42} · 12 ms'],
      ['row turn', 'turn 2 1 call · 0 tokens'],
      ['row approval waiting', 'tool RefundFlow {"order":42,"amount":42,"reason":"lost in transit"} waiting for approval (finance)'],
    ]);
    mkdirSync(SHOTS, { recursive: true });
    await panel.page.screenshot({ path: path.join(SHOTS, 'tool-loop-waiting.png') });
    // afterwards (hovered again): the refused call and the failed step's error
    await send({ type: 'approval.decided', task: 'answer/stub-2-1', node: 'Help/answer', decision: 'rejected', by: 'bob' });
    assert.match((await panel.page.getAttribute(node, 'class')) ?? '', /\brun-running\b/, 'a rejected tool call leaves the loop running');
    await send({ type: 'tool.finished', ...at, turn: 2, callId: 'stub-2-1', tool: 'RefundFlow', status: 'refused', error: { code: 'TOOL_REFUSED', message: 'rejected by bob' }, durationMs: 0, tokens: 0 });
    await send({ type: 'step.finished', ...at, agent: 'Support', status: 'failed', error: { code: 'TOOL_TURNS_EXCEEDED', message: 'no answer after 2 turns' }, durationMs: 900, attempts: 1, tokens: 0, callIndexes: [0, 1] });
    await panel.page.mouse.move(0, 0);
    await panel.page.hover(node);
    assert.match(await tooltip(), /error TOOL_TURNS_EXCEEDED: no answer after 2 turns/);
    assert.deepEqual((await rows()).at(-1), ['row tool refused', 'tool RefundFlow {"order":42,"amount":42,"reason":"lost in transit"} refused: TOOL_REFUSED: rejected by bob · 0 ms']);
    await panel.page.screenshot({ path: path.join(SHOTS, 'tool-loop-after.png') });
    assert.deepEqual(panel.errors, []);
  });

  it('draws a run of another flow whose first events came before that flow’s graph (the panel turned to the run’s flow)', async () => {
    await show();
    const routing = buildFlowGraph(definitions.get('process-orchestrator.flow')!, 'IncidentRouting');
    const step = routing.nodes.find((n) => n.kind === 'step')!;
    await panel.send({ type: 'runReset' });
    await panel.send({ type: 'runEvent', event: { ...base('run-turn'), type: 'run.started', flow: 'IncidentRouting', inputs: {} } });
    await panel.send({ type: 'runEvent', event: { ...base('run-turn'), type: 'step.started', step: step.label, node: step.id, agent: 'X', target: 'agent' } });
    await panel.update({ uri: 'file:///w/process-orchestrator.flow', title: 'process-orchestrator.flow', flows: ['IncidentRouting', 'ProcessOrchestrator'], flow: 'IncidentRouting', graph: routing });
    assert.match((await panel.page.getAttribute(`g.node[data-id="${step.id}"]`, 'class')) ?? '', /\brun-running\b/);
    // a new flow without a run of it drops the old run
    await show();
    assert.deepEqual(await panel.page.$$eval('svg.baton-graph g.node.run-running', (gs) => gs.length), 0);
    assert.deepEqual(panel.errors, []);
  });

  it('draws a flow an agent wrote in a run with that run’s events, though their run.started names the run’s own flow', async () => {
    await show();
    // (any flow's graph stands for the written one: what matters is that its run started as another flow)
    const written = buildFlowGraph(definitions.get('process-orchestrator.flow')!, 'IncidentRouting');
    const step = written.nodes.find((n) => n.kind === 'step')!;
    await panel.send({ type: 'runReset', definition: 'written by step plan · 0123abcd' });
    await panel.send({ type: 'runEvent', event: { ...base('run-written'), type: 'run.started', flow: 'Dispatch', inputs: {} } });
    await panel.send({ type: 'runEvent', event: { ...base('run-written'), type: 'step.finished', step: `custom/${step.label}`, node: step.id, agent: 'X', status: 'succeeded', durationMs: 5, attempts: 1, tokens: 0, callIndexes: [1] } });
    await panel.update({ uri: 'baton-written:/w/IncidentRouting.generated.flow?run=run-written', title: 'IncidentRouting.generated.flow', flows: ['Dispatch', 'IncidentRouting'], flow: 'IncidentRouting', graph: written, written: { runId: 'run-written', step: 'plan' } });
    assert.match((await panel.page.getAttribute(`g.node[data-id="${step.id}"]`, 'class')) ?? '', /\brun-succeeded\b/);
    assert.equal(await panel.page.innerText('.toolbar .title'), 'IncidentRouting.generated.flow · IncidentRouting · written by step plan · 0123abcd');
    assert.match(await panel.page.innerText('.toolbar .status'), /^run [\w-]+ · running$/);
    assert.deepEqual(panel.errors, []);
  });

  it('says so when a run event names a node the graph no longer has, and stays usable', async () => {
    await show();
    await panel.send({ type: 'runEvent', event: { ...base('run-02'), type: 'run.started', flow: 'Outreach', inputs: {} } });
    await panel.send({ type: 'runEvent', event: { ...base('run-02'), type: 'step.started', step: 'gone', node: 'Outreach/gone', agent: 'X', target: 'agent' } });
    assert.match(await panel.page.innerText('.toolbar .status'), /1 node of the run not in this graph/);
    await panel.page.click('g.node[data-id="Outreach/contact"]');
    await panel.waitForPosted(is('reveal', (m) => m.id === 'Outreach/contact'), 'a reveal after the unknown event');
    assert.deepEqual(panel.errors, []);
  });

  it('keeps the last good graph and shows a banner on a syntax error; the banner goes with the next good graph', async () => {
    await show();
    const rendered = await panel.update({ uri: 'file:///w/outreach.flow', title: 'outreach.flow', flows: ['Outreach'], error: "line 62: Expecting token of type '}' but found `step`." });
    assert.equal(rendered.error, "line 62: Expecting token of type '}' but found `step`.");
    assert.equal(await panel.page.isVisible('.banner'), true);
    assert.equal(await panel.page.innerText('.banner'), "Syntax error on line 62: Expecting token of type '}' but found `step`. — showing the last good graph.");
    assert.equal((await nodeIds()).length, outreach.nodes.length, 'the drawing is still there');
    await show();
    assert.equal(await panel.page.isVisible('.banner'), false);
  });

  /** The zoom (data-zoom, %) and the canvas's scroll position. */
  const viewOf = () => panel.page.$eval('.canvas', (c) => ({ zoom: Number((c as HTMLElement).dataset.zoom), left: c.scrollLeft, top: c.scrollTop }));

  it('keeps zoom, pan and selection across an update of the same flow, and fits a new flow', async () => {
    await show();
    await panel.page.click('g.node[data-id="Outreach/message"]');
    await panel.page.click('vscode-toolbar-button[label="Zoom in"]');
    await panel.page.click('vscode-toolbar-button[label="Zoom in"]');
    const before = await viewOf();
    assert.ok(before.top > 0, 'zoomed in around the centre: scrolled down');
    const edited: FlowGraph = { ...outreach, nodes: outreach.nodes.map((n) => (n.id === 'Outreach/message' ? { ...n, label: 'message2' } : n)) };
    await show(edited);
    assert.deepEqual(await viewOf(), before, 'same zoom and scroll');
    assert.equal(await panel.page.getAttribute('g.node[data-id="Outreach/message"]', 'aria-pressed'), 'true', 'same selection');
    const dispatcher = buildFlowGraph(definitions.get('dispatcher.flow')!, 'Dispatcher');
    await show(dispatcher, 'file:///w/dispatcher.flow');
    const fitted = await viewOf();
    assert.notEqual(fitted.zoom, before.zoom, 'another file is fitted to the panel');
    assert.equal(fitted.top, 0, 'from its top');
  });

  it('zooms with the buttons and Ctrl+wheel, scrolls with the wheel, pans by dragging the background, and fits back', async () => {
    await show();
    const fitted = (await viewOf()).zoom;
    await panel.page.click('vscode-toolbar-button[label="Zoom in"]');
    await panel.page.click('vscode-toolbar-button[label="Zoom in"]');
    assert.equal((await viewOf()).zoom, Math.round(fitted * 1.25 * 1.25));
    await panel.page.mouse.move(450, 400);
    const scrolled = panel.page.waitForFunction((top) => document.querySelector('.canvas')!.scrollTop > top, (await viewOf()).top);
    await panel.page.mouse.wheel(0, 200);
    await scrolled;
    assert.equal((await viewOf()).zoom, Math.round(fitted * 1.25 * 1.25), 'the wheel alone scrolls, it does not zoom');
    await panel.page.keyboard.down('Control');
    await panel.page.mouse.wheel(0, 300);
    await panel.page.keyboard.up('Control');
    assert.ok((await viewOf()).zoom < Math.round(fitted * 1.25 * 1.25), 'Ctrl+wheel zooms out');
    for (let i = 0; i < 4; i++) await panel.page.click('vscode-toolbar-button[label="Zoom in"]');
    const v0 = await viewOf();
    assert.ok(await panel.page.$eval('.canvas', (c) => c.scrollWidth > c.clientWidth && c.scrollHeight > c.clientHeight), 'zoomed in, the drawing scrolls both ways');
    await panel.page.mouse.move(130, 650);
    await panel.page.mouse.down();
    await panel.page.mouse.move(30, 600, { steps: 5 });
    await panel.page.mouse.up();
    const v1 = await viewOf();
    assert.ok(v1.left > v0.left && v1.top > v0.top, `dragging left and up moves the view right and down (${v0.left},${v0.top} → ${v1.left},${v1.top})`);
    assert.equal((await panel.posted()).filter((m) => m.type === 'reveal').length, 0, 'a drag is not a click');
    await panel.page.click('vscode-toolbar-button[label="Fit to width"]');
    assert.equal((await viewOf()).zoom, fitted);
  });

  it('lists the flows of the file in a picker and posts the one picked', async () => {
    const definition = definitions.get('dispatcher.flow')!;
    const flows = Object.keys(definition.flows);
    await panel.update({ uri: 'file:///w/dispatcher.flow', title: 'dispatcher.flow', flows, flow: 'Dispatcher', graph: buildFlowGraph(definition, 'Dispatcher') });
    assert.equal(await panel.page.isVisible('vscode-single-select'), true);
    assert.deepEqual(await panel.page.$$eval('vscode-single-select vscode-option', (os) => os.map((o) => o.getAttribute('value'))), flows);
    await panel.page.evaluate(() => {
      const select = document.querySelector('vscode-single-select') as HTMLElement & { value: string };
      select.value = 'ResearchTemplate';
      select.dispatchEvent(new Event('change'));
    });
    assert.deepEqual(await panel.waitForPosted(is('selectFlow'), 'selectFlow'), { type: 'selectFlow', flow: 'ResearchTemplate' });
  });

  it('lists stored runs in a run picker (history mode) and posts the one picked; "No run" posts none', async () => {
    await show();
    assert.equal(await panel.page.isVisible('vscode-single-select.run-picker'), false, 'no picker while the flow has no stored run');
    await panel.send({
      type: 'runHistory',
      runs: [
        { runId: 'run-new', status: 'failed', startedAt: '2026-11-23T11:34:00.000Z' },
        { runId: 'run-old', status: 'succeeded', startedAt: '2026-11-22T09:00:00.000Z' },
      ],
      shown: 'run-new',
    });
    assert.equal(await panel.page.isVisible('vscode-single-select.run-picker'), true);
    const options = await panel.page.$$eval('vscode-single-select.run-picker vscode-option', (os) => os.map((o) => [o.getAttribute('value'), o.textContent]));
    assert.deepEqual(options.map(([value]) => value), ['', 'run-new', 'run-old']);
    assert.equal(options[0][1], 'No run');
    assert.match(options[1][1] ?? '', /^failed · /);
    const pick = (value: string) =>
      panel.page.evaluate((v) => {
        const select = document.querySelector('vscode-single-select.run-picker') as HTMLElement & { value: string };
        select.value = v;
        select.dispatchEvent(new Event('change'));
      }, value);
    await pick('run-old');
    assert.deepEqual(await panel.waitForPosted(is('showRun', (m) => m.runId === 'run-old'), 'showRun run-old'), { type: 'showRun', runId: 'run-old' });
    // the host answers a pick by replaying the run's events; then "No run"
    await panel.send({ type: 'runReset' });
    await panel.send({ type: 'runEvent', event: { type: 'run.started', ...base('run-old'), flow: 'Outreach', inputs: {} } as RunEvent });
    await pick('');
    assert.deepEqual(await panel.waitForPosted(is('showRun', (m) => m.runId === undefined), 'showRun none'), { type: 'showRun' });
  });

  it('a stored run shown (runReset with its definition) puts that definition in the title; a live run\'s reset takes it away', async () => {
    await show();
    assert.equal(await panel.page.textContent('span.title'), 'outreach.flow · Outreach');
    await panel.send({ type: 'runReset', definition: 'definition 3f2a9c1e · migrated from 91bb02de' });
    assert.equal(await panel.page.textContent('span.title'), 'outreach.flow · Outreach · definition 3f2a9c1e · migrated from 91bb02de');
    // an edit redraws the graph: the run stays shown, and so does its definition
    await show();
    assert.equal(await panel.page.textContent('span.title'), 'outreach.flow · Outreach · definition 3f2a9c1e · migrated from 91bb02de');
    await panel.send({ type: 'runReset' });
    assert.equal(await panel.page.textContent('span.title'), 'outreach.flow · Outreach');
  });

  it('posts toggleSubflow when a sub-flow step’s +/− toggle is clicked (not reveal), and draws an expanded one as a container', async () => {
    const definition = definitions.get('process-orchestrator.flow')!;
    await panel.update({ uri: 'file:///w/process-orchestrator.flow', title: 'process-orchestrator.flow', flows: ['ProcessOrchestrator', 'IncidentRouting'], flow: 'ProcessOrchestrator', graph: buildFlowGraph(definition, 'ProcessOrchestrator') });
    await panel.page.click('g.toggle[data-toggle="ProcessOrchestrator/incident"]');
    assert.deepEqual(await panel.waitForPosted(is('toggleSubflow'), 'toggleSubflow'), { type: 'toggleSubflow', id: 'ProcessOrchestrator/incident' });
    assert.equal((await panel.posted()).some((m) => m.type === 'reveal'), false, 'the toggle does not reveal the step');
    const expanded = buildFlowGraph(definition, 'ProcessOrchestrator', { expand: ['ProcessOrchestrator/incident'] });
    const rendered = await panel.update({ uri: 'file:///w/process-orchestrator.flow', title: 'process-orchestrator.flow', flows: ['ProcessOrchestrator', 'IncidentRouting'], flow: 'ProcessOrchestrator', graph: expanded });
    assert.equal(rendered.nodes, expanded.nodes.length);
    assert.equal(await panel.page.isVisible('g.node.expanded[data-id="ProcessOrchestrator/incident"]'), true);
    assert.equal(await panel.page.isVisible('g.node[data-id="ProcessOrchestrator/incident>IncidentRouting/page"]'), true);
    await panel.page.screenshot({ path: path.join(SHOTS, 'subflow-expanded-light.png') });
  });

  it('says what it can for a file without flows and for a flow too large to lay out', async () => {
    const empty = await panel.update({ uri: 'file:///w/agents.flow', title: 'agents.flow', flows: [], error: 'the file declares no flow' });
    assert.equal(empty.nodes, 0);
    assert.match(await panel.page.innerText('.message'), /agents\.flow declares no flow yet/);
    const nodes = Array.from({ length: 5002 }, (_, i) => ({ id: `Big/s${i}`, kind: 'step' as const, label: `s${i}` }));
    const big: FlowGraph = { flow: 'Big', nodes, edges: nodes.slice(1).map((n, i) => ({ id: `e${i}`, source: nodes[i].id, target: n.id, kind: 'flow' as const })) };
    const rendered = await panel.update({ uri: 'file:///w/big.flow', title: 'big.flow', flows: ['Big'], flow: 'Big', graph: big });
    assert.equal(rendered.tooLarge, true);
    assert.match(await panel.page.innerText('.message'), /Big has 5,002 nodes; the panel draws flows of up to 2,000\. `baton graph big\.flow --flow Big --format svg -o Big\.svg` draws it whole\./);
    await show();
    assert.equal(await panel.page.isVisible('.message'), false);
    assert.equal((await nodeIds()).length, outreach.nodes.length);
  });

  it('exports the drawing as standalone SVG with the theme’s colours and as a PNG', async () => {
    await show();
    await panel.page.click('vscode-toolbar-button[label="Export SVG"]');
    const svg = await panel.waitForPosted(is('export', (m) => m.format === 'svg'), 'an SVG export');
    assert.equal(svg.flow, 'Outreach');
    assert.match(svg.data, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg.data, /--baton-bg:(#ffffff|rgb\(255, 255, 255\))/);
    assert.match(svg.data, /data-id="Outreach\/research"/);
    await panel.send({ type: 'exportResult', requestId: svg.requestId, saved: '/w/Outreach.svg' });
    assert.equal(await panel.page.innerText('.toolbar .status'), 'Saved SVG to /w/Outreach.svg');
    await panel.page.click('vscode-toolbar-button[label="Export PNG"]');
    const png = await panel.waitForPosted(is('export', (m) => m.format === 'png'), 'a PNG export');
    const bytes = Buffer.from(png.data, 'base64');
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG signature');
    assert.ok(bytes.readUInt32BE(16) > 100, 'a real width');
    assert.deepEqual(panel.errors, []);
  });

  it('highlights the node at the editor’s cursor', async () => {
    await show();
    await panel.send({ type: 'highlight', id: 'Outreach/contact' });
    assert.match((await panel.page.getAttribute('g.node[data-id="Outreach/contact"]', 'class')) ?? '', /\bcursor\b/);
    await panel.send({ type: 'highlight', id: undefined });
    assert.equal(await panel.page.$('g.node.cursor'), null);
  });

  it('restores the saved zoom and selection of a restored panel (getState)', async () => {
    await panel.page.close();
    panel = await harness.open('light', { state: { uri: 'file:///w/outreach.flow', flow: 'Outreach', view: { x: 10, y: 20, scale: 2 }, selected: 'Outreach/message' } });
    await show();
    assert.equal((await viewOf()).zoom, 200);
    const restored = await panel.page.evaluate(() => (window as unknown as { __state: { view: { x: number; y: number; scale: number } } }).__state.view);
    assert.deepEqual(restored, { x: 10, y: 20, scale: 2 }, 'the layout point (10, 20) is at the top-left corner again');
    assert.equal(await panel.page.getAttribute('g.node[data-id="Outreach/message"]', 'aria-pressed'), 'true');
  });

  it('labels a partial join `first 2 of 3 · cancel rest` and draws the withdrawn branch as cancelled from join.reached', async () => {
    const services = createBatonServices(NodeFileSystem);
    const loaded = await loadWorkspace(services, [path.join(EXAMPLES, 'patterns', 'wcp-32-cancelling-partial-join.flow')]);
    const graph = buildFlowGraph(services.Baton.ir.WorkflowBuilder.build(loaded.documents), 'Review');
    await show(graph, 'file:///w/wcp-32.flow');
    const join = graph.nodes.find((n) => n.kind === 'join')!;
    assert.equal(await panel.page.textContent(`g.node[data-id="${join.id}"] text.detail`), 'first 2 of 3 · cancel rest');
    const send = (event: RunEvent) => panel.send({ type: 'runEvent', event });
    await send({ ...base('run-join'), type: 'run.started', flow: 'Review', inputs: {} });
    for (const step of ['a', 'b']) await send({ ...base('run-join'), type: 'step.finished', step, node: `Review/${step}`, agent: 'Reviewer', status: 'succeeded', durationMs: 5, attempts: 1, tokens: 0, callIndexes: [0] });
    const wait = graph.nodes.find((n) => n.kind === 'wait')!;
    await send({ ...base('run-join'), type: 'wait.started', key: `wait@${wait.id}`, node: wait.id, durationMs: 14_400_000, until: '2026-01-01T04:00:00.000Z' });
    await send({ ...base('run-join'), type: 'join.reached', node: join.id.replace(/\/join$/, ''), scope: '', counted: [0, 1], rest: 'cancel', withdrawn: [2], label: 'first 2 of 3' });
    for (const id of [wait.id, 'Review/c']) assert.match((await panel.page.getAttribute(`g.node[data-id="${id}"]`, 'class')) ?? '', /\brun-cancelled\b/, id);
    assert.match((await panel.page.getAttribute('g.node[data-id="Review/a"]', 'class')) ?? '', /\brun-succeeded\b/);
    mkdirSync(SHOTS, { recursive: true });
    await panel.page.screenshot({ path: path.join(SHOTS, 'wcp-32-run-light.png') });
  });

  it('draws a foreach … in event with its event and join, waiting while its arrivals are open, running once an instance started, done at its join', async () => {
    const services = createBatonServices(NodeFileSystem);
    const loaded = await loadWorkspace(services, [path.join(EXAMPLES, 'patterns', 'wcp-36-dynamic-partial-join-mi.flow')]);
    const graph = buildFlowGraph(services.Baton.ir.WorkflowBuilder.build(loaded.documents), 'Auction');
    await show(graph, 'file:///w/wcp-36.flow');
    const loop = graph.nodes.find((n) => n.kind === 'loop')!;
    assert.equal(await panel.page.textContent(`g.node[data-id="${loop.id}"] text.label`), 'foreach');
    // the container clips its detail to its width; its accessible label holds it whole
    assert.match((await panel.page.textContent(`g.node[data-id="${loop.id}"] text.detail`)) ?? '', /^bid in event bid\./);
    assert.match((await panel.page.getAttribute(`g.node[data-id="${loop.id}"]`, 'aria-label')) ?? '', /foreach: bid in event bid\.placed · where auction == input\.auction · timeout 7d · until score\.output\.value >= input\.reserve/);
    const send = (event: RunEvent) => panel.send({ type: 'runEvent', event });
    const cls = async (): Promise<string> => (await panel.page.getAttribute(`g.node[data-id="${loop.id}"]`, 'class')) ?? '';
    await send({ ...base('run-loop'), type: 'run.started', flow: 'Auction', inputs: { auction: 'lot-7', reserve: 100 } });
    await send({ ...base('run-loop'), type: 'event.waiting', key: `foreach@${loop.id}#0`, node: loop.id, event: 'bid.placed', stream: true });
    assert.match(await cls(), /\brun-waiting\b/);
    await send({ ...base('run-loop'), type: 'event.received', key: `foreach@${loop.id}#0`, node: loop.id, event: 'bid.placed', data: { auction: 'lot-7', amount: 120 }, buffered: true, bufferId: 'b1' });
    assert.match(await cls(), /\brun-running\b/);
    await send({ ...base('run-loop'), type: 'join.reached', node: loop.id, scope: '', counted: [0], rest: 'cancel', withdrawn: [], label: 'until …' });
    assert.match(await cls(), /\brun-succeeded\b/);
    mkdirSync(SHOTS, { recursive: true });
    await panel.page.screenshot({ path: path.join(SHOTS, 'wcp-36-run-light.png') });
  });

  it('draws a wait first as an event-based gateway with one labelled arm per on, and greys the withdrawn arms from wait.withdrawn', async () => {
    const services = createBatonServices(NodeFileSystem);
    const loaded = await loadWorkspace(services, [path.join(EXAMPLES, 'patterns', 'wcp-16-deferred-choice.flow')]);
    const graph = buildFlowGraph(services.Baton.ir.WorkflowBuilder.build(loaded.documents), 'Order');
    await show(graph, 'file:///w/wcp-16.flow');
    const choice = graph.nodes.find((n) => n.kind === 'choice')!;
    assert.equal(await panel.page.textContent(`g.node[data-id="${choice.id}"] text.label`), 'wait first');
    assert.equal(await panel.page.locator(`g.node[data-id="${choice.id}"] polygon.inner`).count(), 1, 'the pentagon inside the diamond');
    const labels = await panel.page.$$eval(`g.edge[data-source="${choice.id}"] text`, (texts) => texts.map((t) => t.textContent));
    assert.deepEqual(labels, ['event payment.received', 'approval write_off', 'after 3d']);
    const send = (event: RunEvent) => panel.send({ type: 'runEvent', event });
    await send({ ...base('run-choice'), type: 'run.started', flow: 'Order', inputs: { order_id: 'A1' } });
    await send({ ...base('run-choice'), type: 'event.received', event: 'payment.received', data: { order_id: 'A1', amount: 12 }, key: 'payment', node: 'Order/payment' });
    await send({ ...base('run-choice'), type: 'branch.taken', node: choice.id, scope: '', branch: 0, label: 'wait first → event payment.received' });
    await send({ ...base('run-choice'), type: 'wait.withdrawn', key: 'write_off', node: 'Order/write_off', scope: '', kind: 'approval', label: 'approval write_off', group: `choice@${choice.id}` });
    await send({ ...base('run-choice'), type: 'wait.withdrawn', key: 'wait@Order/on@0.2', node: 'Order/on@0.2', scope: '', kind: 'timer', label: 'after 3d', group: `choice@${choice.id}` });
    assert.match((await panel.page.getAttribute('g.node[data-id="Order/payment"]', 'class')) ?? '', /\brun-succeeded\b/);
    for (const id of ['Order/write_off', 'Order/on@0.2']) assert.match((await panel.page.getAttribute(`g.node[data-id="${id}"]`, 'class')) ?? '', /\brun-cancelled\b/, id);
    mkdirSync(SHOTS, { recursive: true });
    await panel.page.screenshot({ path: path.join(SHOTS, 'wcp-16-run-light.png') });
  });

  it('draws every flow of every example in light and dark (screenshots in out/webview-shots/)', async () => {
    mkdirSync(SHOTS, { recursive: true });
    let shots = 0;
    for (const theme of ['light', 'dark'] as const) {
      const page = await harness.open(theme, { width: 1000, height: 800 });
      try {
        for (const [file, definition] of definitions) {
          for (const flow of Object.keys(definition.flows)) {
            const graph = buildFlowGraph(definition, flow);
            const rendered = await page.update({ uri: `file:///w/${file}`, title: file, flows: Object.keys(definition.flows), flow, graph });
            assert.equal(rendered.nodes, graph.nodes.length, `${file} ${flow}`);
            await page.page.screenshot({ path: path.join(SHOTS, `${file.replace(/\.flow$/, '')}-${flow}-${theme}.png`) });
            shots++;
          }
        }
        assert.deepEqual(page.errors, [], `${theme}: no console errors`);
      } finally {
        await page.page.close();
      }
    }
    assert.ok(shots >= 10, `${shots} screenshots`);
  });
});
