import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GraphRequest } from '@baton/protocol';
import { fileUri, startStdioServer, type StdioServer } from './stdio-client.js';

const EDITS = 50;

/** The file after edit `i`: the second step renamed `second<i>`; the last edit also names an unknown agent. */
function textAfter(i: number): string {
  const steps = Array.from({ length: 40 }, (_, k) => `  step filler${k}: A { prompt: "filler ${k}" }`).join('\n');
  const agent = i === EDITS ? 'Missing' : 'A';
  return `agent A { stub: "a" }\nflow F {\n  step first: A { prompt: "one" }\n  step second${i}: ${agent} { prompt: "two" }\n${steps}\n}\n`;
}

describe('language server over stdio: a burst of edits', () => {
  let dir: string;
  let server: StdioServer | undefined;
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`parses ${EDITS} quick edits a few times, not once per edit, and answers from the last text`, async function () {
    this.timeout(90_000);
    dir = mkdtempSync(path.join(tmpdir(), 'baton-burst-'));
    const trace = path.join(dir, 'trace.log');
    const file = path.join(dir, 'main.flow');
    writeFileSync(file, textAfter(0));
    server = await startStdioServer({ folder: dir, env: { BATON_LS_TRACE: trace } });
    const uri = fileUri(file);
    await server.open(uri, textAfter(0));
    await server.waitFor(uri, (d) => d.length === 0);
    const parsesBefore = parses(trace);

    for (let i = 1; i <= EDITS; i++) {
      void server.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: i + 1 }, contentChanges: [{ text: textAfter(i) }] });
    }
    const graph = await server.connection.sendRequest(GraphRequest, { uri });
    const diagnostics = await server.waitFor(uri, (d) => d.length > 0);

    assert.deepEqual(diagnostics.map((d) => [d.code, d.range.start.line, d.message]), [['unknown-agent', 3, 'unknown agent or flow `Missing`']]);
    const ids = JSON.stringify(graph.graph);
    assert.ok(ids.includes(`F/second${EDITS}`) && !ids.includes(`F/second${EDITS - 1}"`), 'the graph is the last text\'s');
    // The server parses once each time it finds no further edit already received; how the client's 50 writes
    // reach it (one pipe read or several) depends on the machine's load: 1–5 parses quiet, 6 seen on a busy CI.
    // Without the coalescing every edit is parsed (50).
    const parsed = parses(trace) - parsesBefore;
    assert.ok(parsed >= 1 && parsed <= EDITS / 5, `${EDITS} edits were parsed ${parsed} times`);
  });
});

/** How many parses of a document the server's trace shows so far. */
function parses(trace: string): number {
  return readFileSync(trace, 'utf8').split('\n').filter((line) => / parse main\.flow/.test(line)).length;
}
