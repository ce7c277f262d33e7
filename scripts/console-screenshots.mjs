// Writes the console's screenshots for the docs: docs/images/console-{runs,run,inbox,metrics,start,notifications}.png
// in the light theme and console-*-dark.png in the dark one. Run: npm run docs:console (after npm run build; it needs
// Chromium, as the browser suite does: npm run deps:system). A real server (the browser suite's harness,
// test/console/console-harness.ts) on a temp store serves examples/console/purchase.flow and a second flow; runs are
// started, approved, rejected and failed through its API first, so every page has something to show. Look at the
// images before committing them.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConsoleHarness } from '../test/console/console-harness.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'docs', 'images');
mkdirSync(out, { recursive: true });

const ONBOARDING = `
/** Sets a new customer up: account, CRM record, welcome mail. */
agent Provisioner { output: { account: string }, stub: { account: "ACME-0042" } }
agent Crm { output: { id: string }, stub: { id: "CRM-77" } }
agent Mailer { output: { sent: boolean }, stub: { sent: true } }
flow Onboarding {
  trigger webhook "/onboarding"
  input customer: string
  step account: Provisioner { prompt: "Open an account for \${input.customer}" retry: 2 }
  parallel {
    step crm: Crm { prompt: "Record \${input.customer}" }
    step welcome: Mailer { prompt: "Welcome \${input.customer}" }
  }
}
`;

const harness = new ConsoleHarness();
await harness.start({
  flows: `${readFileSync(path.join(root, 'examples', 'console', 'purchase.flow'), 'utf8')}\n${ONBOARDING}`,
  users: [{ name: 'ann', roles: ['operator', 'approver'], groups: ['finance'] }],
  serve: { notifyChannels: ['ops-slack', 'approvers-mail'] },
});
try {
  const store = harness.store;
  await store.setNotificationsEnabled(true);
  const api = async (method, route, body) => {
    const res = await fetch(`${harness.url}${route}`, { method, headers: { authorization: 'Bearer ann-token', 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const purchases = [['laptop', 1200], ['standing desk', 640], ['monitor', 310], ['conference phone', 890], ['office chairs', 2400], ['projector', 1500]];
  const ids = [];
  for (const [item, amount] of purchases) ids.push((await api('POST', '/runs', { flow: 'Purchase', inputs: { item, amount } })).runId);
  for (const customer of ['Initech', 'Globex', 'Umbrella']) await api('POST', '/runs', { flow: 'Onboarding', inputs: { customer } });
  // one onboarding fails for good (its agent down through its retries): a dead letter
  harness.failNext('Provisioner', 3);
  await api('POST', '/runs', { flow: 'Onboarding', inputs: { customer: 'Hooli' } });
  await harness.server.idle();
  for (const [i, id] of ids.entries()) {
    if (i < 3) await api('POST', `/runs/${id}/approve`, { task: 'manager', comment: 'within budget' });
    if (i === 3) await api('POST', `/runs/${id}/reject`, { task: 'manager', comment: 'not this quarter' });
  }
  await harness.server.idle();
  // notification deliveries as a dispatcher would leave them: sent, one retrying, one dead
  const now = new Date();
  for (const n of await store.newNotifications(100)) await store.expandNotification(n.id, n.kind === 'approval.waiting' ? ['approvers-mail'] : ['ops-slack'], now);
  const claimed = await store.claimDeliveries('docs', now, 100, 60_000);
  for (const [i, d] of claimed.entries()) {
    const outcome = d.channel === 'ops-slack' ? { status: 'dead', error: 'HTTP 404: no_service (the Slack webhook was removed)' } : i === 1 ? { status: 'pending', nextAt: new Date(now.getTime() + 60_000).toISOString(), error: 'SMTP 451: 4.3.0 mailbox busy, try again later' } : { status: 'sent' };
    await store.markDelivery(d.id, 'docs', outcome, now);
  }

  const approved = ids[0];
  const shots = [
    ['runs', '#/runs', (p) => p.locator('baton-runs-page tr[data-run]').nth(8).waitFor()],
    ['run', `#/runs/${approved}`, async (p) => {
      await p.locator('.rp-graph g.node[data-id="Purchase/order"].run-succeeded').waitFor();
      await p.locator('.rp-tab[data-tab="timeline"]').click();
      await p.locator('.tl-bar[data-key="order"]').waitFor();
    }],
    ['inbox', '#/inbox', (p) => p.locator('baton-inbox-page tr[data-task="manager"]').nth(1).waitFor()],
    ['metrics', '#/metrics', (p) => p.locator('.metrics-page .kpis').waitFor()],
    ['start', '#/start/Purchase', async (p) => {
      await p.locator('vscode-textfield[data-input="item"] input').fill('laptop');
      await p.locator('vscode-textfield[data-input="amount"] input').fill('1200');
    }],
    ['notifications', '#/notifications', (p) => p.locator('tr[data-delivery][data-status="dead"]').first().waitFor()],
  ];
  for (const theme of ['light', 'dark']) {
    for (const [name, hash, ready] of shots) {
      const page = await harness.open('#/signin', { theme, width: 1280, height: 800 });
      try {
        await page.signIn('ann');
        await page.page.goto(`${harness.url}/${hash}`);
        await ready(page.page);
        // let charts and the graph settle their last frame
        await page.page.evaluate(() => new Promise((resolve) => globalThis.requestAnimationFrame(() => globalThis.requestAnimationFrame(resolve))));
        const file = path.join(out, `console-${name}${theme === 'dark' ? '-dark' : ''}.png`);
        await page.page.screenshot({ path: file });
        const problems = [...(await page.cspViolations()), ...page.offOrigin(), ...page.errors];
        if (problems.length) throw new Error(`${hash} (${theme}): ${problems.join('; ')}`);
        console.log(path.relative(root, file));
      } finally {
        await page.close();
      }
    }
  }
} finally {
  await harness.stop();
}
