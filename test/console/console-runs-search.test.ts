import assert from 'node:assert/strict';
import { runIdBound } from '../../packages/runtime/src/index.js';
import { assertClean, ConsoleHarness } from './console-harness.js';

const FLOWS = `
agent Worker { stub: { text: "w" }, output: { text: string } }
flow Order {
  trigger webhook "/order"
  input item: string
  step pack: Worker { prompt: "pack" }
}
`;

// A text search looks at a bounded number of runs per page (RUN_TEXT_SCAN_LIMIT; here 3, the server's
// textScanLimit): the page says how far back it searched and goes on from there.
describe('the console in a browser: a text search over more runs than one page looks at', function () {
  this.timeout(90_000);
  const harness = new ConsoleHarness();
  before(() => harness.start({ flows: FLOWS, users: [{ name: 'ada', roles: ['admin'] }, { name: 'vic', roles: ['viewer'] }], serve: { textScanLimit: 3 } }));
  after(() => harness.stop());

  it('says when it searched back to (the oldest run looked at) and finds an older match with Search older', async () => {
    // oldest first: the match is the oldest of 7 runs, two scans of 3 away
    const ids: string[] = [];
    for (const item of ['needle-lamp', 'hay', 'hay', 'hay', 'hay', 'hay', 'hay']) ids.push(await harness.startRun('ada', 'Order', { item }));
    await harness.server.idle();
    const p = await harness.open('#/runs?q=needle');
    try {
      await p.signIn('vic');
      const searched = p.page.locator('.pager .searched-to');
      await searched.waitFor();
      await p.page.locator('p.empty', { hasText: 'No run matches these filters in the runs searched.' }).waitFor();
      // the newest 3 were searched: back to the start of the 5th run (ids[4]), shown to the second (UTC)
      assert.equal(await searched.getAttribute('title'), `run ${ids[4]}`);
      const shown = /^Searched back to (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\.$/.exec(await searched.innerText());
      assert.ok(shown, `the date searched back to: ${await searched.innerText()}`);
      const at = Date.parse(`${shown[1].replace(' ', 'T')}Z`);
      assert.ok(runIdBound(at) <= ids[4] && ids[4] < runIdBound(at + 1000), `${shown[1]} is the second run ${ids[4]} started in`);
      await p.page.locator('#search-older').click();
      await p.page.waitForURL(new RegExp(`before=${ids[4]}`));
      await p.page.locator(`.pager .searched-to[title="run ${ids[1]}"]`).waitFor();
      await p.page.locator('#search-older').click();
      // the last 1 run: the search is complete, the match found, nothing more to search
      await p.page.locator(`tbody tr[data-run="${ids[0]}"]`).waitFor();
      assert.deepEqual(await p.page.locator('tbody tr[data-run]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run'))), [ids[0]]);
      assert.equal(await p.page.locator('#search-older').count(), 0);
      assert.equal(await searched.count(), 0);
      await assertClean(p);
    } finally {
      await p.close();
    }
  });
});
