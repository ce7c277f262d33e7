import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { check, checkText, problems, services } from './helpers.js';

/** The design's example agent (issue 14), with the agent and flow it lists. */
const SUPPORT = `
/** Looks an order up by its number. */
agent LookupOrder { model: "openai/gpt-4o-mini", output: { status: string }, stub: { status: "shipped" } }
/** Refunds an order. */
flow RefundFlow {
  input order: number
  input reason: string = "customer request"
  output refunded: boolean
  set output.refunded = true
}
agent Support {
  model: "openai/gpt-4o-mini"
  instructions: "Help the customer with their order."
  output: { reply: string, refunded: boolean }
  tools: [LookupOrder, RefundFlow { approval: "finance", approval_timeout: 1d }, mcp.crm.search, mcp.crm."create-ticket" { idempotent: false }]
  max_turns: 6
  stub: turns([call("LookupOrder", { prompt: "order 42" })], [call("RefundFlow", { order: 42 })], { reply: "done", refunded: true })
}
flow Help {
  input question: string
  step answer: Support { prompt: "\${input.question}" }
}`;

describe('language: tools for agents (tools: [...], max_turns, stub turns)', () => {
  it('compiles tools: [...] and max_turns into AgentDef.tools and maxTurns, with schemas and descriptions', async () => {
    const { document } = await checkText(SUPPORT);
    const definition = services.Baton.ir.WorkflowBuilder.build([document]);
    const support = definition.agents.Support;
    assert.equal(support.maxTurns, 6);
    const tools = (support.tools ?? []).map(({ range, ...rest }) => ({ ...rest, line: range.start.line }));
    assert.deepEqual(tools, [
      {
        name: 'LookupOrder',
        target: { kind: 'agent', name: 'LookupOrder' },
        description: 'Looks an order up by its number.',
        inputSchema: {
          type: 'object',
          properties: { prompt: { type: 'string', description: 'What to ask the agent.' }, input: { description: 'Data the agent works on (optional).' } },
          required: ['prompt'],
          additionalProperties: false,
        },
        line: 15,
      },
      {
        name: 'RefundFlow',
        target: { kind: 'flow', name: 'RefundFlow' },
        description: 'Refunds an order.',
        inputSchema: { type: 'object', properties: { order: { type: 'number' }, reason: { type: 'string' } }, required: ['order'], additionalProperties: false },
        approval: { assignee: 'finance', timeoutMs: 86_400_000 },
        line: 15,
      },
      { name: 'crm__search', target: { kind: 'mcp', server: 'crm', tool: 'search' }, line: 15 },
      { name: 'crm__create-ticket', target: { kind: 'mcp', server: 'crm', tool: 'create-ticket' }, idempotent: false, line: 15 },
    ]);
    assert.deepEqual(support.stub, {
      items: [
        {
          kind: 'value',
          value: {
            $turns: [
              [{ $call: 'LookupOrder', arguments: { prompt: 'order 42' } }],
              [{ $call: 'RefundFlow', arguments: { order: 42 } }],
              { reply: 'done', refunded: true },
            ],
          },
        },
      ],
    });
    // an agent without tools compiles as before: one structured call
    assert.equal(definition.agents.LookupOrder.tools, undefined);
    assert.equal(definition.agents.LookupOrder.maxTurns, undefined);
  });

  it('takes approval: true, and idempotent: false from the called agent', async () => {
    const { document } = await checkText(`
agent Charge { model: "openai/gpt-4o-mini", stub: "charged", idempotent: false }
agent Clerk { model: "openai/gpt-4o-mini", stub: "ok", tools: [Charge { approval: true }] }
flow F { step s: Clerk }`);
    const definition = services.Baton.ir.WorkflowBuilder.build([document]);
    const [charge] = definition.agents.Clerk.tools ?? [];
    assert.deepEqual([charge.name, charge.approval, charge.idempotent], ['Charge', {}, false]);
  });

  it('keeps the new words usable as names (tools, max_turns, mcp, approval_timeout)', async () => {
    const { errors } = await check(`
agent mcp { stub: { tools: 1, max_turns: 2, mcp: 3, approval_timeout: 4 }, output: { tools: number, max_turns: number, mcp: number, approval_timeout: number } }
flow tools {
  input max_turns: number = 1
  step approval_timeout: mcp
  let x = approval_timeout.output.tools
}`);
    assert.deepEqual(errors, []);
  });
});

