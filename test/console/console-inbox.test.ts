import assert from 'node:assert/strict';
import type { RunEvent } from '../../packages/protocol/src/index.js';
import { assertClean, ConsoleHarness } from './console-harness.js';

const FLOWS = `
agent Greeter { stub: { text: "hi" }, output: { text: string } }
flow Purchase {
  trigger webhook "/purchase"
  input item: string
  approval sign_off { prompt: "buy \${input.item}?", assignee: "finance", timeout: 2h }
  step thank: Greeter { prompt: "thanks" }
}
`;

describe('the console in a browser: the inbox', function () {
  this.timeout(90_000);
  const harness = new ConsoleHarness();
  before(() =>
    harness.start({
      flows: FLOWS,
      users: [
        { name: 'ann', roles: ['approver'], groups: ['finance'] },
        { name: 'vic', roles: ['viewer'] },
        { name: 'oscar', roles: ['operator'] },
        { name: 'ada', roles: ['admin'] },
      ],
    }),
  );
  after(() => harness.stop());

  /** A Purchase run waiting on its approval. */
  const waitingRun = async (item: string): Promise<string> => {
    const runId = await harness.startRun('oscar', 'Purchase', { item });
    await harness.server.idle();
    return runId;
  };
  const decidedEvent = async (runId: string): Promise<Extract<RunEvent, { type: 'approval.decided' }> | undefined> =>
    (await harness.store.getEvents(runId)).find((e): e is Extract<RunEvent, { type: 'approval.decided' }> => e.type === 'approval.decided');

  it('an approver approves from the inbox with a comment: the decision is stored as that user, the page says so', async () => {
    const runId = await waitingRun('chairs');
    const p = await harness.open('#/inbox');
    try {
      await p.signIn('ann');
      const row = p.page.locator(`tr[data-run="${runId}"]`);
      await row.waitFor();
      assert.match(await row.locator('td.deadline').innerText(), /^due in 1 h 5\d min|^due in 2 h$/);
      assert.match(await row.innerText(), /buy chairs\?/);
      await row.locator('vscode-textfield.comment input').fill('within budget');
      await row.locator('vscode-button.approve').click();
      await p.page.locator('.decided-notice', { hasText: `sign_off of Purchase run ${runId}: approved by ann.` }).waitFor();
      const decided = await decidedEvent(runId);
      assert.equal(decided?.by, 'ann', 'the decision is the signed-in user\'s');
      assert.equal(decided?.decision, 'approved');
      assert.equal(decided?.comment, 'within budget');
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  it('a deep link focuses its row; once decided, the same link says who decided it', async () => {
    const other = await waitingRun('desks');
    const runId = await waitingRun('lamps');
    const p = await harness.open(`#/inbox?run=${runId}&task=sign_off`);
    try {
      await p.signIn('ann');
      // back on the linked page after sign-in, the row focused
      await p.page.waitForURL(new RegExp(`#/inbox\\?run=${runId}&task=sign_off$`));
      const row = p.page.locator(`tr[data-run="${runId}"].focused`);
      await row.waitFor();
      assert.equal(await p.page.locator('tr.focused').count(), 1);
      assert.equal(await p.page.locator(`tr[data-run="${other}"].focused`).count(), 0);
      // the row's comment field takes the focus
      await p.page.waitForFunction(`document.querySelector('tr.focused').contains(document.activeElement)`);
      const decided = await harness.api('ada', 'POST', `/runs/${runId}/reject`, { task: 'sign_off', comment: 'too dear' });
      assert.equal(decided.status, 202);
      await p.page.reload();
      await p.page.locator('.link-state.link-decided', { hasText: `already decided by ada: rejected` }).waitFor();
      assert.match(await p.page.locator('.link-state').innerText(), /too dear/);
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  it('a decision made before the live stream is open still takes its row out: the inbox reads again when the stream opens', async () => {
    const runId = await waitingRun('benches');
    const p = await harness.open('#/inbox');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // the stream's request waits until the decision is made (a slow connection, a busy server)
    await p.page.route(/\/stream\?/, async (route) => {
      await held;
      await route.continue();
    });
    try {
      await p.signIn('ann');
      const row = p.page.locator(`tr[data-run="${runId}"]`);
      await row.waitFor();
      assert.equal((await harness.api('ada', 'POST', `/runs/${runId}/approve`, { task: 'sign_off' })).status, 202);
      await harness.server.idle();
      release();
      await row.waitFor({ state: 'detached' });
      await assertClean(p);
    } finally {
      release();
      await p.close();
    }
  });

  it('a decision made elsewhere takes its row out of an open inbox, live (GET /stream?inbox), with no reload', async () => {
    const runId = await waitingRun('staplers');
    const p = await harness.open('#/inbox');
    try {
      await p.signIn('ann');
      const row = p.page.locator(`tr[data-run="${runId}"]`);
      await row.waitFor();
      assert.equal((await harness.api('ada', 'POST', `/runs/${runId}/approve`, { task: 'sign_off' })).status, 202);
      await row.waitFor({ state: 'detached' });
      await assertClean(p);
    } finally {
      await p.close();
    }
  });

  it('without live updates (the stream refused), a stale row\'s decision is refused by the server and the refusal is shown in the row', async () => {
    const runId = await waitingRun('pens');
    const p = await harness.open('#/signin');
    try {
      await p.page.route('**/stream?*', (route) => route.fulfill({ status: 503, body: '' }));
      await p.signIn('ann');
      await p.page.evaluate(() => (location.hash = '#/inbox'));
      // the inbox's row: the runs list the sign-in led to stays shown, with a row of the same data-run, until the
      // inbox's module has loaded (a bare tr[data-run] may match that row, and the decision below then precedes the
      // inbox's GET /approvals: the inbox never lists the run)
      const row = p.page.locator(`baton-inbox-page tr[data-run="${runId}"]`);
      await row.waitFor();
      assert.equal((await harness.api('ada', 'POST', `/runs/${runId}/approve`, { task: 'sign_off' })).status, 202);
      await row.locator('vscode-button.approve').click();
      // refused: the run went on after ada's decision (409 RUN_FINISHED or TASK_NOT_WAITING, as far as it got)
      await row.locator('.row-error').waitFor();
      assert.match(await row.locator('.row-error').innerText(), new RegExp(`run ${runId} has (already succeeded|no approval "sign_off" waiting)`));
      assert.equal(await row.locator('.decided').count(), 0);
      assert.equal((await decidedEvent(runId))?.by, 'ada', 'the first decision stands');
    } finally {
      await p.close();
    }
  });

  for (const motion of ['no-preference', 'reduce'] as const) {
    it(`a row decided from the inbox leaves the list, the other rows stay as they were (prefers-reduced-motion: ${motion})`, async () => {
      // the row decided is above the one that stays (its deadline is nearer): the rows below it are not faded with it
      const runId = await waitingRun(`goes-${motion}`);
      const stays = await waitingRun(`stays-${motion}`);
      const p = await harness.open('#/inbox');
      try {
        await p.page.emulateMedia({ reducedMotion: motion });
        await p.signIn('ann');
        const row = p.page.locator(`tr[data-run="${runId}"]`);
        await row.waitFor();
        await row.locator('vscode-button.reject').click();
        await row.waitFor({ state: 'detached' });
        await p.page.locator('.decided-notice', { hasText: `run ${runId}: rejected by ann` }).waitFor();
        const kept = p.page.locator(`tr[data-run="${stays}"]`);
        assert.equal(await kept.locator('vscode-button.approve').count(), 1, 'the other row stays, undecided');
        assert.match(await kept.innerText(), new RegExp(`buy stays-${motion}\\?`), 'the row shows its own approval');
        assert.equal(await kept.evaluate((row) => getComputedStyle(row).opacity), '1', 'the row that stays is not faded');
        assert.equal((await decidedEvent(runId))?.decision, 'rejected');
        await assertClean(p);
      } finally {
        await p.close();
      }
    });
  }

  it('a viewer sees no approvals and no buttons; the deep link says it may not decide; a forced POST is refused 403', async () => {
    const runId = await waitingRun('paper');
    const p = await harness.open(`#/inbox?run=${runId}&task=sign_off`);
    try {
      await p.signIn('vic');
      await p.page.locator('.link-state.link-not-yours', { hasText: 'vic (viewer) may not decide it' }).waitFor();
      assert.equal(await p.page.locator(`tr[data-run="${runId}"]`).count(), 0);
      assert.equal(await p.page.locator('vscode-button.approve, vscode-button.reject').count(), 0, 'no decision buttons');
      assert.equal(await p.page.locator('.topbar nav a', { hasText: 'Start' }).count(), 0, 'no start page for a viewer');
      // the same request the Approve button makes, forced from the page with the viewer's session
      const forced = await p.page.evaluate(async (id) => {
        const session = (await (await fetch('/session')).json()) as { csrfToken: string };
        const res = await fetch(`/runs/${id}/approve`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken, 'x-baton-action-id': crypto.randomUUID() }, body: JSON.stringify({ task: 'sign_off' }) });
        return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
      }, runId);
      assert.equal(forced.status, 403);
      assert.equal(forced.body.error.code, 'FORBIDDEN');
      assert.equal(await decidedEvent(runId), undefined, 'nothing decided');
      assert.equal((await harness.store.getRun(runId)).status, 'waiting');
      await assertClean(p);
    } finally {
      await p.close();
    }
  });
});

describe('the console in a browser: SLA marks', function () {
  this.timeout(90_000);
  const harness = new ConsoleHarness();
  const HOUR = 3600_000;
  // the server's clock runs 2 h behind the browser's: its approvals were asked for 2 h ago as the page sees them
  before(() =>
    harness.start({
      flows: `
flow Urgent {
  trigger webhook "/urgent"
  approval go_ahead { prompt: "go?", timeout: 3h, sla: 1h }
}
flow Relaxed {
  trigger webhook "/relaxed"
  approval later { prompt: "later?", timeout: 9h, sla: 8h }
}
`,
      users: [{ name: 'ada', roles: ['admin'] }],
      serve: { now: () => new Date(Date.now() - 2 * HOUR) },
    }),
  );
  after(() => harness.stop());

  it('an approval past its SLA is marked breached in the inbox, one within it says when; the run\'s list row carries the red SLA mark once the breach is recorded', async () => {
    const urgent = await harness.startRun('ada', 'Urgent');
    const relaxed = await harness.startRun('ada', 'Relaxed');
    await harness.server.idle();
    // the breach poll, at the browser's now (1 h after the Urgent SLA)
    await harness.server.timers.poll(Date.now());
    assert.ok((await harness.store.getRun(urgent)).slaBreachedAt, 'the breach is recorded');
    const p = await harness.open('#/inbox');
    try {
      await p.signIn('ada');
      await p.page.locator(`tr[data-run="${urgent}"] .sla.sla-breached`, { hasText: 'SLA breached' }).waitFor();
      assert.match(await p.page.locator(`tr[data-run="${relaxed}"] .sla`).innerText(), /^SLA in 5 h 5\d min|^SLA in 6 h$/);
      assert.equal(await p.page.locator(`tr[data-run="${relaxed}"] .sla-breached`).count(), 0);
      await p.page.evaluate(() => (location.hash = '#/runs'));
      await p.page.locator(`tr[data-run="${urgent}"] span.sla-breached`, { hasText: 'SLA' }).waitFor();
      assert.equal(await p.page.locator(`tr[data-run="${relaxed}"] span.sla-breached`).count(), 0);
      await assertClean(p);
    } finally {
      await p.close();
    }
  });
});
