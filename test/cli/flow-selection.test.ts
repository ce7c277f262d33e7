import assert from 'node:assert/strict';
import { pickFlow } from '../../packages/cli/src/flow-selection.js';
import { compile } from '../runtime/helpers.js';

// The entry flow `baton run`, `estimate` and `graph` pick when a file declares several flows (docs/language.md).
describe('the entry flow of a file', () => {
  const flows = (tools: string): string => `
agent Helper {
  model: "openai/gpt-4o-mini"
  output: { reply: string }
  ${tools}
}
flow Refund {
  input order: string
  step pay: Helper { prompt: "pay \${input.order}" }
}
flow Help {
  output reply: string
  step answer: Helper { prompt: "help" }
  set output.reply = answer.output.reply
}
`;

  it('is the flow no other flow calls: a flow an agent of another flow has as a tool is called', async () => {
    const definition = await compile(flows('tools: [Refund]'));
    const file = definition.flows.Help.range.file;
    assert.equal(pickFlow(definition, file, undefined).name, 'Help');
  });

  it('is ambiguous when no flow calls another: the error names the flows', async () => {
    const definition = await compile(flows(''));
    const file = definition.flows.Help.range.file;
    assert.throws(() => pickFlow(definition, file, undefined), /declares several flows \(Refund, Help\); choose one with --flow/);
  });
});
