import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node.js';
import { FlowTestsRequest } from '../../packages/protocol/src/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER = path.join(ROOT, 'out', 'language-server.cjs');

interface Diagnostic {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  severity: number;
  code: string;
  message: string;
}

/** The bundled server over stdio, as any LSP client starts it. */
async function startServer(workspace: string, initializationOptions?: object): Promise<{ connection: MessageConnection; child: ChildProcess; diagnostics: Map<string, Diagnostic[]>; waitFor: (uri: string, ok: (d: Diagnostic[]) => boolean) => Promise<Diagnostic[]> }> {
  assert.ok(existsSync(SERVER), `${SERVER} is missing: run npm run build first`);
  const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const diagnostics = new Map<string, Diagnostic[]>();
  const waiters: (() => void)[] = [];
  connection.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: Diagnostic[] }) => {
    diagnostics.set(p.uri, p.diagnostics);
    for (const w of waiters.splice(0)) w();
  });
  connection.onRequest('workspace/configuration', () => []);
  connection.onRequest('client/registerCapability', () => null);
  connection.listen();
  const folder = pathToFileURL(workspace).toString();
  await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: folder,
    workspaceFolders: [{ uri: folder, name: 'ws' }],
    initializationOptions,
    capabilities: { textDocument: { completion: { completionItem: { snippetSupport: true } }, publishDiagnostics: {} }, workspace: { configuration: true } },
  });
  await connection.sendNotification('initialized', {});
  const waitFor = async (uri: string, ok: (d: Diagnostic[]) => boolean): Promise<Diagnostic[]> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const current = diagnostics.get(uri);
      if (current && ok(current)) return current;
      if (Date.now() > deadline) throw new Error(`no matching diagnostics for ${uri}; last: ${JSON.stringify(current)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 500);
      });
    }
  };
  return { connection, child, diagnostics, waitFor };
}

describe('language server over stdio', function () {
  let dir: string;
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeEach(async function () {
    this.timeout(30_000);
    dir = mkdtempSync(path.join(tmpdir(), 'baton-lsp-'));
    server = await startServer(dir);
  });
  afterEach(async () => {
    try {
      await server.connection.sendRequest('shutdown');
      await server.connection.sendNotification('exit');
    } catch {
      // already gone
    }
    server.connection.dispose();
    server.child.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes the checker diagnostics of an opened file, then clears them when the edit fixes it', async function () {
    this.timeout(30_000);
    const file = path.join(dir, 'main.flow');
    const broken = 'agent Intake { instructions: "x" stub: "ok" }\nflow F {\n  step a: Intak { prompt: "hi" }\n}\n';
    writeFileSync(file, broken);
    const uri = pathToFileURL(file).toString();
    await server.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'baton', version: 1, text: broken } });
    const diagnostics = await server.waitFor(uri, (d) => d.length > 0);
    assert.deepEqual(
      diagnostics.map((d) => ({ code: d.code, line: d.range.start.line, character: d.range.start.character, message: d.message })),
      [
        { code: 'unknown-agent', line: 2, character: 10, message: 'unknown agent or flow `Intak`; did you mean `Intake`?' },
        { code: 'unused-agent', line: 0, character: 6, message: 'agent `Intake` is never used by a step' },
      ],
    );
    await server.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ text: broken.replace('Intak {', 'Intake {') }],
    });
    await server.waitFor(uri, (d) => d.length === 0);
  });

  it('offers agents in scope where a step names its target', async function () {
    this.timeout(30_000);
    const file = path.join(dir, 'main.flow');
    const text = 'agent Intake { instructions: "x" stub: "ok" }\nagent Notifier { instructions: "y" stub: "ok" }\nflow F {\n  step a: \n}\n';
    writeFileSync(file, text);
    const uri = pathToFileURL(file).toString();
    await server.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'baton', version: 1, text } });
    await server.waitFor(uri, () => true);
    const result = (await server.connection.sendRequest('textDocument/completion', { textDocument: { uri }, position: { line: 3, character: 10 } })) as { items: { label: string }[] } | { label: string }[];
    const labels = (Array.isArray(result) ? result : result.items).map((i) => i.label);
    assert.ok(labels.includes('Intake') && labels.includes('Notifier'), `completion offers both agents: ${labels.join(', ')}`);
    assert.ok(labels.includes('F'), 'and flows (a step may call a sub-flow)');
  });

  it('offers the steps that write a flow after `step s: run `, and hovers the keys of their `generate { … }`', async function () {
    this.timeout(30_000);
    const file = path.join(dir, 'main.flow');
    const lines = [
      'agent Researcher { instructions: "r" output: { facts: string[] } stub: { facts: ["a"] } }',
      'agent Planner { instructions: "p" output: flow stub: "flow X { }" }',
      'flow F {',
      '  step plan: Planner { generate { agents: [Researcher], max_steps: 5 } }',
      '  step custom: run ',
      '}',
    ];
    const text = `${lines.join('\n')}\n`;
    writeFileSync(file, text);
    const uri = pathToFileURL(file).toString();
    await server.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'baton', version: 1, text } });
    await server.waitFor(uri, () => true);
    const result = (await server.connection.sendRequest('textDocument/completion', { textDocument: { uri }, position: { line: 4, character: lines[4].length } })) as { items: { label: string }[] } | { label: string }[];
    assert.deepEqual((Array.isArray(result) ? result : result.items).map((i) => i.label), ['plan']);
    const hover = (await server.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 3, character: lines[3].indexOf('max_steps') + 2 } })) as { contents: { value: string } } | null;
    assert.match(hover?.contents.value ?? '', /^\*\*generate\*\* `max_steps`: .*\s+takes: a whole number from 1 to 1000 {2}\ndefault: 20$/);
  });

  it('answers go to definition and rename across two files of the workspace (the imported one never opened)', async function () {
    this.timeout(30_000);
    mkdirSync(path.join(dir, 'agents'));
    const lib = path.join(dir, 'agents', 'lib.flow');
    writeFileSync(lib, 'agent Notifier { stub: "sent" }\nflow Inner {\n  step a: Notifier\n}\n');
    const file = path.join(dir, 'main.flow');
    const text = 'import "./agents/lib.flow"\nflow Main {\n  step b: Notifier { prompt: "hi" }\n}\n';
    writeFileSync(file, text);
    const uri = pathToFileURL(file).toString();
    const libUri = pathToFileURL(lib).toString();
    await server.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'baton', version: 1, text } });
    await server.waitFor(uri, (d) => d.length === 0);
    const position = { line: 2, character: 12 };
    const definition = (await server.connection.sendRequest('textDocument/definition', { textDocument: { uri }, position })) as { targetUri: string; targetSelectionRange: unknown }[];
    assert.deepEqual(definition.map((l) => [l.targetUri, l.targetSelectionRange]), [[libUri, { start: { line: 0, character: 6 }, end: { line: 0, character: 14 } }]]);
    const prepared = await server.connection.sendRequest('textDocument/prepareRename', { textDocument: { uri }, position });
    assert.deepEqual(prepared, { start: { line: 2, character: 10 }, end: { line: 2, character: 18 } });
    const edit = (await server.connection.sendRequest('textDocument/rename', { textDocument: { uri }, position, newName: 'Messenger' })) as { changes: Record<string, { range: { start: { line: number; character: number } }; newText: string }[]> };
    const summary = Object.entries(edit.changes).map(([u, edits]) => [u, edits.map((e) => `${e.range.start.line}:${e.range.start.character} ${e.newText}`)]).sort();
    assert.deepEqual(summary, [
      [libUri, ['0:6 Messenger', '2:10 Messenger']],
      [uri, ['2:10 Messenger']],
    ].sort());
    await assert.rejects(
      server.connection.sendRequest('textDocument/rename', { textDocument: { uri }, position, newName: 'if' }),
      (error: Error) => error.message === '`if` is a keyword of the language and cannot name an agent.',
    );
  });

  it('answers baton/tests for an open file with a parse error elsewhere, follows edits, and reads unopened files from disk', async function () {
    this.timeout(30_000);
    const file = path.join(dir, 'main.flow');
    const text = 'agent A { stub: "ok" }\nflow F {\n  step a: A {{\n}\ntest "a runs" {\n  flow: F\n  expect: a.status == "succeeded"\n}\n';
    writeFileSync(file, text);
    const other = path.join(dir, 'other.flow');
    writeFileSync(other, 'flow G { wait 1s }\ntest "g waits" { flow: G }\n');
    const uri = pathToFileURL(file).toString();
    await server.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'baton', version: 1, text } });
    const tests = await server.connection.sendRequest(FlowTestsRequest, { textDocument: { uri } });
    assert.deepEqual(tests, [{ name: 'a runs', flow: 'F', range: { start: { line: 4, character: 0 }, end: { line: 7, character: 1 } }, nameRange: { start: { line: 4, character: 5 }, end: { line: 4, character: 13 } } }]);
    const edited = text + 'test "a again" { flow: F }\n';
    await server.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: edited }] });
    await server.waitFor(uri, () => true);
    assert.deepEqual((await server.connection.sendRequest(FlowTestsRequest, { textDocument: { uri } })).map((t) => [t.name, t.nameRange.start.line]), [['a runs', 4], ['a again', 8]]);
    const unopened = await server.connection.sendRequest(FlowTestsRequest, { textDocument: { uri: pathToFileURL(other).toString() } });
    assert.deepEqual(unopened.map((t) => [t.name, t.flow]), [['g waits', 'G']]);
  });
});

describe('language server over stdio: CodeLens and initializationOptions', () => {
  it('offers the run lenses only to a client that sent runCommands = true, and Graph only with graphPanel = true', async function () {
    this.timeout(40_000);
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-lsp-'));
    const file = path.join(dir, 'main.flow');
    const text = 'flow F { wait 1s }\n';
    writeFileSync(file, text);
    const uri = pathToFileURL(file).toString();
    try {
      const cases = [
        [undefined, []],
        [{ graphPanel: true }, ['Graph']],
        [{ runCommands: true }, ['Run', 'Run with inputs…']],
        [{ graphPanel: true, runCommands: true }, ['Run', 'Run with inputs…', 'Graph']],
      ] as const;
      for (const [options, titles] of cases) {
        const server = await startServer(dir, options);
        try {
          await server.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'baton', version: 1, text } });
          await server.waitFor(uri, () => true);
          const lenses = (await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as { command: { title: string; arguments: unknown[] } }[];
          assert.deepEqual(lenses.map((l) => l.command.title), titles);
          if (lenses.length > 0) assert.deepEqual(lenses[0].command.arguments, [uri, 'F']);
        } finally {
          server.connection.dispose();
          server.child.kill();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
