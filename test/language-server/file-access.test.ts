import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FlowTestsRequest, FlowsRequest, GraphRequest } from '@baton/protocol';
import { fileUri, startStdioServer, type StdioServer } from './stdio-client.js';

const SECRET = 'agent Secret { stub: "s" }\nagent Unused { stub: "u" }\nflow Hidden { step s: Secret }\ntest "hidden" { flow: Hidden }\n';

describe('language server over stdio: the files it reads', () => {
  let dir: string;
  let server: StdioServer | undefined;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-access-'));
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses baton/flows, baton/tests and baton/graph for a file outside the workspace folders, and never indexes it', async function () {
    this.timeout(60_000);
    const workspace = path.join(dir, 'ws');
    const outside = path.join(dir, 'elsewhere');
    mkdirSync(workspace);
    mkdirSync(outside);
    const main = path.join(workspace, 'main.flow');
    writeFileSync(main, 'agent A { stub: "a" }\nflow Main { step a: A }\n');
    const secret = path.join(outside, 'secret.flow');
    writeFileSync(secret, SECRET);
    server = await startStdioServer({ folder: workspace });
    await server.open(fileUri(main), 'agent A { stub: "a" }\nflow Main { step a: A }\n');
    await server.waitFor(fileUri(main), () => true);

    const uri = fileUri(secret);
    assert.deepEqual(await server.connection.sendRequest(FlowsRequest, { uri }), []);
    assert.deepEqual(await server.connection.sendRequest(GraphRequest, { uri }), { flows: [], error: 'the language server does not know this file' });
    assert.deepEqual(await server.connection.sendRequest(FlowTestsRequest, { textDocument: { uri } }), []);
    await assert.rejects(server.connection.sendRequest('textDocument/references', { textDocument: { uri }, position: { line: 0, character: 7 }, context: { includeDeclaration: true } }), /outside the workspace folders/);

    // an edit makes the server rebuild whatever it has loaded: the outside file must not be among it
    await server.connection.sendNotification('textDocument/didChange', { textDocument: { uri: fileUri(main), version: 2 }, contentChanges: [{ text: 'agent A { stub: "a" }\nflow Main { step a: A }\n\n' }] });
    await server.connection.sendRequest(FlowsRequest, { uri: fileUri(main) });
    const symbols = (await server.connection.sendRequest('workspace/symbol', { query: '' })) as { name: string }[];
    assert.deepEqual(symbols.map((s) => s.name).sort(), ['A', 'Main']);
  });

  it('answers a document the client opened itself outside the workspace folders while it is open, and forgets it when closed', async function () {
    this.timeout(60_000);
    const workspace = path.join(dir, 'ws');
    mkdirSync(workspace);
    const secret = path.join(dir, 'opened.flow');
    server = await startStdioServer({ folder: workspace });
    await server.open(fileUri(secret), SECRET);
    const flows = await server.connection.sendRequest(FlowsRequest, { uri: fileUri(secret) });
    assert.deepEqual(flows.map((f) => f.name), ['Hidden']);
    assert.deepEqual((await server.waitFor(fileUri(secret), (d) => d.length > 0)).map((d) => d.code), ['unused-agent', 'incomplete-test']);
    assert.deepEqual(((await server.connection.sendRequest('workspace/symbol', { query: 'Secret' })) as { name: string }[]).map((s) => s.name), ['Secret']);
    // once the client closes it, the server forgets it (it may not read it back)
    await server.connection.sendNotification('textDocument/didClose', { textDocument: { uri: fileUri(secret) } });
    await server.waitFor(fileUri(secret), (d) => d.length === 0);
    assert.deepEqual(await server.connection.sendRequest('workspace/symbol', { query: 'Secret' }), []);
    assert.deepEqual(await server.connection.sendRequest(FlowsRequest, { uri: fileUri(secret) }), []);
  });

  describe('a client that sends no workspace folder and no rootUri', () => {
    it('resolves an import relative to the importing file, as baton check does, with go to definition into it', async function () {
      this.timeout(60_000);
      const lib = path.join(dir, 'lib.flow');
      writeFileSync(lib, 'agent Lib { stub: "l" }\n');
      mkdirSync(path.join(dir, 'sub'));
      writeFileSync(path.join(dir, 'sub', 'deeper.flow'), 'agent Deeper { stub: "d" }\n');
      writeFileSync(lib, 'import "./sub/deeper.flow"\nagent Lib { stub: "l" }\n');
      const main = path.join(dir, 'main.flow');
      const text = 'import "./lib.flow"\nflow Main {\n  step a: Lib\n  step b: Deeper\n}\n';
      writeFileSync(main, text);
      server = await startStdioServer();
      await server.open(fileUri(main), text);
      const diagnostics = await server.waitFor(fileUri(main), () => true);
      assert.deepEqual(diagnostics.map((d) => `${d.code}: ${d.message}`), []);
      const definition = (await server.connection.sendRequest('textDocument/definition', { textDocument: { uri: fileUri(main) }, position: { line: 3, character: 11 } })) as { targetUri: string }[];
      assert.deepEqual(definition.map((l) => l.targetUri), [fileUri(path.join(dir, 'sub', 'deeper.flow'))]);
      // a file beside it that nothing imports is still not read when a request names it
      const other = path.join(dir, 'other.flow');
      writeFileSync(other, SECRET);
      assert.deepEqual(await server.connection.sendRequest(FlowsRequest, { uri: fileUri(other) }), []);
    });

    it('reports an import of a file that does not exist as import-not-found', async function () {
      this.timeout(60_000);
      const main = path.join(dir, 'main.flow');
      const text = 'import "./missing.flow"\nflow Main { wait 1s }\n';
      server = await startStdioServer();
      await server.open(fileUri(main), text);
      const diagnostics = await server.waitFor(fileUri(main), (d) => d.length > 0);
      assert.deepEqual(diagnostics.map((d) => d.code), ['import-not-found']);
    });

    it('offers no CodeLens naming a command the server does not execute', async function () {
      this.timeout(60_000);
      const main = path.join(dir, 'main.flow');
      const text = 'agent A { stub: "a" }\nflow Main { step a: A }\ntest "t" { flow: Main }\n';
      server = await startStdioServer();
      await server.open(fileUri(main), text);
      await server.waitFor(fileUri(main), () => true);
      const lenses = (await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: fileUri(main) } })) as { command?: { command: string } }[];
      const executable = new Set(server.capabilities.executeCommandProvider?.commands ?? []);
      assert.deepEqual(lenses.map((l) => l.command?.command).filter((c) => c !== undefined && !executable.has(c)), []);
    });
  });
});
