import assert from 'node:assert/strict';
import { assertClean as clean, ConsoleHarness } from './console-harness.js';

const FLOWS = `
agent Greeter { stub: { text: "hi" }, output: { text: string } }
flow Hello {
  trigger webhook "/hello"
  step greet: Greeter { prompt: "hello" }
}
`;

describe('the console in a browser: sign-in, sign-out, the shell', function () {
  this.timeout(60_000);
  const harness = new ConsoleHarness();
  before(() => harness.start({ flows: FLOWS, users: [{ name: 'ann', roles: ['approver'] }, { name: 'vic', roles: ['viewer'] }] }));
  after(() => harness.stop());

  it('a signed-out visitor is sent to sign-in and back to the page asked for; a wrong token is said in place', async () => {
    const p = await harness.open('#/runs');
    try {
      await p.page.waitForURL(/#\/signin\?next=/);
      assert.equal(new URL(p.page.url()).hash, `#/signin?next=${encodeURIComponent('#/runs')}`);
      await p.page.locator('#token input').fill('not-a-token');
      await p.page.locator('#sign-in').click();
      await p.page.locator('.signin .error', { hasText: "that token is not one of this server's" }).waitFor();
      assert.equal(await p.page.locator('.topbar .who').count(), 0, 'nobody is signed in');
      await p.signIn('ann');
      await p.page.waitForURL(/#\/runs$/);
      await p.page.locator('baton-runs-page h1', { hasText: 'Runs' }).waitFor();
      assert.match(await p.page.locator('.topbar .who').innerText(), /ann\s+approver · default/);
      // the cookie is HttpOnly: the page's script cannot read it
      assert.equal(await p.page.evaluate(() => document.cookie), '');
      await clean(p);
    } finally {
      await p.close();
    }
  });

  it('a reload keeps the session (GET /session); sign-out clears it and the server refuses the old cookie', async () => {
    const p = await harness.open('#/signin');
    try {
      await p.signIn('vic');
      await p.page.reload();
      await p.page.locator('.topbar .who .user', { hasText: 'vic' }).waitFor();
      const [cookie] = await p.context.cookies();
      assert.ok(cookie?.httpOnly, 'an HttpOnly session cookie');
      const header = { cookie: `${cookie.name}=${cookie.value}` };
      assert.equal((await fetch(`${harness.url}/session`, { headers: header })).status, 200);
      await p.page.locator('#sign-out').click();
      await p.page.waitForURL(/#\/signin/);
      await p.page.locator('#token').waitFor();
      assert.equal(await p.page.locator('.topbar .who').count(), 0);
      const refused = await fetch(`${harness.url}/runs`, { headers: header });
      assert.equal(refused.status, 401, 'the old cookie is refused after sign-out');
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'SESSION_INVALID');
      // back in the page: the runs page asks for a sign-in again
      await p.page.evaluate(() => (location.hash = '#/runs'));
      await p.page.waitForURL(/#\/signin\?next=/);
      await clean(p);
    } finally {
      await p.close();
    }
  });

  it('renders the sign-in page and the runs page in light and dark without CSP violations', async () => {
    for (const theme of ['light', 'dark'] as const) {
      const p = await harness.open('#/signin', { theme });
      try {
        await p.page.locator('#token').waitFor();
        const background = await p.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        assert.equal(background, theme === 'light' ? 'rgb(255, 255, 255)' : 'rgb(31, 31, 31)', `${theme} background from the theme variables`);
        assert.equal(await p.page.evaluate(() => document.body.classList.contains(matchMedia('(prefers-color-scheme: dark)').matches ? 'vscode-dark' : 'vscode-light')), true);
        if (process.env.BATON_SCREENSHOTS) await p.page.screenshot({ path: `${process.env.BATON_SCREENSHOTS}/signin-${theme}.png` });
        await p.signIn('ann');
        await p.page.locator('baton-runs-page h1').waitFor();
        if (process.env.BATON_SCREENSHOTS) await p.page.screenshot({ path: `${process.env.BATON_SCREENSHOTS}/runs-${theme}.png` });
        await clean(p);
      } finally {
        await p.close();
      }
    }
  });
});

describe('the console in a browser: --insecure', function () {
  this.timeout(60_000);
  const harness = new ConsoleHarness();
  before(() => harness.start({ flows: FLOWS, insecure: true }));
  after(() => harness.stop());

  it('shows the red bar and the pages without a sign-in (everyone is admin)', async () => {
    const p = await harness.open('#/runs');
    try {
      await p.page.locator('.insecure-bar', { hasText: 'insecure: everyone is admin' }).waitFor();
      await p.page.locator('baton-runs-page h1', { hasText: 'Runs' }).waitFor();
      assert.match(await p.page.locator('.topbar .who').innerText(), /insecure\s+admin/);
      assert.equal(await p.page.locator('#sign-out').count(), 0, 'nothing to sign out of');
      await clean(p);
    } finally {
      await p.close();
    }
  });
});
