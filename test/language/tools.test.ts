import assert from 'node:assert/strict';
import { check, checkText, services } from './helpers.js';

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
