import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FlowsRequest } from '@baton/protocol';
import { fileUri, startStdioServer, type StdioServer } from './stdio-client.js';

/** Files that overflowed the stack of the parser or the checker (issue 10, item 7). */
const HOSTILE = {
  'deep-if.flow': 'flow Deep {\n' + 'if true {\n'.repeat(200) + '}\n',
  'deep-parens.flow': 'flow Parens {\n  output x: number\n  set output.x = ' + '('.repeat(60) + '1' + ')'.repeat(60) + '\n}\n',
  'long-sum.flow': 'flow Sum {\n  output x: number\n  set output.x = 1' + ' + 1'.repeat(2500) + '\n}\n',
};

describe('language server over stdio: a hostile file in the workspace at start-up', () => {
  let dir: string;
  let server: StdioServer | undefined;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-hostile-'));
    for (const [name, text] of Object.entries(HOSTILE)) writeFileSync(path.join(dir, name), text);
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves the other files checked and every request answered, and checks the hostile files too', async function () {
    this.timeout(90_000);
    const main = path.join(dir, 'main.flow');
    const text = 'agent Intake { stub: "ok" }\nflow F {\n  step a: Intak\n}\n';
    writeFileSync(main, text);
    server = await startStdioServer({ folder: dir });
    await server.open(fileUri(main), text);
    const diagnostics = await server.waitFor(fileUri(main), (d) => d.length > 0);
    assert.deepEqual(diagnostics.map((d) => d.code), ['unknown-agent', 'unused-agent']);
    const hover = (await server.connection.sendRequest('textDocument/hover', { textDocument: { uri: fileUri(main) }, position: { line: 1, character: 5 } })) as { contents: unknown } | null;
    assert.ok(hover, 'hover is answered');
    assert.deepEqual((await server.connection.sendRequest(FlowsRequest, { uri: fileUri(main) })).map((f) => f.name), ['F']);
    for (const [name, hostile] of Object.entries(HOSTILE)) {
      const uri = fileUri(path.join(dir, name));
      await server.open(uri, hostile);
      // checked: its diagnostics are published (a check-failed error, or what the checker makes of it)
      const own = await server.waitFor(uri, () => true);
      assert.ok(own.filter((d) => d.code === 'check-failed').length <= 1, `${name}: at most one check-failed`);
      assert.ok(own.every((d) => d.range.end.line <= hostile.split('\n').length), `${name}'s diagnostics are inside it`);
      const symbols = await server.connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri } });
      assert.ok(Array.isArray(symbols), `${name}: documentSymbol answered`);
    }
    assert.equal(server.child.exitCode, null, 'the server is alive');
    assert.doesNotMatch(server.stderr(), /Parser stack is not empty/);
  });
});
