import assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { NodeFileSystem } from 'langium/node';
import type { FlowGraph, GraphLayout } from '@baton/protocol';
import { createBatonServices, loadWorkspace } from '../../language/src/index.js';
import { buildFlowGraph, foldRegions, layoutFlowGraph } from '../../packages/graph/src/index.js';
import { readInlineAssets } from '../../packages/extension/src/graph-panel-html.js';
import { PanelHarness, ROOT } from './webview-harness.js';

/** Whether the page has fetched out/webview/elk.js (its resource timing). */
const elkFetched = (page: Page): Promise<boolean> => page.evaluate(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('/webview/elk.js')));

describe('the graph panel’s first drawing (out/webview in headless Chromium)', function () {
  this.timeout(120_000);
  const harness = new PanelHarness();
  let outreach: FlowGraph;
  let layout: GraphLayout;

  before(async function () {
    this.timeout(120_000);
    const services = createBatonServices(NodeFileSystem);
    const loaded = await loadWorkspace(services, [path.join(ROOT, 'examples', 'outreach.flow')]);
    outreach = buildFlowGraph(services.Baton.ir.WorkflowBuilder.build(loaded.documents), 'Outreach');
    // the language server's answer to `layout: true` (test/language-server/graph-layout.test.ts)
    layout = await layoutFlowGraph(outreach, { foldable: new Set(foldRegions(outreach).map((r) => r.id)) });
    await harness.start();
  });

  after(async () => {
    await harness.stop();
  });

  it('draws a graph that comes laid out as it is, without loading elkjs first, then loads elkjs for the edits to come', async () => {
    const panel = await harness.open('light');
    try {
      // moved right by 1,000 px: the drawing must be the given layout, not one the page made
      const moved: GraphLayout = { ...layout, width: layout.width + 1000, nodes: layout.nodes.map((n) => ({ ...n, x: n.x + 1000 })) };
      const rendered = await panel.update({ uri: 'file:///w/outreach.flow', title: 'outreach.flow', flows: ['Outreach'], flow: 'Outreach', graph: outreach, layout: moved });
      assert.equal(rendered.nodes, outreach.nodes.length);
      assert.equal(rendered.phases?.elk, undefined, 'elkjs was not loaded before the drawing');
      assert.ok(rendered.phases && rendered.phases.script <= rendered.phases.ready && rendered.phases.ready <= rendered.phases.graph && rendered.phases.graph <= rendered.drawnAt!, JSON.stringify(rendered.phases));
      const start = moved.nodes.find((n) => n.id === 'Outreach/start')!;
      const transform = await panel.page.getAttribute('svg.baton-graph g.node[data-id="Outreach/start"]', 'transform');
      assert.equal(transform, `translate(${start.x},${start.y})`);
      // afterwards the page fetches elkjs (with its nonce: the CSP allows nothing else) and lays out an edit itself
      await panel.page.waitForFunction(() => (window as unknown as { ELK?: unknown }).ELK !== undefined, undefined, { timeout: 60_000 });
      assert.ok(await elkFetched(panel.page));
      const edited = await panel.update({ uri: 'file:///w/outreach.flow', title: 'outreach.flow', flows: ['Outreach'], flow: 'Outreach', graph: { ...outreach, nodes: outreach.nodes.filter((n) => n.id !== 'Outreach/message'), edges: outreach.edges.filter((e) => e.source !== 'Outreach/message' && e.target !== 'Outreach/message') } });
      assert.equal(edited.nodes, outreach.nodes.length - 1);
      assert.equal(edited.phases, undefined, 'only the first drawing carries the start-up marks');
      // laid out by the page: no longer the moved layout
      const x = Number(/translate\(([\d.]+),/.exec((await panel.page.getAttribute('svg.baton-graph g.node[data-id="Outreach/start"]', 'transform')) ?? '')?.[1]);
      assert.ok(x < 1000, `x ${x}`);
      assert.deepEqual(panel.errors, []);
    } finally {
      await panel.page.close();
    }
  });

  it('has its script and stylesheet written into the page (nothing fetched before the drawing, the CSP kept); from their URLs it draws the same', async () => {
    const assets = readInlineAssets(path.join(ROOT, 'out', 'webview'));
    assert.ok(assets.scriptText && assets.styleText, 'the built script and stylesheet can be written into the page');
    const fetched = (page: Page): Promise<string[]> => page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name.replace(/^.*\//, '')));
    const drawn: string[] = [];
    for (const inline of [true, false]) {
      const panel = await harness.open('light', { inline });
      try {
        const rendered = await panel.update({ uri: 'file:///w/outreach.flow', title: 'outreach.flow', flows: ['Outreach'], flow: 'Outreach', graph: outreach, layout });
        assert.equal(rendered.nodes, outreach.nodes.length);
        const names = await fetched(panel.page);
        if (inline) assert.ok(!names.includes('graph-panel.js') && !names.includes('graph-panel.css'), names.join(', '));
        else assert.ok(names.includes('graph-panel.js') && names.includes('graph-panel.css'), names.join(', '));
        // the stylesheet applies (graph-panel.css: the toolbar is a flex row, the page does not scroll)
        const styled = await panel.page.evaluate(() => `${getComputedStyle(document.querySelector('.toolbar')!).display} ${getComputedStyle(document.body).overflow}`);
        assert.equal(styled, 'flex hidden');
        drawn.push(await panel.page.evaluate(() => document.querySelector('svg.baton-graph')!.outerHTML));
        assert.deepEqual(panel.errors, []);
      } finally {
        await panel.page.close();
      }
    }
    assert.equal(drawn[0], drawn[1]);
  });

  it('lays out a graph that comes without a layout with elkjs from its own script', async () => {
    const panel = await harness.open('light');
    try {
      assert.equal(await elkFetched(panel.page), false, 'the page does not fetch elkjs before it needs it');
      const rendered = await panel.update({ uri: 'file:///w/outreach.flow', title: 'outreach.flow', flows: ['Outreach'], flow: 'Outreach', graph: outreach });
      assert.equal(rendered.nodes, outreach.nodes.length);
      assert.ok(rendered.phases?.elk, 'elkjs loaded for the drawing');
      const start = layout.nodes.find((n) => n.id === 'Outreach/start')!;
      assert.equal(await panel.page.getAttribute('svg.baton-graph g.node[data-id="Outreach/start"]', 'transform'), `translate(${start.x},${start.y})`);
      assert.deepEqual(panel.errors, []);
    } finally {
      await panel.page.close();
    }
  });
});
