import assert from 'node:assert/strict';
import { assertClean, ConsoleHarness } from './console-harness.js';

const FLOWS = `
agent Worker { stub: { text: "w" }, output: { text: string } }
flow Purchase {
  trigger webhook "/purchase"
  input item: string
  approval sign_off { prompt: "buy \${input.item}?" }
  step thank: Worker { prompt: "thanks" }
}
flow Report {
  trigger webhook "/report"
  step write: Worker { prompt: "write" }
}
`;

describe('the console in a browser: the runs list', function () {
  this.timeout(90_000);
  const harness = new ConsoleHarness();
  before(() => harness.start({ flows: FLOWS, users: [{ name: 'ada', roles: ['admin'] }, { name: 'vic', roles: ['viewer'] }] }));
  after(() => harness.stop());

  it('a run started elsewhere appears on top of the open list and changes status in place, with no reload (GET /stream?list)', async () => {
    const older = await harness.startRun('ada', 'Report');
    await harness.server.idle();
    const p = await harness.open('#/runs');
    try {
      await p.signIn('vic');
      await p.page.locator(`tr[data-run="${older}"]`).waitFor();
      const navigations: string[] = [];
      p.page.on('framenavigated', (f) => navigations.push(f.url()));
      const runId = await harness.startRun('ada', 'Purchase', { item: 'chairs' });
      const row = p.page.locator(`tr[data-run="${runId}"]`);
      await row.locator('.status-waiting').waitFor();
      assert.equal(await p.page.locator('tbody tr').first().getAttribute('data-run'), runId, 'the new run is on top');
      assert.equal((await harness.api('ada', 'POST', `/runs/${runId}/approve`, { task: 'sign_off' })).status, 202);
      await row.locator('.status-succeeded').waitFor();
      assert.deepEqual(navigations, [], 'no reload');
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  it('a new run that does not match the filters stays out; on an older page a matching one shows as a "new runs" chip', async () => {
    const first = await harness.startRun('ada', 'Report');
    await harness.server.idle();
    const p = await harness.open('#/runs?flow=Report');
    try {
      await p.signIn('vic');
      await p.page.locator(`tr[data-run="${first}"]`).waitFor();
      assert.equal(await p.page.locator('tbody tr[data-run]').evaluateAll((rows) => rows.every((r) => r.textContent?.includes('Report'))), true, 'only Report runs');
      const purchase = await harness.startRun('ada', 'Purchase', { item: 'desks' });
      const report = await harness.startRun('ada', 'Report');
      await p.page.locator(`tr[data-run="${report}"]`).waitFor();
      assert.equal(await p.page.locator(`tr[data-run="${purchase}"]`).count(), 0, 'a Purchase run is not listed under flow=Report');
      await harness.server.idle();
      // an older page of the same filter: a new matching run is announced, not slipped in
      await p.page.evaluate((before) => (location.hash = `#/runs?flow=Report&before=${before}`), report);
      await p.page.locator(`tr[data-run="${first}"]`).waitFor();
      const another = await harness.startRun('ada', 'Report');
      await p.page.locator('#new-runs', { hasText: '1 new run' }).waitFor();
      assert.equal(await p.page.locator(`tr[data-run="${another}"]`).count(), 0);
      await p.page.locator('#new-runs').click();
      await p.page.waitForURL(/#\/runs\?flow=Report$/);
      await p.page.locator(`tr[data-run="${another}"]`).waitFor();
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  it('the status filter lives in the hash: choosing one lists only those runs, and the link can be shared', async () => {
    await harness.startRun('ada', 'Purchase', { item: 'lamps' });
    await harness.startRun('ada', 'Report');
    await harness.server.idle();
    const p = await harness.open('#/runs');
    try {
      await p.signIn('vic');
      await p.page.locator('tbody tr[data-run]').first().waitFor();
      await p.page.locator('#filter-status').click();
      await p.page.locator('#filter-status').getByRole('option', { name: 'waiting', exact: true }).click();
      await p.page.waitForURL(/#\/runs\?status=waiting$/);
      await p.page.locator('tbody tr[data-run]').first().waitFor();
      assert.deepEqual([...new Set(await p.page.locator('tbody tr[data-run]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status'))))], ['waiting']);
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  it('pages through more runs than a page with Older and Newest (keyset: the page\'s next as before), and finds text in the inputs', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 55; i++) ids.push(await harness.startRun('ada', 'Purchase', { item: `crate-${i}` }));
    await harness.server.idle();
    const p = await harness.open('#/runs?flow=Purchase&q=crate-');
    try {
      await p.signIn('vic');
      const rows = p.page.locator('tbody tr[data-run]');
      await p.page.locator(`tr[data-run="${ids[54]}"]`).waitFor();
      assert.equal(await rows.count(), 50, 'a page of 50, newest first');
      assert.equal(await rows.first().getAttribute('data-run'), ids[54]);
      await p.page.locator('#older').click();
      await p.page.locator(`tr[data-run="${ids[0]}"]`).waitFor();
      assert.deepEqual(await rows.evaluateAll((r) => r.map((row) => row.getAttribute('data-run'))), ids.slice(0, 5).reverse(), 'the 5 oldest, none twice');
      assert.equal(await p.page.locator('#older').count(), 0, 'the last page has no Older');
      await p.page.locator('#newest').click();
      await p.page.locator(`tr[data-run="${ids[54]}"]`).waitFor();
      // text in the inputs
      await p.page.locator('#filter-q input').fill('crate-17');
      await p.page.locator('#filter-q input').press('Enter');
      await p.page.waitForURL(/q=crate-17$/);
      // the first page listed crate-17 too: wait for the old page to go (crate-18 with it), not for crate-17's row
      await p.page.locator(`tr[data-run="${ids[18]}"]`).waitFor({ state: 'detached' });
      await p.page.locator(`tr[data-run="${ids[17]}"]`).waitFor();
      assert.deepEqual(await rows.evaluateAll((r) => r.map((row) => row.getAttribute('data-run'))), [ids[17]]);
      await assertClean(p);
    } finally {
      await p.close();
    }
  });
});
