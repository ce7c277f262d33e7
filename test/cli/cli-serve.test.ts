import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { baton, serveUntilBanner, tempWorkspace } from './cli-helper.js';

describe('baton serve (the command)', function () {
  this.timeout(60_000);
  let ws: ReturnType<typeof tempWorkspace>;
  beforeEach(() => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'hook.flow'), 'agent A { stub: "ok" }\nflow Hook {\n  trigger webhook "/go"\n  step a: A\n}\n');
  });
  afterEach(() => ws.cleanup());

  it('refuses to start without a webhook secret unless --insecure, and on a bad --port, --concurrency, --warm-up or --request-timeout (exit 2)', () => {
    const noSecret = baton(['serve', '.'], { cwd: ws.dir, env: { BATON_WEBHOOK_SECRET: '' } });
    assert.equal(noSecret.code, 2);
    assert.equal(noSecret.stderr.trim(), 'baton: set BATON_WEBHOOK_SECRET (webhooks and events must be signed with it), or pass --insecure for local use');
    const badPort = baton(['serve', '.', '--insecure', '--port', 'eighty'], { cwd: ws.dir });
    assert.equal(badPort.code, 2);
    assert.match(badPort.stderr, /--port eighty: expected a port number/);
    const badConcurrency = baton(['serve', '.', '--insecure', '--concurrency', '0'], { cwd: ws.dir });
    assert.equal(badConcurrency.code, 2);
    assert.equal(badConcurrency.stderr.trim(), 'baton: --concurrency 0: expected a whole number of runs from 1 to 10000');
    const badWarmUp = baton(['serve', '.', '--insecure', '--warm-up', 'lots'], { cwd: ws.dir });
    assert.equal(badWarmUp.code, 2);
    assert.equal(badWarmUp.stderr.trim(), 'baton: --warm-up lots: expected a whole number of runs from 0 to 10000');
    const badTimeout = baton(['serve', '.', '--insecure', '--request-timeout', 'soon'], { cwd: ws.dir });
    assert.equal(badTimeout.code, 2);
    assert.equal(badTimeout.stderr.trim(), 'baton: --request-timeout soon: expected a duration from 100ms to 1h, such as 30s, 500ms or 30000');
  });

  it('with --agents real, a served flow whose agent has no key stops the server from starting (exit 2), naming the variable', () => {
    mkdirSync(path.join(ws.dir, 'real'));
    writeFileSync(path.join(ws.dir, 'real', 'real.flow'), 'agent Writer { model: "openai/gpt-4o-mini" }\nflow Draft {\n  trigger webhook "/draft"\n  step w: Writer\n}\n');
    const r = baton(['serve', 'real', '--insecure', '--agents', 'real'], { cwd: ws.dir, env: { OPENAI_API_KEY: '' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /agent Writer \(openai\/gpt-4o-mini\) needs an API key: set the environment variable OPENAI_API_KEY/);
  });

  it('serves a signed webhook, then stops gracefully on SIGTERM (exit 0); its warm-up leaves nothing behind', async () => {
    // the executor warms up (--warm-up, 96 runs by default) on a private store in the temporary folder
    const tmp = path.join(ws.dir, 'tmp');
    mkdirSync(tmp);
    const { child, url, stdout } = await serveUntilBanner(['.', '--port', '0', '--store', 'runs.db'], { cwd: ws.dir, env: { BATON_WEBHOOK_SECRET: 's3cret', TMPDIR: tmp } });
    assert.match(stdout(), /POST \/go {2}→ hook\.flow · Hook/);
    const body = '{}';
    const res = await fetch(`${url}/go`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-signature': `sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}` }, body });
    assert.equal(res.status, 202);
    // the run executes on the server's executor thread after the answer: /health counts it until it stops
    for (;;) {
      const health = (await (await fetch(`${url}/health`)).json()) as { active: number; queued: number };
      if (health.active === 0 && health.queued === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    const list = baton(['runs', 'list', '--store', 'runs.db', '--json'], { cwd: ws.dir });
    // the webhook's run only: the warm-up's runs went to its own store, which is gone
    assert.deepEqual((JSON.parse(list.stdout) as { flow: string; status: string }[]).map((r) => `${r.flow} ${r.status}`), ['Hook succeeded']);
    assert.deepEqual(readdirSync(tmp), []);
  });
});
