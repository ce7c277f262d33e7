import assert from 'node:assert/strict';
import { assertClean, ConsoleHarness, type ConsolePage } from './console-harness.js';

const FLOWS = `
agent Worker { stub: { text: "w" }, output: { text: string } }
flow Fragile {
  trigger webhook "/fragile"
  step work: Worker { prompt: "work" }
}
flow Shipping {
  trigger webhook "/ship"
  wait event "shipment.arrived"
  step unpack: Worker { prompt: "unpack" }
}
event "payment.received" { data: { order_id: string, amount: number, method: "card" | "transfer", lines: string[] } }
flow Billing {
  trigger webhook "/bill"
  wait event "payment.received"
  step book: Worker { prompt: "book" }
}
`;

describe('the console in a browser: cancel, send an event, redrive from the runs list', function () {
  this.timeout(90_000);
  const harness = new ConsoleHarness();
  before(() => harness.start({ flows: FLOWS, users: [{ name: 'oscar', roles: ['operator'] }, { name: 'vic', roles: ['viewer'] }] }));
  after(() => harness.stop());

  const row = (p: ConsolePage, runId: string) => p.page.locator(`tr[data-run="${runId}"]`);

  it('an operator redrives a dead letter: the failed run continues from its failed step and succeeds, recorded as that user', async () => {
    harness.failNext('Worker');
    const runId = await harness.startRun('oscar', 'Fragile');
    await harness.server.idle();
    assert.equal((await harness.store.getRun(runId)).status, 'failed');
    const p = await harness.open('#/runs?status=failed');
    try {
      await p.signIn('oscar');
      await row(p, runId).locator('.status-failed').waitFor();
      await row(p, runId).locator('vscode-button.redrive').click();
      const dialog = p.page.locator('baton-action-dialog dialog[open]');
      await dialog.waitFor();
      assert.match(await dialog.innerText(), /failed:.*Worker failed \(the test asked it to\)/s);
      await dialog.locator('#action-confirm').click();
      await p.page.locator('.notice', { hasText: `redrive ${runId}: done` }).waitFor();
      await harness.server.idle();
      assert.equal((await harness.store.getRun(runId)).status, 'succeeded');
      const resumed = (await harness.store.getEvents(runId)).find((e) => e.type === 'run.resumed');
      assert.equal((resumed as { by?: string } | undefined)?.by, 'oscar', 'the redrive is recorded as the signed-in user');
      await p.page.goto(`${harness.url}/#/runs`);
      await row(p, runId).locator('.status-succeeded').waitFor();
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  it('an operator cancels a running run and sends an event to a waiting one, each through its dialog', async () => {
    const waiting = await harness.startRun('oscar', 'Shipping');
    await harness.server.idle();
    const gate = harness.gate('Worker');
    const running = await harness.startRun('oscar', 'Fragile');
    await gate.waitHeld(1);
    const p = await harness.open('#/runs');
    try {
      await p.signIn('oscar');
      await row(p, waiting).locator('.status-waiting').waitFor();
      await row(p, running).locator('vscode-button.cancel').click();
      await p.page.locator('baton-action-dialog dialog[open] #action-confirm').click();
      await p.page.locator('.notice', { hasText: `cancel ${running}: done` }).waitFor();
      gate.openAll();
      await harness.server.idle();
      assert.equal((await harness.store.getRun(running)).status, 'cancelled');
      await row(p, waiting).locator('vscode-button.send-event').click();
      const dialog = p.page.locator('baton-action-dialog dialog[open]');
      assert.equal(await dialog.locator('#event-name input').inputValue(), 'shipment.arrived', 'the event the run waits for');
      await dialog.locator('#event-data textarea').fill('{not json');
      await dialog.locator('#action-confirm').click();
      await dialog.locator('.error', { hasText: 'the data is not JSON' }).waitFor();
      await dialog.locator('#event-data textarea').fill('{"box": 3}');
      await dialog.locator('#action-confirm').click();
      await p.page.locator('.notice', { hasText: `event to ${waiting}: done` }).waitFor();
      await harness.server.idle();
      assert.equal((await harness.store.getRun(waiting)).status, 'succeeded');
      const received = (await harness.store.getEvents(waiting)).find((e) => e.type === 'event.received') as { data?: unknown } | undefined;
      assert.deepEqual(received?.data, { box: 3 });
      await assertClean(p);
    } finally {
      gate.openAll();
      await p.close();
    }
  });

  it('an event whose data type the flow declares is sent from a form generated from that type; a wrong value is said at its field', async () => {
    const waiting = await harness.startRun('oscar', 'Billing');
    await harness.server.idle();
    const p = await harness.open('#/runs');
    try {
      await p.signIn('oscar');
      await row(p, waiting).locator('vscode-button.send-event').click();
      const dialog = p.page.locator('baton-action-dialog dialog[open]');
      await dialog.locator('.event-type', { hasText: '{ order_id: string, amount: number' }).waitFor();
      assert.equal(await dialog.locator('#event-data').count(), 0, 'no JSON box for a typed event');
      assert.equal(await dialog.locator('vscode-textfield[data-input="order_id"]').count(), 1);
      assert.equal(await dialog.locator('vscode-textfield[data-input="amount"]').count(), 1);
      assert.equal(await dialog.locator('vscode-single-select[data-input="method"]').count(), 1, 'a union of literals is a list');
      assert.equal(await dialog.locator('vscode-textarea[data-input="lines"]').count(), 1, 'a list is JSON');
      await dialog.locator('[data-input="order_id"] input').fill('A-17');
      await dialog.locator('[data-input="amount"] input').fill('twelve');
      await dialog.locator('[data-input="lines"] textarea').fill('["desk"]');
      await dialog.locator('#action-confirm').click();
      await dialog.locator('[data-error-for="amount"]', { hasText: 'expects number: got "twelve"' }).waitFor();
      assert.equal((await harness.store.getEvents(waiting)).filter((e) => e.type === 'event.received').length, 0, 'nothing sent');
      await dialog.locator('[data-input="amount"] input').fill('12.5');
      await dialog.locator('#action-confirm').click();
      await p.page.locator('.notice', { hasText: `event to ${waiting}: done` }).waitFor();
      await harness.server.idle();
      assert.equal((await harness.store.getRun(waiting)).status, 'succeeded');
      const received = (await harness.store.getEvents(waiting)).find((e) => e.type === 'event.received') as { data?: unknown } | undefined;
      assert.deepEqual(received?.data, { order_id: 'A-17', amount: 12.5, method: 'card', lines: ['desk'] });
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  it('an event for a run deleted meanwhile: the dialog says the run is gone, nothing is stored, the page goes on', async () => {
    const waiting = await harness.startRun('oscar', 'Shipping');
    await harness.server.idle();
    const p = await harness.open('#/runs');
    try {
      await p.signIn('oscar');
      await row(p, waiting).locator('vscode-button.send-event').click();
      const dialog = p.page.locator('baton-action-dialog dialog[open]');
      await dialog.locator('#event-data').waitFor();
      // deleted behind the store's back (as an operator's SQL would), through the harness's handle: it holds the lock
      const tables = (harness.store as unknown as { database: { tables: { transaction(body: () => void): void; all(sql: string, values: string[]): unknown[]; run(sql: string, values: string[]): number } } }).database.tables;
      tables.transaction(() => {
        const names = (tables.all("SELECT name FROM sqlite_master WHERE type = 'table'", []) as { name: string }[]).map((t) => t.name);
        for (const t of names) if ((tables.all(`PRAGMA table_info("${t}")`, []) as { name: string }[]).some((c) => c.name === 'run_id')) tables.run(`DELETE FROM "${t}" WHERE run_id = ?`, [waiting]);
        tables.run('DELETE FROM runs WHERE id = ?', [waiting]);
      });
      await dialog.locator('#event-data textarea').fill('{"box": 1}');
      await dialog.locator('#action-confirm').click();
      await dialog.locator('.error', { hasText: `no run with id "${waiting}"` }).waitFor();
      await dialog.locator('#action-close').click();
      await p.page.locator('baton-action-dialog dialog[open]').waitFor({ state: 'detached' });
      await assert.rejects(harness.store.getRun(waiting), /no run with id/);
      assert.deepEqual(await harness.store.getEvents(waiting).catch(() => []), [], 'nothing stored for it');
      // the list still answers: another run's row is there and acts
      const other = await harness.startRun('oscar', 'Shipping');
      await row(p, other).locator('.status-waiting').waitFor();
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  it('a viewer sees the runs without action buttons', async () => {
    harness.failNext('Worker');
    const runId = await harness.startRun('oscar', 'Fragile');
    await harness.server.idle();
    const p = await harness.open('#/runs');
    try {
      await p.signIn('vic');
      await row(p, runId).locator('.status-failed').waitFor();
      assert.equal(await p.page.locator('.row-actions, vscode-button.redrive, vscode-button.cancel').count(), 0);
      await assertClean(p);
    } finally {
      await p.close();
    }
  });
});
