import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { planFor } from '../../packages/cli/src/commands/serve.js';
import type { Output } from '../../packages/cli/src/output/terminal.js';
import { ConsoleHarness, type ConsolePage } from './console-harness.js';

/**
 * The run page draws the graph the server laid out (`GET /runs/:id/definition`'s `layout`, layout-service.ts) without
 * loading elkjs, and that drawing is the one the page makes itself when the server sends none.
 */

/** 2,142 steps in 21 `parallel`s of 102: over the page's 2,000 nodes, drawn with the parallels folded. */
function wideFlow(): string {
  const lines = ['flow Wide {', '  trigger webhook "/wide"'];
  let n = 0;
  for (let p = 0; p < 21; p++) {
    lines.push(`  step s${n++}: Writer { prompt: "before" }`);
    lines.push('  parallel {');
    for (let b = 0; b < 2; b++) {
      lines.push('    branch {');
      for (let i = 0; i < 51; i++) lines.push(`      step s${n++}: Writer { prompt: "p" }`);
      lines.push('    }');
    }
    lines.push('  }');
  }
  return [...lines, '}', ''].join('\n');
}

const FLOWS = `agent Writer { stub: { text: "w", score: 5 }, output: { text: string, score: number } }
flow Order {
  trigger webhook "/order"
  step draft: Writer { prompt: "draft" }
  if draft.output.score > 3 {
    step big: Writer { prompt: "big \${draft.output.text}" }
  } else {
    step small: Writer { prompt: "small" }
  }
  parallel {
    step left: Writer { prompt: "left" }
    step right: Writer { prompt: "right" }
  }
  foreach item in [1, 2] {
    step line: Writer { prompt: "line \${item}" }
  }
}
${wideFlow()}`;

const quiet: Output = { out: () => undefined, err: () => undefined, colors: {} as never, errColors: false } as unknown as Output;
/** elkjs' lazy chunk of the console bundle (out/console/elk.bundled-<hash>.js). */
const ELK_CHUNK = /\/console\/elk\.bundled-[\w-]+\.js$/;

describe('the console in a browser: the run graph laid out by the server', function () {
  this.timeout(180_000);
  const harness = new ConsoleHarness();
  before(async () => {
    // the layout thread starts from the sources here (tsx, slower than the bundle): the answer waits for it
    await harness.start({ flows: FLOWS, users: [{ name: 'oscar', roles: ['operator'] }], serve: { layoutBudgetMs: 60_000 } });
  });
  after(() => harness.stop());

  /**
   * Opens run `id`, optionally with the server's layout taken out of the definition answer (a server that sent
   * none); resolves once the graph is painted, with where its layout came from and every node's place.
   */
  const draw = async (id: string, withoutServed: boolean): Promise<{ p: ConsolePage; from: string; places: Record<string, string | null> }> => {
    const p = await harness.open(`#/runs/${id}`);
    if (withoutServed) {
      await p.page.route(/\/runs\/[^/]+\/definition$/, async (route) => {
        const response = await route.fetch();
        const body = (await response.json()) as Record<string, unknown>;
        delete body.layout;
        await route.fulfill({ response, json: body });
      });
    }
    await p.signIn('oscar');
    const from = await painted(p.page);
    const places = await p.page.locator('.rp-graph g.node').evaluateAll((els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-id')!, e.getAttribute('transform')])));
    return { p, from, places };
  };

  it('asks again for a layout the server was still making, and draws it when it comes, without elkjs', async () => {
    const id = await harness.startRun('oscar', 'Order');
    await harness.server.idle();
    const p = await harness.open(`#/runs/${id}`);
    try {
      // the first answer as from a server still laying the graph out (its budget passed)
      await p.page.route(/\/runs\/[^/]+\/definition$/, async (route) => {
        const response = await route.fetch();
        const body = (await response.json()) as Record<string, unknown>;
        delete body.layout;
        await route.fulfill({ response, json: { ...body, layoutPending: true, layoutNote: 'the server is still laying out Order' } });
      });
      await p.signIn('oscar');
      assert.equal(await painted(p.page), 'served');
      assert.equal(p.requests.filter((u) => u.endsWith('/definition?only=layout')).length, 1, 'asked once more');
      assert.deepEqual(p.requests.filter((u) => ELK_CHUNK.test(u)), [], "elkjs' chunk is not loaded");
      assert.deepEqual(p.errors, []);
    } finally {
      await p.close();
    }
  });

  for (const [flow, start] of [
    ['Order', () => harness.startRun('oscar', 'Order')],
    // a run of it stored, not executed (2,000 stub steps): the page reads its definition only
    ['Wide', async () => (await harness.store.createRun({ flow: 'Wide', inputs: {}, definition: (await planFor(harness.dir, 'UTC', quiet)).webhooks.get('/wide')!.definition, startedAt: new Date().toISOString(), status: 'queued' })).id],
  ] as const) {
    it(`${flow}: draws the served layout without fetching elkjs' chunk, node for node where the page's own layout puts them`, async () => {
      const id = await start();
      await harness.server.idle();
      const served = await draw(id, false);
      const own = await draw(id, true);
      try {
        assert.equal(served.from, 'served');
        assert.deepEqual(served.p.requests.filter((u) => ELK_CHUNK.test(u)), [], "elkjs' chunk is not loaded");
        assert.equal(own.from, 'computed');
        assert.equal(own.p.requests.filter((u) => ELK_CHUNK.test(u)).length, 1, 'the page laid it out with elkjs');
        assert.ok(Object.keys(served.places).length > (flow === 'Wide' ? 40 : 10), `${Object.keys(served.places).length} nodes drawn`);
        assert.deepEqual(served.places, own.places);
        assert.deepEqual(served.p.errors, []);
      } finally {
        await served.p.close();
        await own.p.close();
      }
    });
  }
});

/** Waits for the run page's graph-painted mark: where its layout came from (`served`, `cached`, `computed`). */
async function painted(page: Page): Promise<string> {
  await page.waitForFunction(() => performance.getEntriesByName('baton:run-graph-painted').length > 0, undefined, { timeout: 120_000 });
  return page.evaluate(() => (performance.getEntriesByName('baton:run-graph-painted')[0] as PerformanceMark).detail?.layoutFrom as string);
}
