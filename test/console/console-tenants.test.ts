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
`;

describe('the console in a browser: a user of several tenants', function () {
  this.timeout(90_000);
  const harness = new ConsoleHarness();
  before(() =>
    harness.start({
      flows: FLOWS,
      users: [
        { name: 'tess', roles: ['operator', 'approver'], tenants: ['acme', 'globex'] },
        { name: 'vic', roles: ['viewer'], tenant: 'acme' },
      ],
      serve: { tenants: [{ id: 'acme' }, { id: 'globex' }] },
    }),
  );
  after(() => harness.stop());

  const startIn = async (tenant: string, item: string): Promise<string> => {
    const { status, body } = await harness.api<{ runId: string }>('tess', 'POST', `/runs?tenant=${tenant}`, { flow: 'Purchase', inputs: { item } });
    assert.equal(status, 202, JSON.stringify(body));
    return body.runId;
  };

  it("switching tenant in the header lists the other tenant's runs only, as a filter chip, and its live rows only; the inbox follows", async () => {
    const inAcme = await startIn('acme', 'desk');
    const inGlobex = await startIn('globex', 'chair');
    await harness.server.idle();
    const p = await harness.open('#/runs');
    try {
      await p.signIn('tess');
      await p.page.locator(`tr[data-run="${inAcme}"]`).waitFor();
      assert.equal(await p.page.locator('#filter-tenant').innerText(), 'tenant: acme', 'her first tenant');
      assert.equal(await p.page.locator(`tr[data-run="${inGlobex}"]`).count(), 0);

      await p.page.locator('#tenant-picker').click();
      await p.page.locator('#tenant-picker').getByRole('option', { name: 'globex', exact: true }).click();
      await p.page.waitForURL(/#\/runs\?tenant=globex$/);
      await p.page.locator(`tr[data-run="${inGlobex}"]`).waitFor();
      assert.equal(await p.page.locator('#filter-tenant').innerText(), 'tenant: globex');
      assert.deepEqual(await p.page.locator('tbody tr[data-run]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-run'))), [inGlobex], "globex's runs only");
      // live: a run of acme started first, then one of globex — only globex's appears (the stream is globex's)
      const laterAcme = await startIn('acme', 'lamp');
      const laterGlobex = await startIn('globex', 'sofa');
      await p.page.locator(`tr[data-run="${laterGlobex}"]`).waitFor();
      assert.equal(await p.page.locator(`tr[data-run="${laterAcme}"]`).count(), 0, 'no live row of acme');
      assert.ok(p.requests.some((u) => /\/stream\?list.*tenant=globex/.test(u)), 'the stream of globex');
      // the header's links keep the tenant: the inbox lists globex's approvals
      await p.page.locator('.topbar nav a', { hasText: 'Inbox' }).click();
      await p.page.waitForURL(/#\/inbox\?tenant=globex$/);
      await p.page.locator(`tr[data-run="${inGlobex}"]`).waitFor();
      assert.equal(await p.page.locator(`tr[data-run="${inAcme}"]`).count(), 0, 'no approval of acme');
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  it("a notification's link naming a tenant opens the run there after sign-in; a one-tenant user has no picker", async () => {
    const inGlobex = await startIn('globex', 'table');
    await harness.server.idle();
    const p = await harness.open(`#/inbox?run=${inGlobex}&task=sign_off&tenant=globex`);
    try {
      await p.signIn('tess');
      await p.page.locator(`tr[data-run="${inGlobex}"].focused`).waitFor();
      assert.equal(await p.page.locator('.topbar .who .muted').innerText(), 'operator, approver · globex');
    } finally {
      await p.close();
    }
    const v = await harness.open('#/runs');
    try {
      await v.signIn('vic');
      await v.page.locator('tbody tr[data-run]').first().waitFor();
      assert.deepEqual([await v.page.locator('#tenant-picker').count(), await v.page.locator('#filter-tenant').count()], [0, 0]);
      await assertClean(v);
    } finally {
      await v.close();
    }
  });
});
