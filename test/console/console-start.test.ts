import assert from 'node:assert/strict';
import { assertClean, ConsoleHarness } from './console-harness.js';

const FLOWS = `
agent Worker { stub: { text: "w" }, output: { text: string } }
flow Order {
  trigger webhook "/order"
  input item: string
  input quantity: number
  input express: boolean = false
  input size: "S" | "M" | "L" = "M"
  input tags: string[] = []
  step pack: Worker { prompt: "pack \${input.item}" }
}
`;

describe('the console in a browser: start a flow from its form', function () {
  this.timeout(90_000);
  const harness = new ConsoleHarness();
  before(() => harness.start({ flows: FLOWS, users: [{ name: 'oscar', roles: ['operator'] }, { name: 'vic', roles: ['viewer'] }] }));
  after(() => harness.stop());

  it('the form has a field per typed input; a wrong number is said at its field and nothing starts; a good form opens the new run', async () => {
    const p = await harness.open('#/start/Order');
    try {
      await p.signIn('oscar');
      const form = p.page.locator('#start-form');
      await form.waitFor();
      assert.equal(await form.locator('vscode-textfield[data-input="item"]').count(), 1);
      assert.equal(await form.locator('vscode-textfield[data-input="quantity"]').count(), 1);
      assert.equal(await form.locator('vscode-checkbox[data-input="express"]').count(), 1);
      assert.equal(await form.locator('vscode-single-select[data-input="size"]').evaluate((s) => (s as HTMLSelectElement).value), 'M', 'the default is filled in');
      assert.equal(await form.locator('vscode-textarea[data-input="tags"]').count(), 1, 'a list is JSON');
      await form.locator('[data-input="item"] input').fill('chairs');
      await form.locator('[data-input="quantity"] input').fill('three');
      await p.page.locator('#start').click();
      await p.page.locator('[data-error-for="quantity"]', { hasText: 'expects number: got "three"' }).waitFor();
      assert.equal((await harness.store.listRuns({})).length, 0, 'nothing started');

      // the server judges too: a value the page let through (here changed on its way) is refused 422 and said at its field
      await p.page.route('**/runs', async (route) => {
        const body = JSON.parse(route.request().postData() ?? '{}') as { inputs: Record<string, unknown> };
        await route.continue({ postData: JSON.stringify({ ...body, inputs: { ...body.inputs, quantity: '3' } }) });
      });
      await form.locator('[data-input="quantity"] input').fill('3');
      await p.page.locator('#start').click();
      await p.page.locator('[data-error-for="quantity"]', { hasText: 'input "quantity" of flow Order expects number' }).waitFor();
      assert.equal((await harness.store.listRuns({})).length, 0, 'nothing started');
      await p.page.unroute('**/runs');

      await form.locator('[data-input="tags"] textarea').fill('["blue", "oak"]');
      await p.page.locator('#start').click();
      await p.page.waitForURL(/#\/runs\/[0-9A-Z]{26}$/);
      const runId = new URL(p.page.url()).hash.slice('#/runs/'.length);
      const run = await harness.store.getRun(runId);
      assert.deepEqual(run.inputs, { item: 'chairs', quantity: 3, express: false, size: 'M', tags: ['blue', 'oak'] });
      const started = (await harness.store.getEvents(runId)).find((e) => e.type === 'run.started');
      assert.ok(started, 'the run is stored');
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  it('the served flows are listed at #/start; a viewer\'s start is refused by the server and said on the form', async () => {
    const p = await harness.open('#/start');
    try {
      await p.signIn('vic');
      await p.page.locator('a[href="#/start/Order"]').click();
      await p.page.locator('.start .notice', { hasText: 'operator or admin' }).waitFor();
      await p.page.locator('[data-input="item"] input').fill('desks');
      await p.page.locator('[data-input="quantity"] input').fill('2');
      await p.page.locator('#start').click();
      await p.page.locator('.start .error', { hasText: 'vic (viewer) may not start runs' }).waitFor();
      assert.equal((await harness.store.listRuns({ flow: 'Order' })).filter((r) => r.inputs.item === 'desks').length, 0);
    } finally {
      await p.close();
    }
  });
});
