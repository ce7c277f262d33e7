import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER = path.join(ROOT, 'out', 'language-server.cjs');

interface Diagnostic {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  severity: number;
  code: string;
  message: string;
}

const BROKEN = `agent Classifier { stub: { label: "billing" } output: { label: string } }
flow Triage {
  output label: string
  step classify: Clasifier { prompt: "go" }
  set output.label = classify.output.label
}
`;

const CLEAN = `agent Greeter { stub: "hi" }
flow Hello {
  output text: string
  step greet: Greeter { prompt: "hello" }
  set output.text = greet.output
}
`;

describe('language server: the workspace is checked at start', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'baton-lsp-ws-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('publishes the diagnostics of every workspace .flow file after start-up, with no file opened', async function () {
    this.timeout(30_000);
    assert.ok(existsSync(SERVER), `${SERVER} is missing: run npm run build first`);
    mkdirSync(path.join(dir, 'flows'));
    writeFileSync(path.join(dir, 'flows', 'broken.flow'), BROKEN);
    writeFileSync(path.join(dir, 'clean.flow'), CLEAN);
    const broken = pathToFileURL(path.join(dir, 'flows', 'broken.flow')).toString();
    const clean = pathToFileURL(path.join(dir, 'clean.flow')).toString();

    const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const published = new Map<string, Diagnostic[]>();
    let both!: () => void;
    const bothPublished = new Promise<void>((resolve) => (both = resolve));
    connection.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: Diagnostic[] }) => {
      published.set(p.uri, p.diagnostics);
      if (published.has(broken) && published.has(clean)) both();
    });
    connection.onRequest('workspace/configuration', () => []);
    connection.onRequest('client/registerCapability', () => null);
    connection.listen();
    try {
      const folder = pathToFileURL(dir).toString();
      await connection.sendRequest('initialize', { processId: process.pid, rootUri: folder, workspaceFolders: [{ uri: folder, name: 'ws' }], capabilities: { textDocument: { publishDiagnostics: {} } } });
      await connection.sendNotification('initialized', {});
      // no didOpen: the server's start-up build alone publishes them (the mocha timeout bounds the wait)
      await bothPublished;
      const errors = published.get(broken)!.filter((d) => d.severity === 1);
      assert.deepEqual(
        errors.map((d) => [d.code, d.message, d.range.start.line, d.range.start.character]),
        [['unknown-agent', 'unknown agent or flow `Clasifier`; did you mean `Classifier`?', 3, 17]],
      );
      assert.deepEqual(published.get(clean), [], 'a clean file is published too (an empty list)');
    } finally {
      await connection.sendRequest('shutdown').catch(() => undefined);
      await connection.sendNotification('exit').catch(() => undefined);
      connection.dispose();
      child.kill();
    }
  });
});
