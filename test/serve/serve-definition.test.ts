import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sqlite from 'node-sqlite3-wasm';
import type { FlowGraph } from '../../packages/protocol/src/index.js';
import { definitionHash, SqliteRunStore, type RunStoreApi } from '../../packages/runtime/src/index.js';
import type { BatonServer } from '../../packages/cli/src/serve/server.js';
import { sourceTokens } from '../../packages/cli/src/serve/source-tokens.js';
import { localNames } from '../../packages/cli/src/serve/definition-route.js';
import { ACME, GLOBEX, sign, startTestServer } from './serve-fixtures.js';

/** `GET /runs/:id/definition`: the run page's graph and highlighted source, with the runs API's auth and tenant rules. */

const FLOWS = `// purchases
agent Greeter { stub: { text: "hi" }, output: { text: string } }
flow Purchase {
  trigger webhook "/purchase"
  input item: string
  step ask: Greeter { prompt: "buy \${input.item}?", retry: 2 }
  approval sign_off { prompt: "ok?", timeout: 2d }
}
`;

describe('baton serve: GET /runs/:id/definition', function () {
  this.timeout(30_000);
  let dir: string;
  let store: RunStoreApi;
  let server: BatonServer;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-definition-'));
    writeFileSync(path.join(dir, 'purchase.flow'), FLOWS);
    await boot();
  });
  const boot = async () => {
    store = await SqliteRunStore.open(path.join(dir, 'runs.db'));
    server = await startTestServer(dir, { store });
  };
  afterEach(async () => {
    await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async (): Promise<string> => {
    const text = JSON.stringify({ item: 'desk' });
    const res = await fetch(`${server.url}/purchase`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-signature': sign(ACME.webhookSecret, text) }, body: text });
    assert.equal(res.status, 202, await res.clone().text());
    return ((await res.json()) as { runId: string }).runId;
  };
  const get = async (token: string, route: string) => {
    const res = await fetch(`${server.url}${route}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
  };

  it("answers the graph built from the run's stored definition, its hash, and the stored sources with the lexer's tokens", async () => {
    const id = await start();
    await server.idle();
    const { status, body } = await get(ACME.apiToken, `/runs/${id}/definition`);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.hash, definitionHash(await store.getDefinition(id)));
    assert.equal(body.flow, 'Purchase');
    const graph = body.graph as FlowGraph;
    assert.deepEqual(
      graph.nodes.filter((n) => n.kind === 'step' || n.kind === 'approval').map((n) => [n.id, n.label]),
      [
        ['Purchase/ask', 'ask'],
        ['Purchase/sign_off', 'sign_off'],
      ],
    );
    // no server folder reaches the page: files are named within the served folder
    assert.equal(graph.nodes.find((n) => n.id === 'Purchase/ask')!.range!.file, 'purchase.flow');
    assert.ok(!JSON.stringify(body).includes(dir), 'the answer names no server path');
    const sources = body.sources as { file: string; text: string; tokens: [number, number, string][] }[];
    assert.deepEqual(sources.map((s) => s.file), ['purchase.flow']);
    assert.equal(sources[0].text, FLOWS);
    assert.deepEqual(sources[0].tokens, sourceTokens(FLOWS));
    assert.equal(body.sourceError, undefined);
  });

  it("another tenant's run is a missing one (404 RUN_NOT_FOUND); no token is 401; another method 405", async () => {
    const id = await start();
    await server.idle();
    assert.deepEqual([(await get(GLOBEX.apiToken, `/runs/${id}/definition`)).status, (await get(GLOBEX.apiToken, `/runs/${id}/definition`)).body.error?.code], [404, 'RUN_NOT_FOUND']);
    assert.equal((await fetch(`${server.url}/runs/${id}/definition`)).status, 401);
    const post = await fetch(`${server.url}/runs/${id}/definition`, { method: 'POST', headers: { authorization: `Bearer ${ACME.apiToken}` } });
    assert.equal(post.status, 405);
  });

  it('a run stored without its texts (before the store kept them) still gets its graph, with sourceError SOURCE_NOT_STORED', async () => {
    const id = await start();
    await server.idle();
    // another definition (an empty event table more: another hash), stored the way older builds did — without its texts
    const definition = { ...(await store.getDefinition(id)), events: {} };
    const old = await store.createRun({ flow: 'Purchase', inputs: { item: 'desk' }, definition, startedAt: new Date().toISOString(), status: 'queued', tenant: 'acme' });
    const { status, body } = await get(ACME.apiToken, `/runs/${old.id}/definition`);
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body.sources, []);
    assert.equal((body.sourceError as { code: string }).code, 'SOURCE_NOT_STORED');
    assert.match((body.sourceError as { message: string }).message, /is not stored \(the run started before this store kept sources\)/);
    assert.ok((body.graph as FlowGraph).nodes.some((n) => n.id === 'Purchase/ask'));
  });

  it('a run whose definition is no longer in the store: 404 DEFINITION_MISSING, and the run itself is still served', async () => {
    const id = await start();
    await server.idle();
    // the store is closed while the file is changed (an open store holds it), then served again
    await server.close();
    await store.close();
    const db = new sqlite.Database(path.join(dir, 'runs.db'));
    try {
      db.run('DELETE FROM definitions');
    } finally {
      db.close();
    }
    await boot();
    const { status, body } = await get(ACME.apiToken, `/runs/${id}/definition`);
    assert.equal(status, 404);
    assert.equal(body.error?.code, 'DEFINITION_MISSING');
    assert.match(body.error!.message, new RegExp(`the definition.* of run ${id} is not in this store: no graph or source`));
    assert.equal((await get(ACME.apiToken, `/runs/${id}`)).status, 200);
  });
});

describe('definition route: file names for pages', () => {
  it('names files relative to the deepest folder holding them all; one outside keeps its last segment', () => {
    const local = localNames(['/srv/flows/a.flow', '/srv/flows/lib/b.flow']);
    assert.deepEqual(['/srv/flows/a.flow', '/srv/flows/lib/b.flow', '/elsewhere/c.flow'].map(local), ['a.flow', 'lib/b.flow', 'c.flow']);
    assert.equal(localNames(['/srv/flows/only.flow'])('/srv/flows/only.flow'), 'only.flow');
    assert.equal(localNames(['C:\\flows\\a.flow', 'C:\\flows\\b.flow'])('C:\\flows\\b.flow'), 'b.flow');
  });
});

describe('source tokens: the Baton lexer highlights a .flow text', () => {
  it('classes keywords, names, strings with their template pieces, durations, numbers and comments, in order, without overlap', () => {
    const text = '// note\nflow A {\n  step s: G { prompt: "a ${x} b", retry: 3, timeout: 2h }\n}\n';
    const pieces = sourceTokens(text).map(([o, l, k]) => [k, text.slice(o, o + l)]);
    assert.deepEqual(pieces, [
      ['comment', '// note'],
      ['keyword', 'flow'],
      ['name', 'A'],
      ['keyword', 'step'],
      ['name', 's'],
      ['name', 'G'],
      ['keyword', 'prompt'],
      ['string', '"a ${'],
      ['name', 'x'],
      ['string', '} b"'],
      ['keyword', 'retry'],
      ['number', '3'],
      ['keyword', 'timeout'],
      ['number', '2h'],
    ]);
  });

  it('a text the lexer cannot read whole is highlighted as far as its tokens go, never thrown', () => {
    const text = 'flow A { § step }';
    assert.deepEqual(
      sourceTokens(text).map(([o, l, k]) => [k, text.slice(o, o + l)]),
      [
        ['keyword', 'flow'],
        ['name', 'A'],
        ['keyword', 'step'],
      ],
    );
  });
});
