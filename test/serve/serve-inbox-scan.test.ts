import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowDefinition } from '../../packages/protocol/src/index.js';
import { SqliteRunStore, type RunStoreApi } from '../../packages/runtime/src/index.js';
import { inbox } from '../../packages/cli/src/serve/inbox-route.js';
import type { Principal } from '../../packages/cli/src/serve/access.js';

const DEFINITION = { version: 1, hash: 'sha256:inbox-scan', files: [], agents: {}, flows: {}, tools: {} } as unknown as WorkflowDefinition;
const admin: Principal = { name: 'ada', tenant: 'default', tenants: ['default'], roles: ['admin'], groups: [], via: 'token' };

describe('baton serve: the inbox reads every waiting run in keyset pages, up to its cap', function () {
  this.timeout(120_000);
  let dir: string;
  let store: RunStoreApi;
  const ids: string[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-inbox-scan-'));
    store = await SqliteRunStore.open(path.join(dir, 'runs.db'));
    // more waiting runs than one page (1,000) of the scan
    for (let i = 0; i < 1_050; i++) {
      const { id } = await store.createRun({ flow: 'Purchase', inputs: {}, definition: DEFINITION, startedAt: new Date(Date.UTC(2026, 11, 5) + i).toISOString() });
      await store.updateRun(id, { status: 'waiting', waitingOn: [{ kind: 'approval', task: 'sign_off', node: 'n1', options: [] }] });
      ids.push(id);
    }
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the approvals of more than 1,000 waiting runs, the oldest ones included', async () => {
    const items = await inbox(store, admin);
    assert.equal(items.length, 1_050);
    // no deadline: oldest run first
    assert.equal(items[0].runId, ids[0]);
    assert.deepEqual(new Set(items.map((i) => i.runId)), new Set(ids));
  });

  it('stops at its cap: the newest waiting runs are the ones read', async () => {
    const items = await inbox(store, admin, 1_020);
    assert.equal(items.length, 1_020);
    assert.deepEqual(new Set(items.map((i) => i.runId)), new Set(ids.slice(-1_020)));
  });
});
