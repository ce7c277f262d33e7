import assert from 'node:assert/strict';
import type { Route } from 'playwright-core';
import { ConsoleHarness } from './console-harness.js';

const FLOWS = `
agent Greeter { stub: { text: "hi" }, output: { text: string } }
flow Hello {
  trigger webhook "/hello"
  step greet: Greeter { prompt: "hello" }
}
`;

// How the console's modules load (what the runs list's open time rests on, bench/cases/console-list-page.ts):
// ordering only, no timing.
describe('the console in a browser: its modules load without waiting on each other', function () {
  this.timeout(60_000);
  const harness = new ConsoleHarness();
  before(() => harness.start({ flows: FLOWS, users: [{ name: 'ann', roles: ['approver'] }] }));
  after(() => harness.stop());

  it('the shell preloads the landing page (the runs list) and every module it imports: each is asked for before the entry script has arrived', async () => {
    const p = await harness.open('#/runs');
    try {
      await p.page.waitForURL(/#\/signin\?next=/);
      await p.page.locator('#token input').waitFor();
      const timing = await p.page.evaluate(() => (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map((r) => ({ path: new URL(r.name).pathname, start: r.startTime, end: r.responseEnd })));
      const entry = timing.find((r) => /^\/console\/app-[^/]+\.js$/.test(r.path));
      assert.ok(entry, `the entry script was loaded: ${timing.map((r) => r.path).join(', ')}`);
      const runs = timing.find((r) => /^\/console\/runs-[^/]+\.js$/.test(r.path));
      assert.ok(runs, `the runs list's module was loaded before anyone signed in: ${timing.map((r) => r.path).join(', ')}`);
      const chunks = timing.filter((r) => /^\/console\/chunk-[^/]+\.js$/.test(r.path));
      assert.ok(chunks.length > 0, 'the shared chunks were loaded');
      // a module found only by importing would be asked for after its importer arrived (the entry, or runs-*.js)
      for (const r of [runs, ...chunks]) assert.ok(r.start <= entry.end, `${r.path} asked for at ${r.start.toFixed(1)} ms, after the entry arrived at ${entry.end.toFixed(1)} ms`);
    } finally {
      await p.close();
    }
  });

  it('a page\'s module is loaded while the session is asked for, not after the answer', async () => {
    const context = await harness.browser.newContext();
    const held: Route[] = [];
    let sessionHeld: () => void = () => undefined;
    const sessionAsked = new Promise<void>((resolve) => (sessionHeld = resolve));
    await context.route('**/session', (route) => {
      held.push(route);
      sessionHeld();
    });
    try {
      const page = await context.newPage();
      // the inbox is not preloaded: its module is fetched only when the frame shows the page
      const inbox = page.waitForRequest((r) => /\/console\/inbox-[^/]+\.js$/.test(new URL(r.url()).pathname), { timeout: 20_000 });
      await page.goto(`${harness.url}/#/inbox`);
      // both asked for, in either order (the frame asks for the module first; the route sees /session a little
      // later): the module did not wait for the session's answer, which never comes while held
      await Promise.all([inbox, sessionAsked]);
      assert.equal(held.length, 1, 'GET /session was asked for and is still unanswered');
      for (const route of held.splice(0)) await route.continue();
      await page.waitForURL(/#\/signin\?next=/);
    } finally {
      await context.close();
    }
  });
});
