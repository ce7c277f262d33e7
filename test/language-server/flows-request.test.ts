import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node.js';
import { FlowsRequest, type FlowInfo } from '@baton/protocol';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER = path.join(ROOT, 'out', 'language-server.cjs');

const SHARED = `agent Pager { instructions: "page" stub: { ok: true } }
flow Page {
  input who: string
  step page: Pager { prompt: "page \${input.who}" }
}
`;

const MAIN = `import "shared.flow"
type Tier = "GOLD" | "SILVER"
agent Intake { instructions: "x" stub: { n: 1 } }
flow Onboard {
  input name: string
  input tier: Tier = "GOLD"
  input seats: number = 5
  input tags: string[] = ["new"]
  input vip: boolean
  step intake: Intake { prompt: "hi \${input.name}" }
  if intake.output.n > 0 {
    approval sign { prompt: "ok?" }
  }
  step escalate: Page { input: { who: "ops" } }
}
`;

describe('the baton/flows request (language server over stdio)', () => {
  let dir: string;
  let child: ChildProcess;
  let connection: MessageConnection;

  before(async function () {
    this.timeout(30_000);
    assert.ok(existsSync(SERVER), `${SERVER} is missing: run npm run build first`);
    dir = mkdtempSync(path.join(tmpdir(), 'baton-flows-'));
    writeFileSync(path.join(dir, 'shared.flow'), SHARED);
    writeFileSync(path.join(dir, 'main.flow'), MAIN);
    child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    connection.onRequest('workspace/configuration', () => []);
    connection.onRequest('client/registerCapability', () => null);
    connection.onNotification('textDocument/publishDiagnostics', () => undefined);
    connection.listen();
    const folder = pathToFileURL(dir).toString();
    await connection.sendRequest('initialize', { processId: process.pid, rootUri: folder, workspaceFolders: [{ uri: folder, name: 'ws' }], capabilities: {} });
    await connection.sendNotification('initialized', {});
  });

  after(async () => {
    try {
      await connection.sendRequest('shutdown');
      await connection.sendNotification('exit');
    } catch {
      // already gone
    }
    connection.dispose();
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  async function flowsOf(file: string): Promise<FlowInfo[]> {
    const uri = pathToFileURL(path.join(dir, file)).toString();
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'baton', version: 1, text: file === 'main.flow' ? MAIN : SHARED } });
    return connection.sendRequest(FlowsRequest, { uri });
  }

  it('lists the document\'s flows first, with typed inputs and their defaults as a person types them', async function () {
    this.timeout(30_000);
    const flows = await flowsOf('main.flow');
    assert.deepEqual(flows.map((f) => [f.name, f.local]), [['Onboard', true], ['Page', false]]);
    const [onboard] = flows;
    assert.equal(onboard.uri, pathToFileURL(path.join(dir, 'main.flow')).toString());
    assert.deepEqual(onboard.range, { start: { line: 3, character: 0 }, end: { line: 14, character: 1 } });
    assert.deepEqual(onboard.inputs, [
      { name: 'name', type: 'string', typeRef: { kind: 'string' } },
      { name: 'tier', type: '"GOLD" | "SILVER"', typeRef: { kind: 'union', types: [{ kind: 'literal', value: 'GOLD' }, { kind: 'literal', value: 'SILVER' }] }, default: 'GOLD', defaultValue: 'GOLD' },
      { name: 'seats', type: 'number', typeRef: { kind: 'number' }, default: '5', defaultValue: 5 },
      { name: 'tags', type: 'string[]', typeRef: { kind: 'list', element: { kind: 'string' } }, default: '["new"]', defaultValue: ['new'] },
      { name: 'vip', type: 'boolean', typeRef: { kind: 'boolean' } },
    ]);
  });

  it('gives every statement\'s IR node id and range, nested ones included, so run events map back to source', async function () {
    this.timeout(30_000);
    const [onboard, page] = await flowsOf('main.flow');
    assert.deepEqual(
      onboard.nodes.map((n) => [n.id, n.kind, n.range.start.line, n.range.start.character, n.range.end.line]),
      [
        ['Onboard/intake', 'step', 9, 2, 9],
        ['Onboard/if@1', 'if', 10, 2, 12],
        ['Onboard/sign', 'approval', 11, 4, 11],
        ['Onboard/escalate', 'step', 13, 2, 13],
      ],
    );
    assert.deepEqual(page.nodes.map((n) => [n.id, n.uri, n.range.start.line]), [['Page/page', pathToFileURL(path.join(dir, 'shared.flow')).toString(), 3]]);
  });

  it('answers an empty list for a document the server does not know', async function () {
    this.timeout(30_000);
    assert.deepEqual(await connection.sendRequest(FlowsRequest, { uri: pathToFileURL(path.join(dir, 'nope.flow')).toString() }), []);
  });
});
