import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { URI } from 'langium';
import { NodeFileSystem } from 'langium/node';
import type { InitializeParams } from 'vscode-languageserver';
import { createBatonServices } from '../../language/src/index.js';

describe('the language server\'s workspace: folders a file watcher reports', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-ws-hidden-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a hidden folder of the workspace (the run store\'s .baton/runs.db.lock, gone before it is read) is not searched and logs nothing; other folders are', async () => {
    const services = createBatonServices(NodeFileSystem);
    const manager = services.shared.workspace.WorkspaceManager;
    manager.initialize({ processId: null, rootUri: null, capabilities: {}, workspaceFolders: [{ uri: URI.file(dir).toString(), name: 'ws' }] } as InitializeParams);
    mkdirSync(path.join(dir, 'flows'));
    writeFileSync(path.join(dir, 'flows', 'a.flow'), 'agent A { stub: "x" }\n');
    mkdirSync(path.join(dir, '.baton', 'hidden'), { recursive: true });
    writeFileSync(path.join(dir, '.baton', 'hidden', 'b.flow'), 'agent B { stub: "x" }\n');
    const logged: unknown[] = [];
    const error = console.error;
    console.error = (...args: unknown[]) => void logged.push(args);
    try {
      assert.deepEqual(await manager.searchFolder(URI.file(path.join(dir, '.baton', 'runs.db.lock'))), []);
      assert.deepEqual(await manager.searchFolder(URI.file(path.join(dir, '.baton', 'hidden'))), []);
      assert.deepEqual((await manager.searchFolder(URI.file(path.join(dir, 'flows')))).map((u) => path.basename(u.fsPath)), ['a.flow']);
    } finally {
      console.error = error;
    }
    assert.deepEqual(logged, []);
  });
});
