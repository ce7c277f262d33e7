import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { NodeFileSystem } from 'langium/node';
import type { FlowGraph, RunEvent, WebviewToHostMessage } from '@baton/protocol';
import { createBatonServices, loadWorkspace } from '../../language/src/index.js';
import { buildFlowGraph } from '../../packages/graph/src/index.js';
import { MIN_READABLE_SCALE } from '../../packages/webview/src/graph-view.js';
import { PanelHarness, ROOT, type PanelPage, type Theme } from './webview-harness.js';

const SHOTS = path.join(ROOT, 'out', 'webview-shots');
const P = 'ProcessOrchestrator';
/** The smallest node label on the screen the panel must draw (px): see MIN_READABLE_SCALE. */
const MIN_LABEL_PX = 11;

/** Panel sizes: a side panel beside the editor, and the same with the bottom panel open. */
const SIZES = [
  { name: 'side', width: 500, height: 700 },
  { name: 'side-with-bottom-panel', width: 500, height: 400 },
] as const;

describe('the graph panel is readable when it opens (the seed process in a side panel)', function () {
  this.timeout(180_000);
  const harness = new PanelHarness();
  let seed: FlowGraph;
  let panel: PanelPage | undefined;

  before(async function () {
    const services = createBatonServices(NodeFileSystem);
    const loaded = await loadWorkspace(services, [path.join(ROOT, 'examples', 'process-orchestrator.flow')]);
    seed = buildFlowGraph(services.Baton.ir.WorkflowBuilder.build(loaded.documents), P);
    await harness.start();
    mkdirSync(SHOTS, { recursive: true });
  });

  after(async () => {
    await harness.stop();
  });

  afterEach(async () => {
    await panel?.page.close();
    panel = undefined;
  });

  const open = async (theme: Theme, size: { width: number; height: number }, state?: unknown): Promise<PanelPage> => {
    panel = await harness.open(theme, { ...size, state });
    await panel.update({ uri: 'file:///w/process-orchestrator.flow', title: 'process-orchestrator.flow', flows: [P, 'IncidentRouting'], flow: P, graph: seed });
    return panel;
  };

  /** Every node label's font size on the screen (px): its computed font size times the SVG's screen scale. */
  const labelSizes = (page: PanelPage) =>
    page.page.$$eval('svg.baton-graph g.node text.label', (texts) =>
      texts.map((t) => ({ id: t.closest('g.node')!.getAttribute('data-id'), px: parseFloat(getComputedStyle(t).fontSize) * (t as SVGTextElement).getScreenCTM()!.a })),
    );

  /** The toolbar and each of its buttons lie inside the window, on top (the point at a button's centre is the button), and the page itself is not scrolled. */
  const assertToolbarWhole = async (page: PanelPage, when: string) => {
    const report = await page.page.evaluate(() => {
      const bar = document.querySelector('.toolbar')!.getBoundingClientRect();
      const buttons = [...document.querySelectorAll('.toolbar vscode-toolbar-button')].map((b) => {
        const r = b.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return { label: b.getAttribute('label'), left: r.left, right: r.right, top: r.top, bottom: r.bottom, onTop: hit === b || b.contains(hit) || (hit !== null && b.shadowRoot?.contains(hit) === true) };
      });
      return { bar: { top: bar.top, bottom: bar.bottom, left: bar.left, right: bar.right }, buttons, pageScroll: [document.scrollingElement!.scrollLeft, document.scrollingElement!.scrollTop, document.body.scrollTop], width: innerWidth, height: innerHeight };
    });
    assert.deepEqual(report.pageScroll, [0, 0, 0], `${when}: the page itself is not scrolled`);
    assert.ok(report.bar.top >= 0 && report.bar.left >= 0 && report.bar.right <= report.width, `${when}: the toolbar is inside the window (${JSON.stringify(report.bar)})`);
    assert.equal(report.buttons.length, 6);
    for (const b of report.buttons) {
      assert.ok(b.left >= 0 && b.right <= report.width && b.top >= 0 && b.bottom <= report.bar.bottom, `${when}: ${b.label} is whole (${JSON.stringify(b)})`);
      assert.ok(b.onTop, `${when}: nothing covers ${b.label}`);
    }
  };

  /** Scrolls the canvas to each node in turn; every node ends up wholly inside the canvas's visible area. */
  const assertEveryNodeReachable = async (page: PanelPage, when: string) => {
    const unreachable = await page.page.evaluate(() => {
      const canvas = document.querySelector('.canvas') as HTMLElement;
      const missed: string[] = [];
      for (const g of document.querySelectorAll('svg.baton-graph g.node')) {
        const view = canvas.getBoundingClientRect();
        const box = g.getBoundingClientRect();
        // scroll so the node's centre is at the canvas's centre (as far as the scroll range allows)
        canvas.scrollLeft += box.left + box.width / 2 - (view.left + canvas.clientWidth / 2);
        canvas.scrollTop += box.top + box.height / 2 - (view.top + canvas.clientHeight / 2);
        const after = g.getBoundingClientRect();
        const inside = after.left >= view.left - 0.5 && after.top >= view.top - 0.5 && after.right <= view.left + canvas.clientWidth + 0.5 && after.bottom <= view.top + canvas.clientHeight + 0.5;
        if (!inside) missed.push(`${g.getAttribute('data-id')} at ${Math.round(after.left)},${Math.round(after.top)} ${Math.round(after.width)}×${Math.round(after.height)}`);
      }
      return missed;
    });
    assert.deepEqual(unreachable, [], `${when}: every node can be scrolled into view`);
  };

  for (const size of SIZES) {
    for (const theme of ['light', 'dark'] as const) {
      it(`opens at a readable size in a ${size.width}×${size.height} panel (${theme}): labels ≥ ${MIN_LABEL_PX} px, fitted to width, every node reachable by scrolling, the toolbar whole`, async () => {
        const page = await open(theme, size);
        await page.page.screenshot({ path: path.join(SHOTS, `readable-${size.name}-${theme}.png`) });
        const sizes = await labelSizes(page);
        assert.equal(sizes.length, seed.nodes.filter((n) => n.label && !['merge', 'join', 'fork', 'end'].includes(n.kind)).length, 'every labelled node is drawn');
        const smallest = Math.min(...sizes.map((s) => s.px));
        assert.ok(smallest >= MIN_LABEL_PX - 0.01, `the smallest label is ${smallest.toFixed(2)} px on the screen (${sizes.find((s) => s.px === smallest)?.id})`);
        // The seed is wider than 500 px at any readable zoom: it opens at the readable floor, from the top, with its start in view.
        const zoom = await page.page.$eval('.canvas', (c) => ({ zoom: Number((c as HTMLElement).dataset.zoom), top: c.scrollTop, overflowsX: c.scrollWidth > c.clientWidth, overflowsY: c.scrollHeight > c.clientHeight }));
        assert.deepEqual(zoom, { zoom: Math.round(MIN_READABLE_SCALE * 100), top: 0, overflowsX: true, overflowsY: true });
        const start = await page.page.$eval(`g.node[data-id="${P}/start"]`, (g) => {
          const r = g.getBoundingClientRect();
          const c = document.querySelector('.canvas')!.getBoundingClientRect();
          return r.left >= c.left && r.right <= c.right && r.top >= c.top && r.bottom <= c.bottom;
        });
        assert.equal(start, true, 'the flow’s start is in view');
        await assertToolbarWhole(page, 'opened');
        await assertEveryNodeReachable(page, 'opened');
        await page.page.click('vscode-toolbar-button[label="Actual size"]');
        await assertToolbarWhole(page, 'at 1:1');
        await assertEveryNodeReachable(page, 'at 1:1');
        await page.page.screenshot({ path: path.join(SHOTS, `readable-${size.name}-1to1-${theme}.png`) });
        // Tab through every node: focusing one never scrolls the page (only the canvas)
        await page.page.focus(`g.node[data-id="${P}/start"]`);
        for (let i = 0; i < seed.nodes.length; i++) await page.page.keyboard.press('Tab');
        await assertToolbarWhole(page, 'after tabbing through the nodes');
        assert.deepEqual(page.errors, []);
      });
    }
  }

  it('keeps the toolbar whole in a very narrow panel (280 px): the tools wrap onto their own row', async () => {
    const page = await open('light', { width: 280, height: 500 });
    await assertToolbarWhole(page, '280 px wide');
    const labels = await labelSizes(page);
    assert.ok(Math.min(...labels.map((l) => l.px)) >= MIN_LABEL_PX - 0.01);
  });

  it('fits a flow narrower than the panel to its width at most 100 %, and a resize of a fitted view fits again', async () => {
    const page = await open('light', { width: 1600, height: 700 });
    assert.equal(await page.page.$eval('.canvas', (c) => (c as HTMLElement).dataset.zoom), '100', 'never above 100 %');
    await page.page.setViewportSize({ width: 500, height: 700 });
    await page.page.waitForFunction((z) => (document.querySelector('.canvas') as HTMLElement).dataset.zoom === z, String(Math.round(MIN_READABLE_SCALE * 100)));
  });

  type Posted<T extends WebviewToHostMessage['type']> = Extract<WebviewToHostMessage, { type: T }>;
  const reveal = (page: PanelPage, id: string) =>
    page.waitForPosted((m): m is Posted<'reveal'> => m.type === 'reveal' && m.id === id, `reveal ${id}`);
  const savedFolds = (page: PanelPage) => page.page.evaluate(() => (window as unknown as { __state?: { folded?: Record<string, string[]> } }).__state?.folded ?? {});
  const drawnIds = (page: PanelPage) => page.page.$$eval('svg.baton-graph g.node', (gs) => gs.map((g) => g.getAttribute('data-id')!));
  const layoutSize = (page: PanelPage) => page.page.$eval('svg.baton-graph', (svg) => svg.getAttribute('viewBox'));
  /** The middle of a node's top side on the screen (px). */
  const screenBox = (page: PanelPage, id: string) =>
    page.page.$eval(`g.node[data-id="${id}"] > .shape`, (shape) => {
      const r = shape.getBoundingClientRect();
      return { x: Math.round(r.left + r.width / 2), y: Math.round(r.top) };
    });

  /** Node `id` is at `where` on the screen, on each axis unless the canvas is scrolled to that axis's end (the view cannot move further). */
  const assertKeptInPlace = async (page: PanelPage, id: string, where: { x: number; y: number }, what: string) => {
    const now = await screenBox(page, id);
    const limits = await page.page.$eval('.canvas', (c) => ({
      x: c.scrollLeft <= 0 || c.scrollLeft >= c.scrollWidth - c.clientWidth - 1,
      y: c.scrollTop <= 0 || c.scrollTop >= c.scrollHeight - c.clientHeight - 1,
    }));
    assert.ok(Math.abs(now.x - where.x) <= 1 || limits.x, `${what}: x ${now.x}, was ${where.x}`);
    assert.ok(Math.abs(now.y - where.y) <= 1 || limits.y, `${what}: y ${now.y}, was ${where.y}`);
  };

  it('folds an arm of the switch with its toggle: its nodes hidden, one arm node drawn where the arm was, laid out again; + unfolds it', async () => {
    const page = await open('light', SIZES[0]);
    const arm = `${P}/switch@2#2`;
    const before = { ids: await drawnIds(page), viewBox: await layoutSize(page) };
    await page.page.$eval(`g.toggle.fold[data-fold="${arm}"]`, (t) => t.scrollIntoView({ block: 'center', inline: 'center' }));
    const firstBefore = await screenBox(page, `${P}/gates`);
    await page.page.click(`g.toggle.fold[data-fold="${arm}"]`);
    await page.page.waitForSelector(`g.node.folded[data-id="${arm}"]`);
    const ids = await drawnIds(page);
    for (const hidden of ['gates', 'if@2.2.1', 'fail@2.2.1.0.0', 'if@2.2.1/merge']) assert.equal(ids.includes(`${P}/${hidden}`), false, `${hidden} is hidden`);
    assert.equal(ids.length, before.ids.length - 4 + 1);
    assert.notEqual(await layoutSize(page), before.viewBox, 'laid out again');
    await assertKeptInPlace(page, arm, firstBefore, 'the folded arm is drawn where its first node was on the screen');
    assert.deepEqual(await savedFolds(page), { [`file:///w/process-orchestrator.flow#${P}`]: [arm] }, 'remembered in the webview state');
    assert.equal(await page.page.getAttribute(`g.node[data-id="${arm}"]`, 'aria-label'), 'arm case "QA": 4 nodes: gates, if, …, folded (4 nodes inside)');
    await page.page.screenshot({ path: path.join(SHOTS, 'readable-folded-arm-light.png') });
    // clicking the folded arm reveals its first statement
    await page.page.click(`g.node[data-id="${arm}"] text.label`);
    await reveal(page, `${P}/gates`);
    const armAt = await screenBox(page, arm);
    await page.page.click(`g.toggle.fold[data-fold="${arm}"]`);
    await page.page.waitForSelector(`g.node[data-id="${P}/gates"]`);
    await assertKeptInPlace(page, `${P}/gates`, armAt, 'unfolded, the arm’s first node is drawn where the folded arm was');
    assert.deepEqual((await drawnIds(page)).sort(), [...before.ids].sort());
    assert.deepEqual(await savedFolds(page), {});
    assert.deepEqual(page.errors, []);
  });

  it('folds a loop, a parallel block and a whole decision; a reopened panel (getState) draws them folded', async () => {
    const page = await open('dark', SIZES[1]);
    const loop = `${P}/foreach@2.1.0`;
    const fork = `${P}/parallel@2.0.0/fork`;
    // keyboard: − on a focused loop folds it
    await page.page.focus(`g.node[data-id="${loop}"]`);
    await page.page.keyboard.press('-');
    await page.page.waitForSelector(`g.node.folded[data-id="${loop}"]`);
    assert.equal((await drawnIds(page)).includes(`${P}/migrate`), false);
    await page.page.$eval(`g.toggle.fold[data-fold="${fork}"]`, (t) => t.scrollIntoView({ block: 'center', inline: 'center' }));
    await page.page.click(`g.toggle.fold[data-fold="${fork}"]`);
    await page.page.waitForSelector(`g.node.folded[data-id="${fork}"]`);
    assert.equal((await drawnIds(page)).includes(`${P}/rules`), false);
    await page.page.screenshot({ path: path.join(SHOTS, 'readable-folded-loop-parallel-dark.png') });
    const state = await page.page.evaluate(() => (window as unknown as { __state: unknown }).__state);
    assert.deepEqual((state as { folded: Record<string, string[]> }).folded, { [`file:///w/process-orchestrator.flow#${P}`]: [loop, fork] });
    await page.page.close();

    const reopened = await open('dark', SIZES[1], state);
    assert.equal(await reopened.page.isVisible(`g.node.folded[data-id="${loop}"]`), true, 'the loop is still folded');
    assert.equal(await reopened.page.isVisible(`g.node.folded[data-id="${fork}"]`), true, 'the parallel block is still folded');
    // − on an arm's first node that opens no region of its own (gates) folds its arm; + unfolds it
    await reopened.page.focus(`g.node[data-id="${P}/gates"]`);
    await reopened.page.keyboard.press('-');
    await reopened.page.waitForSelector(`g.node.folded[data-id="${P}/switch@2#2"]`);
    await reopened.page.focus(`g.node[data-id="${P}/switch@2#2"]`);
    await reopened.page.keyboard.press('+');
    await reopened.page.waitForSelector(`g.node[data-id="${P}/gates"]`);
    // + on the folded loop (keyboard) unfolds it; the whole switch folds with its toggle
    await reopened.page.focus(`g.node[data-id="${loop}"]`);
    await reopened.page.keyboard.press('+');
    await reopened.page.waitForSelector(`g.node[data-id="${P}/migrate"]`);
    await reopened.page.$eval(`g.toggle.fold[data-fold="${P}/switch@2"]`, (t) => t.scrollIntoView({ block: 'center', inline: 'center' }));
    await reopened.page.click(`g.toggle.fold[data-fold="${P}/switch@2"]`);
    await reopened.page.waitForSelector(`g.node.folded[data-id="${P}/switch@2"]`);
    assert.deepEqual(await drawnIds(reopened), [`${P}/start`, `${P}/trigger@0`, `${P}/trigger@1`, `${P}/intake`, `${P}/set@1`, `${P}/switch@2`, `${P}/wrap_up`, `${P}/notify_requester`, `${P}/set@5`, `${P}/end`]);
    const folded = await reopened.page.$eval('.canvas', (c) => ({ zoom: Number((c as HTMLElement).dataset.zoom), overflowsX: c.scrollWidth > c.clientWidth }));
    assert.deepEqual(folded, { zoom: Math.round(MIN_READABLE_SCALE * 100), overflowsX: false }, 'folded, the seed fits the panel’s width at a readable size');
    await reopened.page.screenshot({ path: path.join(SHOTS, 'readable-folded-switch-dark.png') });
    assert.deepEqual(reopened.errors, []);
  });

  it('draws a run over folded regions: a folded node takes the state of what it hides; the cursor inside it marks it', async () => {
    const page = await open('light', SIZES[0]);
    const arm = `${P}/switch@2#0`;
    await page.page.$eval(`g.toggle.fold[data-fold="${arm}"]`, (t) => t.scrollIntoView({ block: 'center', inline: 'center' }));
    await page.page.click(`g.toggle.fold[data-fold="${arm}"]`);
    await page.page.waitForSelector(`g.node.folded[data-id="${arm}"]`);
    let seq = 0;
    const base = () => ({ runId: 'run-f', seq: ++seq, time: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString() });
    const send = (event: RunEvent) => page.send({ type: 'runEvent', event });
    await send({ ...base(), type: 'run.started', flow: P, inputs: {} });
    await send({ ...base(), type: 'step.finished', step: 'intake', node: `${P}/intake`, agent: 'Intake', status: 'succeeded', durationMs: 10, attempts: 1, tokens: 0, callIndexes: [0] });
    await send({ ...base(), type: 'branch.taken', node: `${P}/switch@2`, scope: '', branch: 0, label: 'case "APPROVAL"' });
    await send({ ...base(), type: 'step.started', step: 'rules', node: `${P}/rules`, agent: 'RulesClassifier', target: 'agent' });
    assert.match((await page.page.getAttribute(`g.node[data-id="${arm}"]`, 'class')) ?? '', /\brun-running\b/);
    const into = seed.edges.find((e) => e.source === `${P}/switch@2` && e.branch === 0)!;
    const edgeClass = await page.page.$$eval('g.edge', (gs, id) => gs.find((g) => g.getAttribute('data-id') === id)?.getAttribute('class'), into.id);
    assert.match(edgeClass ?? '', /\btaken\b/, 'the arm’s edge is on the path taken');
    await send({ ...base(), type: 'step.finished', step: 'rules', node: `${P}/rules`, agent: 'RulesClassifier', status: 'succeeded', durationMs: 10, attempts: 1, tokens: 0, callIndexes: [1] });
    await send({ ...base(), type: 'approval.requested', node: `${P}/cfo_signoff`, task: 'cfo_signoff', prompt: 'p', assignee: 'cfo', options: ['approve', 'reject'] });
    assert.match((await page.page.getAttribute(`g.node[data-id="${arm}"]`, 'class')) ?? '', /\brun-waiting\b/);
    assert.equal(await page.page.innerText('.toolbar .status'), 'run run-f · running', 'no node of the run is counted as missing');
    await page.send({ type: 'highlight', id: `${P}/package` });
    assert.match((await page.page.getAttribute(`g.node[data-id="${arm}"]`, 'class')) ?? '', /\bcursor\b/);
  });
});
