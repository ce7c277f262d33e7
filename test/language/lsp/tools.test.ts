import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeAction } from 'vscode-languageserver-types';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { checkText, completeAt, format, hoverAt, outline, services } from '../helpers.js';
import { TestWorkspace, type Spot } from './workspace-helpers.js';

const BASE = `/** Looks an order up. */
agent Lookup { model: "openai/gpt-4o-mini", output: { status: string }, stub: { status: "ok" } }
/** Refunds an order. */
flow Refund {
  input order: number
  input reason: string = "asked"
}
`;

/** Completion labels at `<|>` in a document at `file` (a path on disk, so the checker finds its baton.config.json). */
async function completeIn(file: string, textWithCursor: string): Promise<string[]> {
  const offset = textWithCursor.indexOf('<|>');
  const text = textWithCursor.slice(0, offset) + textWithCursor.slice(offset + 3);
  const { document } = await checkText(text, pathToFileURL(file).href);
  const list = await services.Baton.lsp.CompletionProvider!.getCompletion(document, { textDocument: { uri: document.uri.toString() }, position: document.textDocument.positionAt(offset) });
  return (list?.items ?? []).map((i) => i.label);
}

describe('language server: tools for agents', () => {
  it('completes tools: the agents and flows (not the agent itself, nor those listed), mcp and the configured servers', async () => {
    const agent = (tools: string): string => `${BASE}agent A { model: "openai/gpt-4o-mini", stub: "x", tools: [${tools}] }`;
    assert.deepEqual(await completeAt(agent('<|>')), ['mcp', 'Lookup', 'Refund']);
    assert.deepEqual(await completeAt(agent('Lookup, <|>')), ['mcp', 'Refund']);
    assert.deepEqual(await completeAt(agent('Lookup, R<|>')), ['Refund']);
    assert.deepEqual(await completeAt(agent('Lookup { <|> }')), ['approval', 'approval_timeout', 'idempotent']);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baton-tools-lsp-'));
    try {
      writeFileSync(path.join(dir, 'baton.config.json'), JSON.stringify({ mcp: { servers: { crm: { command: ['node', 'crm.mjs'] }, search: { url: 'http://127.0.0.1:1/mcp' } } } }));
      assert.deepEqual(await completeIn(path.join(dir, 'a.flow'), agent('<|>')), ['mcp.crm', 'mcp.search', 'mcp', 'Lookup', 'Refund']);
      assert.deepEqual(await completeIn(path.join(dir, 'b.flow'), agent('mcp.<|>')), ['crm', 'search']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('offers turns() and call() only inside a stub', async () => {
    const inFlow = await completeAt(`${BASE}flow F { let x = <|> }`);
    assert.ok(inFlow.includes('len') && !inFlow.includes('turns') && !inFlow.includes('call'), inFlow.join());
    const inStub = await completeAt(`${BASE}agent A { model: "openai/gpt-4o-mini", tools: [Lookup], stub: <|> }`);
    assert.ok(inStub.includes('turns') && inStub.includes('call'), inStub.join());
  });

  it('hover on a tool entry shows what the model is given: name, description, argument schema, approval', async () => {
    const hover = await hoverAt(`${BASE}agent A { model: "openai/gpt-4o-mini", stub: "x", tools: [Lookup, Ref<|>und { approval: "finance", approval_timeout: 1d }] }`);
    assert.equal(
      hover,
      [
        '**tool** `Refund` — flow `Refund` (run as a sub-flow)  \nthe model calls it `Refund`  \napproval: each call waits for a decision by `finance`; refused when undecided after 1d',
        'Refunds an order.',
        `arguments (JSON Schema):\n\n\`\`\`json\n${JSON.stringify({ type: 'object', properties: { order: { type: 'number' }, reason: { type: 'string' } }, required: ['order'], additionalProperties: false }, null, 2)}\n\`\`\``,
      ].join('\n\n---\n\n'),
    );
    const mcp = await hoverAt(`${BASE}agent A { model: "openai/gpt-4o-mini", stub: "x", tools: [mcp.crm."create-<|>ticket" { idempotent: false }] }`);
    assert.equal(mcp, '**tool** `crm__create-ticket` — tool `create-ticket` of MCP server `crm`  \nthe model calls it `crm__create-ticket`  \nidempotent: no — a repeated call may repeat its effect; one in flight when the run stopped is not made again (`TOOL_OUTCOME_UNKNOWN`)  \nits description and arguments come from the server when the step starts');
  });

  it('hover on tools, max_turns and a step whose agent has tools', async () => {
    const agent = (at: string, step = 'ask'): string => `${BASE}agent A { model: "openai/gpt-4o-mini", stub: "x", ${at} }\nflow F { step ${step}: A }`;
    assert.match((await hoverAt(agent('to<|>ols: [Lookup], max_turns: 3'))) ?? '', /^\*\*tools\*\*: what the model may call/);
    assert.equal(await hoverAt(agent('tools: [Lookup], max_tu<|>rns: 3')), '**max_turns** 3: at most that many model turns in one step\'s tool loop (a turn is one model call; default 8, at most 100); one more fails the step with `TOOL_TURNS_EXCEEDED`.');
    assert.equal(await hoverAt(agent('tools: [Lookup, Refund, mcp.crm.search]', 'a<|>sk')), '**step** `ask` → agent `A`  \noutput: `any`  \ntools: `Lookup`, `Refund`, `crm__search`');
  });

  it('quick fixes: did you mean for an unknown tool and for a stub call\'s tool name', async () => {
    const fix = async (text: string, code: string): Promise<string> => {
      const { document, diagnostics } = await checkText(text);
      const relevant = diagnostics.filter((d) => d.code === code);
      const actions = (await services.Baton.lsp.CodeActionProvider!.getCodeActions(document, { textDocument: { uri: document.uri.toString() }, range: relevant[0].range, context: { diagnostics: relevant } })) as CodeAction[];
      const edits = actions[0]?.edit?.changes?.[document.uri.toString()] ?? [];
      return TextDocument.applyEdits(TextDocument.create('x', 'baton', 1, text), edits).slice(BASE.length);
    };
    assert.equal(await fix(`${BASE}agent A { model: "openai/gpt-4o-mini", stub: "x", tools: [Lokup] }`, 'unknown-tool'), 'agent A { model: "openai/gpt-4o-mini", stub: "x", tools: [Lookup] }');
    assert.equal(
      await fix(`${BASE}agent A { model: "openai/gpt-4o-mini", tools: [Lookup], stub: turns([call("Lokup", { prompt: "p" })], "x") }`, 'stub-call-unknown-tool'),
      'agent A { model: "openai/gpt-4o-mini", tools: [Lookup], stub: turns([call("Lookup", { prompt: "p" })], "x") }',
    );
  });

  it('outline: an agent holds its tools', async () => {
    assert.deepEqual(await outline(`${BASE}agent A { model: "openai/gpt-4o-mini", stub: "x", tools: [Lookup, Refund { approval: true }, mcp.crm.search] }`), [
      'Lookup (openai/gpt-4o-mini)',
      'Refund ()',
      '  order (input: number)',
      '  reason (input: string)',
      'A (openai/gpt-4o-mini)',
      '  Lookup (tool: agent)',
      '  Refund (tool: flow)',
      '  mcp.crm.search (tool: MCP)',
    ]);
  });

  it("completes a test's decide <step>. with the step's tools that have an approval", async () => {
    const doc = (decide: string): string => `${BASE}agent A { model: "openai/gpt-4o-mini", stub: "x", tools: [Lookup, Refund { approval: "finance" }, mcp.crm.search { approval: true }] }
flow F { step a: A
  step b: Lookup }
test "t" {
  flow: F
  ${decide}
}`;
    assert.deepEqual(await completeAt(doc('decide a.<|>')), ['Refund', 'crm__search']);
    assert.deepEqual(await completeAt(doc('decide a.Re<|>')), ['Refund']);
    assert.deepEqual(await completeAt(doc('decide b.<|>')), [], 'step b calls an agent without tools');
    assert.deepEqual(await completeAt(doc('decide zz.<|>')), []);
  });

  it("hover on a test's decide <step>.<tool>: the tool whose waiting call it decides", async () => {
    const hover = await hoverAt(`${BASE}agent A { model: "openai/gpt-4o-mini", stub: "x", tools: [Refund { approval: "finance" }] }
flow F { step a: A }
test "t" {
  flow: F
  decide a.Ref<|>und: "approved"
}`);
    assert.match(hover ?? '', /^decides the next call of this tool that step `a` waits on an approval for\n\n---\n\n\*\*tool\*\* `Refund` — flow `Refund` \(run as a sub-flow\)/);
    assert.match(hover ?? '', /approval: each call waits for a decision by `finance`/);
  });

  it('formats tools: [...] (no space inside the brackets or around an MCP tool\'s dots), idempotently', async () => {
    const messy = `${BASE}agent A { model: "openai/gpt-4o-mini"
   stub: "x"
     tools: [ Lookup ,Refund{approval:"x",approval_timeout:1d},mcp . crm . search ]
  max_turns:   3 }
`;
    const once = await format(messy);
    assert.equal(once.slice(BASE.length), `agent A {
  model: "openai/gpt-4o-mini"
  stub: "x"
  tools: [Lookup, Refund { approval: "x", approval_timeout: 1d }, mcp.crm.search]
  max_turns: 3
}
`);
    assert.equal(await format(once), once);
    // a test's decision of a tool call: no space around its dot
    const decide = `${BASE}agent A { model: "openai/gpt-4o-mini", stub: "x", tools: [Refund { approval: true }] }
flow F { step a: A }
test "t" {
  flow: F
  decide a . Refund  after 1h :"approved"
}
`;
    assert.match(await format(decide), /\n {2}decide a\.Refund after 1h: "approved"\n/);
    // a list written on several lines keeps its lines
    const multi = `${BASE}agent A {\n  model: "openai/gpt-4o-mini"\n  stub: "x"\n  tools: [\n    Lookup,\n    Refund,\n  ]\n}\n`;
    assert.equal(await format(multi), multi);
  });

  it('semantic tokens: a tool\'s agent as a class, its flow as a function, an MCP server as a namespace', async () => {
    const text = `${BASE}agent A { model: "openai/gpt-4o-mini", stub: "x", tools: [Lookup, Refund, mcp.crm.search] }`;
    const { document } = await checkText(text);
    const provider = services.Baton.lsp.SemanticTokenProvider!;
    const result = await provider.semanticHighlight(document, { textDocument: { uri: document.uri.toString() } });
    const names = Object.fromEntries(Object.entries(provider.tokenTypes).map(([name, index]) => [index, name]));
    const tokens: string[] = [];
    let line = 0;
    let start = 0;
    for (let i = 0; i < result.data.length; i += 5) {
      const [dl, ds, len, type] = result.data.slice(i, i + 4);
      line += dl;
      start = dl === 0 ? start + ds : ds;
      if (line === 7) tokens.push(`${text.split('\n')[line].slice(start, start + len)}:${names[type]}`);
    }
    assert.deepEqual(tokens, ['A:class', 'Lookup:class', 'Refund:function', 'crm:namespace', 'search:function']);
  });

  it('go to definition, find references and rename follow agent and flow tools', async () => {
    const ws = await TestWorkspace.of({
      'lib.flow': 'agent [|Lookup|] { stub: { status: "ok" } }\nflow Refund { input order: number }\n',
      'main.flow': 'import "./lib.flow"\nagent A { model: "openai/gpt-4o-mini", tools: [[|Loo<|>kup|], Refund], stub: turns([call("Lookup", { prompt: "p" })], "x") }\nflow F {\n  step a: A\n  step b: [|Lookup|]\n}\n',
    });
    const links = (await ws.services.Baton.lsp.DefinitionProvider!.getDefinition(ws.document('main.flow'), ws.cursor('main.flow', 0))) ?? [];
    assert.deepEqual(links.map((l) => ws.spot({ uri: l.targetUri, range: l.targetSelectionRange })), ['lib.flow:0:6-0:12 Lookup']);
    const refs = await ws.services.Baton.lsp.ReferencesProvider!.findReferences(ws.document('main.flow'), { ...ws.cursor('main.flow', 0), context: { includeDeclaration: true } });
    assert.deepEqual(refs.map((l) => ws.spot(l)).sort(), ws.allRanges());
    // rename: every reference, and the tool's name in the stub script's call("Lookup", …) (inside the quotes)
    const edit = await ws.services.Baton.lsp.RenameProvider!.rename(ws.document('main.flow'), { ...ws.cursor('main.flow', 0), newName: 'FindOrder' });
    const lines: Spot[] = [];
    for (const [uri, edits] of Object.entries(edit?.changes ?? {})) for (const e of edits) lines.push(`${ws.spot({ uri, range: e.range })} → ${e.newText}`);
    assert.deepEqual(lines.sort(), [...ws.allRanges(), 'main.flow:1:83-1:89 Lookup'].sort().map((s) => `${s} → FindOrder`));
  });
});