describe('checker: tools for agents', () => {
  const LOOKUP = 'agent Lookup { model: "openai/gpt-4o-mini", output: { status: string }, stub: { status: "ok" } }\n';

  it('unknown-tool: a name that is no agent or flow, with did-you-mean', async () => {
    const { errors } = await check(`${LOOKUP}agent A { model: "openai/gpt-4o-mini", stub: "x", tools: [Lookpu, Nothing] }
flow F { step a: A }`);
    assert.deepEqual(errors, [
      { code: 'unknown-tool', range: [1, 58, 1, 64], text: 'Lookpu', message: 'unknown tool `Lookpu`: no agent or flow is called that; did you mean `Lookup`? (an MCP server\'s tool is written mcp.<server>.<tool>)' },
      { code: 'unknown-tool', range: [1, 66, 1, 73], text: 'Nothing', message: 'unknown tool `Nothing`: no agent or flow is called that (an MCP server\'s tool is written mcp.<server>.<tool>)' },
    ]);
  });

  it('duplicate-tool: two entries the model would call by the same name (an MCP name made the same too)', async () => {
    const { errors } = await check(`${LOOKUP}agent A {
  model: "openai/gpt-4o-mini", stub: "x"
  tools: [Lookup, Lookup { approval: true }, mcp.crm."a.b", mcp.crm.a_b]
}
flow F { step a: A }`);
    assert.deepEqual(errors.filter((e) => e.code !== 'unknown-mcp-server'), [
      { code: 'duplicate-tool', range: [3, 18, 3, 24], text: 'Lookup', message: 'the model would call two tools `Lookup`: list each once' },
      { code: 'duplicate-tool', range: [3, 60, 3, 71], text: 'mcp.crm.a_b', message: 'the model would call two tools `crm__a_b`: list each once' },
    ]);
  });

  it('tools-need-model-agent: an http or command agent has no tool loop', async () => {
    const { errors } = await check(`${LOOKUP}agent A { model: "http/https://example.test/a", stub: "x", tools: [Lookup] }
flow F { step a: A }`);
    assert.deepEqual(errors, [
      { code: 'tools-need-model-agent', range: [1, 59, 1, 64], text: 'tools', message: 'agent `A` is an http agent: it answers in one call and cannot use tools — give tools to an agent with a model (openai, anthropic, ollama)' },
    ]);
  });

  it('tool-input-not-schemable: a flow tool whose input has a recursive type', async () => {
    const { errors } = await check(`type Tree = { name: string, children: Tree[] }
flow Plant { input tree: Tree }
agent A { model: "openai/gpt-4o-mini", stub: "x", tools: [Plant] }
flow F { step a: A }`);
    assert.deepEqual(errors, [
      { code: 'tool-input-not-schemable', range: [2, 58, 2, 63], text: 'Plant', message: 'flow `Plant` cannot be a tool: its input `tree` has the recursive type `Tree`, which has no JSON Schema to give the model' },
    ]);
  });

  it('tool-unguarded-effect: a non-idempotent agent (or a flow calling one) as a tool with neither approval nor idempotent: false', async () => {
    const { errors, warnings } = await check(`agent Charge { model: "openai/gpt-4o-mini", stub: "charged", idempotent: false }
flow Refund { input order: number
  step pay: Charge }
agent A {
  model: "openai/gpt-4o-mini", stub: "x"
  tools: [Charge, Refund, Charge { approval: "finance" }, Refund { idempotent: false }]
}
flow F { step a: A }`);
    assert.deepEqual(errors.map((e) => e.code), ['duplicate-tool', 'duplicate-tool']);
    assert.deepEqual(warnings, [
      { code: 'tool-unguarded-effect', range: [5, 10, 5, 16], text: 'Charge', message: 'tool `Charge` may do its work twice (agent `Charge` says `idempotent: false`): the model may call it again — add `{ approval: "<who decides>" }` so a person decides each call, or `{ idempotent: false }` to say you accept that' },
      { code: 'tool-unguarded-effect', range: [5, 18, 5, 24], text: 'Refund', message: 'tool `Refund` may do its work twice (flow `Refund` calls agent `Charge`, which says `idempotent: false`): the model may call it again — add `{ approval: "<who decides>" }` so a person decides each call, or `{ idempotent: false }` to say you accept that' },
    ]);
  });

  it('tool-recursion: an agent among its own tools, directly or through another agent', async () => {
    const { errors } = await check(`agent A { model: "openai/gpt-4o-mini", stub: "x", tools: [A] }
agent B { model: "openai/gpt-4o-mini", stub: "x", tools: [C] }
agent C { model: "openai/gpt-4o-mini", stub: "x", tools: [B] }
flow F { step a: A
  step b: B }`);
    assert.deepEqual(errors, [
      { code: 'tool-recursion', range: [0, 58, 0, 59], text: 'A', message: 'agent `A` would call itself: an agent cannot be among its own tools' },
      { code: 'tool-recursion', range: [1, 58, 1, 59], text: 'C', message: 'agent `B` would call itself through `C`: an agent cannot be among its own tools' },
      { code: 'tool-recursion', range: [2, 58, 2, 59], text: 'B', message: 'agent `C` would call itself through `B`: an agent cannot be among its own tools' },
    ]);
  });

  it('max-turns-out-of-range and tool-timeout-without-approval', async () => {
    const { errors } = await check(`${LOOKUP}agent A { model: "openai/gpt-4o-mini", stub: "x", tools: [Lookup { approval_timeout: 1h }], max_turns: 101 }
agent B { model: "openai/gpt-4o-mini", stub: "x", tools: [Lookup], max_turns: 0 }
flow F { step a: A
  step b: B }`);
    assert.deepEqual(errors, [
      { code: 'tool-timeout-without-approval', range: [1, 67, 1, 83], text: 'approval_timeout', message: '`approval_timeout` needs `approval: "<who decides>"` (or `approval: true`) on this tool: there is no approval to time out' },
      { code: 'max-turns-out-of-range', range: [1, 103, 1, 106], text: '101', message: 'max_turns must be a whole number from 1 to 100, not 101' },
      { code: 'max-turns-out-of-range', range: [2, 78, 2, 79], text: '0', message: 'max_turns must be a whole number from 1 to 100, not 0' },
    ]);
  });

  it('unknown-mcp-server: checked against mcp.servers of the nearest baton.config.json; a warning when there is none', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baton-tools-'));
    try {
      mkdirSync(path.join(dir, 'flows'));
      writeFileSync(path.join(dir, 'baton.config.json'), JSON.stringify({ mcp: { servers: { crm: { command: ['node', 'crm.mjs'] }, search: { url: 'http://127.0.0.1:1/mcp' } } } }));
      const text = `agent A { model: "openai/gpt-4o-mini", stub: "x", tools: [mcp.crm.lookup, mcp.crn.lookup, mcp.billing."refund-order"] }
flow F { step a: A }`;
      const { document, diagnostics } = await checkText(text, pathToFileURL(path.join(dir, 'flows', 'a.flow')).href);
      const file = path.join(dir, 'baton.config.json');
      assert.deepEqual(problems(document, diagnostics, 1), [
        { code: 'unknown-mcp-server', range: [0, 78, 0, 81], text: 'crn', message: `unknown MCP server \`crn\`: ${file} has no \`mcp.servers.crn\`; did you mean \`crm\`?` },
        { code: 'unknown-mcp-server', range: [0, 94, 0, 101], text: 'billing', message: `unknown MCP server \`billing\`: ${file} has no \`mcp.servers.billing\`; it configures \`crm\`, \`search\`` },
      ]);
      // no baton.config.json at or above the file: a warning (the run would fail MCP_UNKNOWN_SERVER)
      const { warnings } = await check('agent A { model: "openai/gpt-4o-mini", stub: "x", tools: [mcp.crm.lookup] }\nflow F { step a: A }');
      assert.deepEqual(warnings, [
        { code: 'unknown-mcp-server', range: [0, 62, 0, 65], text: 'crm', message: 'no baton.config.json at or above this file configures MCP server `crm`: add it under `mcp.servers` (docs/mcp.md)' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('checker: stub scripts turns(…) and call(…)', () => {
  const TOOLS = `agent Lookup { model: "openai/gpt-4o-mini", output: { status: string }, stub: { status: "ok" } }
flow Refund { input order: number
  input reason: string = "asked" }
`;

  it('checks call names against the agent\'s tools and arguments against each tool, the final value against output', async () => {
    const { errors } = await check(`${TOOLS}agent A {
  model: "openai/gpt-4o-mini"
  output: { reply: string }
  tools: [Lookup, Refund, mcp.crm.search]
  stub: turns([call("Lokup", { prompt: "x" }), call("crm__search", { q: 1 })], [call("Refund", { order: "42" }), call("Lookup", { promt: "x" })], [call("Nope")], { reply: 3 })
}
flow F { step a: A }`);
    assert.deepEqual(errors, [
      { code: 'stub-call-unknown-tool', range: [7, 20, 7, 27], text: '"Lokup"', message: 'agent `A` has no tool `Lokup`; did you mean `Lookup`?' },
      { code: 'type-mismatch', range: [7, 95, 7, 110], text: '{ order: "42" }', message: 'tool `Refund` takes { order: number, reason?: string }: field order: got "42"' },
      { code: 'type-mismatch', range: [7, 128, 7, 142], text: '{ promt: "x" }', message: 'tool `Lookup` takes { prompt: string, input?: any }: field prompt is missing' },
      { code: 'stub-call-unknown-tool', range: [7, 152, 7, 158], text: '"Nope"', message: 'agent `A` has no tool `Nope`; its tools are `Lookup`, `Refund`, `crm__search`' },
      { code: 'type-mismatch', range: [7, 162, 7, 174], text: '{ reply: 3 }', message: 'this stub value does not fit the agent\'s output type { reply: string }: field reply: got 3' },
    ]);
  });

  it('checks a test\'s stub script against the stubbed agent\'s tools', async () => {
    const { errors } = await check(`${TOOLS}agent A { model: "openai/gpt-4o-mini", output: string, tools: [Lookup], stub: "x" }
flow F { step a: A }
test "t" {
  flow: F
  stub A: [turns([call("Lookup", { prompt: "p" })], "done"), turns([call("Refund", { order: 1 })], "x")]
  expect: status == "succeeded"
}`);
    assert.deepEqual(errors, [
      { code: 'stub-call-unknown-tool', range: [7, 73, 7, 81], text: '"Refund"', message: 'agent `A` has no tool `Refund`; its tools are `Lookup`' },
    ]);
  });

  it('invalid-stub-script: turns/call outside a stub, a turn that is not a list of calls, a call outside turns', async () => {
    const { errors } = await check(`${TOOLS}agent A {
  model: "openai/gpt-4o-mini"
  tools: [Lookup]
  stub: [turns(call("Lookup", { prompt: "x" }), "done"), turns([call("Lookup", { prompt: "x" })], turns("x")), call("Lookup")]
}
flow F {
  step a: A
  let x = call("Lookup", {})
}`);
    assert.deepEqual(errors.map((e) => [e.code, e.text, e.message]), [
      ['invalid-stub-script', 'call("Lookup", { prompt: "x" })', 'turn 1 must be a list of `call("<tool>", { … })` — the calls the model makes at once; only the last argument is the final output'],
      ['invalid-stub-script', 'call', '`call(…)` is a tool call of a turn: write it in a list inside `turns(…)`, e.g. `turns([call("Lookup", { prompt: "…" })], "done")`'],
      ['invalid-stub-script', 'turns("x")', '`turns(…)`\'s last argument is the final output, not a call: end the script with the value the agent answers'],
      ['invalid-stub-script', 'turns', '`turns(…)` is a whole stub value (`stub: turns(…)`, or one item of a stub\'s list per call), not part of one'],
      ['invalid-stub-script', 'call', '`call(…)` is a tool call of a turn: write it in a list inside `turns(…)`, e.g. `turns([call("Lookup", { prompt: "…" })], "done")`'],
      ['invalid-stub-script', 'call', '`call(…)` makes a stub agent\'s tool-loop script: it may only be used in an agent\'s `stub:` (or a test\'s `stub Agent:`)'],
    ]);
  });

  it('a test decides a tool call by <step>.<tool>: unknown step or tool, a tool without approval, a decision it cannot take', async () => {
    const { errors } = await check(`${TOOLS}agent A {
  model: "openai/gpt-4o-mini"
  output: string
  tools: [Lookup, Refund { approval: "finance" }]
  stub: turns([call("Refund", { order: 1 })], [call("Refund", { order: 2 })], "done")
}
flow F { step a: A }
test "t" {
  flow: F
  decide a.Refund: "approved"
  decide a.Refund: "rejected"
  decide b.Refund: "approved"
  decide a.Refnd: "approved"
  decide a.Lookup: "approved"
  decide a.Refund: "timeout"
  expect: status == "succeeded"
}`);
    assert.deepEqual(errors, [
      { code: 'unknown-name', range: [14, 9, 14, 10], text: 'b', message: 'flow F has no step `b`; its steps: a' },
      { code: 'unknown-tool', range: [15, 11, 15, 16], text: 'Refnd', message: 'agent `A` (step `a`) has no tool `Refnd`; did you mean `Refund`?' },
      { code: 'tool-without-approval', range: [16, 11, 16, 17], text: 'Lookup', message: 'tool `Lookup` of agent `A` has no `approval`: its calls never wait for a decision (add `Lookup { approval: "…" }` to its tools)' },
      { code: 'type-mismatch', range: [17, 19, 17, 28], text: '"timeout"', message: '"timeout" is not a decision of a tool\'s approval; use "approved" or "rejected"' },
    ]);
    const { document } = await checkText(`${TOOLS}agent A { model: "openai/gpt-4o-mini", output: string, tools: [Refund { approval: true }, mcp.crm.search { approval: true }], stub: "x" }
flow F { step a: A }
test "t" { flow: F, decide a.Refund after 1h: "approved", decide a.crm__search: "rejected", decide a."crm__search": "approved" }`);
    const [test] = services.Baton.ir.WorkflowBuilder.build([document]).tests ?? [];
    assert.deepEqual(test.decisions?.map(({ range: _r, ...d }) => d), [
      { approval: 'a', tool: 'Refund', afterMs: 3_600_000, decision: 'approved' },
      { approval: 'a', tool: 'crm__search', decision: 'rejected' },
      { approval: 'a', tool: 'crm__search', decision: 'approved' },
    ]);
  });
});
