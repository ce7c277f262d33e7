import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFlowAuthoring } from '@baton/language';
import type { FlowGeneratedEvent, FlowGraph } from '../../packages/protocol/src/index.js';
import { installFlowAuthoring, SqliteRunStore, type RunStoreApi } from '../../packages/runtime/src/index.js';
import type { BatonServer } from '../../packages/cli/src/serve/server.js';
import { ACME, GLOBEX, sign, startTestServer } from './serve-fixtures.js';
import { writtenFlowSource } from '../support/written-flow.js';

/** `GET /runs/:id/definition?generated=<hash>`: a flow an agent wrote in a run, for the console's run page (issue 14). */

const FLOWS = writtenFlowSource({ trigger: '/dispatch' });

describe('baton serve: GET /runs/:id/definition?generated=', function () {
  this.timeout(60_000);
  let dir: string;
  let store: RunStoreApi;
  let server: BatonServer;

  before(async () => {
    installFlowAuthoring(createFlowAuthoring());
    dir = mkdtempSync(path.join(tmpdir(), 'baton-generated-'));
    writeFileSync(path.join(dir, 'dispatch.flow'), FLOWS);
    store = await SqliteRunStore.open(path.join(dir, 'runs.db'));
    server = await startTestServer(dir, { store });
  });
  after(async () => {
    installFlowAuthoring(undefined);
    await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (token: string, route: string) => {
    const res = await fetch(`${server.url}${route}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string } } };
  };

  it("answers the written flow's graph and source, only for a hash the run accepted, only to the run's tenant", async () => {
    const text = '{}';
    const res = await fetch(`${server.url}/dispatch`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-baton-signature': sign(ACME.webhookSecret, text) }, body: text });
    assert.equal(res.status, 202, await res.clone().text());
    const { runId } = (await res.json()) as { runId: string };
    await server.idle();
    const run = await store.getRun(runId);
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    const accepted = (await store.getEvents(runId)).find((e): e is FlowGeneratedEvent => e.type === 'flow.generated')!;
    const { status, body } = await get(ACME.apiToken, `/runs/${runId}/definition?generated=${accepted.definition}`);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.flow, 'Custom');
    assert.deepEqual((body.graph as FlowGraph).nodes.filter((n) => n.kind === 'step').map((n) => n.id), ['Custom/look']);
    const sources = body.sources as { file: string; text: string }[];
    assert.deepEqual(sources.map((s) => s.file), ['Custom.generated.flow']);
    assert.match(sources[0].text, /^import "\.\/dispatch\.flow"\nflow Custom \{/);
    assert.ok(!JSON.stringify(body).includes(dir), 'no server path');
    const other = `sha256:${'0'.repeat(64)}`;
    assert.deepEqual([(await get(ACME.apiToken, `/runs/${runId}/definition?generated=${other}`)).body.error?.code], ['GENERATED_NOT_FOUND']);
    assert.equal((await get(ACME.apiToken, `/runs/${runId}/definition?generated=nope`)).status, 400);
    assert.equal((await get(GLOBEX.apiToken, `/runs/${runId}/definition?generated=${accepted.definition}`)).status, 404);
  });
});
