import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createFlowAuthoring } from '@baton/language';
import type { FlowGeneratedEvent } from '../../packages/protocol/src/index.js';
import { createStubAgents, installFlowAuthoring } from '../../packages/runtime/src/index.js';
import { assertClean, ConsoleHarness, ROOT } from './console-harness.js';
import { writtenFlowSource } from '../support/written-flow.js';

/** Screenshots of the pages (looked at by people; not compared). */
const SHOTS = path.join(ROOT, 'out', 'console-shots');
mkdirSync(SHOTS, { recursive: true });

/**
 * The run page of a run whose step ran a flow an agent wrote (docs/agents.md, "Flows written by agents"): the written
 * flow's source as a Source tab and its graph under the run's, coloured by the run's events.
 */

const FLOWS = writtenFlowSource({ trigger: '/dispatch', twoSteps: true });

describe('the console in a browser: a flow written by an agent in the run page', function () {
  this.timeout(120_000);
  const harness = new ConsoleHarness();
  before(async () => {
    installFlowAuthoring(createFlowAuthoring());
    await harness.start({ flows: FLOWS, users: [{ name: 'oscar', roles: ['operator'] }], serve: { agents: createStubAgents() } });
  });
  after(async () => {
    installFlowAuthoring(undefined);
    await harness.stop();
  });

  it("shows the written flow's graph under the run's, coloured by the run, and its source as a Source tab", async () => {
    const id = await harness.startRun('oscar', 'Dispatch');
    await harness.server.idle();
    const run = await harness.store.getRun(id);
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    const accepted = (await harness.store.getEvents(id)).find((e): e is FlowGeneratedEvent => e.type === 'flow.generated' && e.accepted);
    assert.ok(accepted, 'the run accepted a written flow');
    const p = await harness.open(`#/runs/${id}`);
    try {
      await p.signIn('oscar');
      const page = p.page;
      await page.locator('.rp-header .status[data-status="succeeded"]').waitFor();
      // the run's own graph: the generating step and the step that ran what it wrote
      await page.locator('.rp-graph g.node[data-id="Dispatch/custom"].run-succeeded').waitFor();
      // the written flow: a heading naming the step and the flow, and its graph, its steps coloured by the run's events
      await page.locator('.rp-generated-title', { hasText: 'Flow written by step plan: Custom' }).waitFor();
      const written = page.locator('.rp-generated-graph');
      assert.equal(await written.getAttribute('aria-label'), 'The graph of Custom, the flow step plan wrote');
      await written.locator('g.node[data-id="Custom/look"].run-succeeded').waitFor();
      await written.locator('g.node[data-id="Custom/again"].run-succeeded').waitFor();
      assert.equal(await page.locator('.rp-graph g.node[data-id="Custom/look"]').count(), 0, "the written flow's nodes are not in the run's graph");
      // its source: a tab of its own beside the run's file, its text as the agent wrote it (after the import the runtime adds)
      await page.locator('.rp-tab[data-tab="source"]').click();
      const tab = page.locator('.src-tab', { hasText: 'Custom.generated.flow' });
      await tab.waitFor();
      await tab.click();
      await page.locator('.src-line', { hasText: 'flow Custom {' }).waitFor();
      await page.locator('.src-line', { hasText: 'step again: Researcher' }).waitFor();
      await page.screenshot({ path: path.join(SHOTS, 'run-written-flow.png'), fullPage: true });
      await assertClean(p);
    } finally {
      await p.close();
    }
  });
});
