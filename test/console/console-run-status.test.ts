import assert from 'node:assert/strict';
import type { Route } from 'playwright-core';
import { ConsoleHarness } from './console-harness.js';

const FLOWS = `
agent Checker { stub: { text: "c" }, output: { text: string } }
flow Purchase {
  trigger webhook "/purchase"
  step check: Checker { prompt: "check" }
  approval manager { prompt: "Buy?", assignee: "finance" }
}
`;

describe('the console in a browser: the run page status when the log is newer than the run it was read beside', function () {
  this.timeout(60_000);
  const harness = new ConsoleHarness();
  before(() => harness.start({ flows: FLOWS, users: [{ name: 'olga', roles: ['operator'] }] }));
  after(() => harness.stop());

  it('a run read running whose log already ends at run.waiting is shown waiting (the live stream starts after that event)', async () => {
    const gate = harness.gate('Checker');
    const res = await fetch(`${harness.url}/runs`, { method: 'POST', headers: { authorization: 'Bearer olga-token', 'content-type': 'application/json' }, body: JSON.stringify({ flow: 'Purchase' }) });
    assert.equal(res.status, 202);
    const { runId } = (await res.json()) as { runId: string };
    await gate.waitHeld();
    const p = await harness.open('#/signin');
    try {
      await p.signIn('olga');
      // the run is read while it runs; its log's first page is held in the browser until the run waits
      let held: Route | undefined;
      let heldSeen: () => void = () => undefined;
      const eventsAsked = new Promise<void>((resolve) => (heldSeen = resolve));
      await p.page.route(new RegExp(`/runs/${runId}/events\\?`), (route) => {
        if (held) return route.continue();
        held = route;
        heldSeen();
      });
      const runRead = p.page.waitForResponse((r) => r.url().endsWith(`/runs/${runId}?events=0`));
      await p.page.goto(`${harness.url}/#/runs/${runId}`);
      await eventsAsked;
      assert.equal(((await (await runRead).json()) as { run: { status: string } }).run.status, 'running', 'the run was read running');
      assert.equal((await harness.store.getRun(runId)).status, 'running');
      gate.openAll();
      await harness.server.idle();
      assert.equal((await harness.store.getRun(runId)).status, 'waiting');
      await held!.continue();
      await p.page.locator('.rp-header .rp-decide').waitFor();
      await p.page.locator('.rp-header .status[data-status="waiting"]').waitFor({ timeout: 10_000 });
    } finally {
      await p.close();
    }
  });
});
