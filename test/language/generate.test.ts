import assert from 'node:assert/strict';
import { GENERATED_FLOW_OUTPUT, type StepNode } from '@baton/protocol';
import { build, check, completeAt, hoverAt } from './helpers.js';

/*
 * Flows written by agents (issue 14): `output: flow`, a step's `generate { … }` policy and `step s: run plan { … }` —
 * parsing, IR, the checker's codes with their ranges, and the types of the two steps.
 */

const AGENTS = `agent Researcher {
  model: "openai/gpt-4o-mini"
  output: { facts: string[] }
  stub: { facts: ["a"] }
}
agent Planner {
  model: "openai/gpt-4o-mini"
  output: flow
  stub: "flow X { }"
}
flow Template {
  input request: string
  output summary: string
  step r: Researcher { prompt: "\${input.request}" }
  set output.summary = r.output.facts[0]
}
`;
const LINE = AGENTS.split('\n').length - 1;
const flow = (body: string): string => `${AGENTS}flow F {\n  input request: string\n  output summary: string\n${body}\n}\n`;
const POLICY = 'generate { agents: [Researcher], flows: [Template], tools: ["search"], max_steps: 10, budget_tokens: 5000, repairs: 3, input: { request: string }, output: { summary: string } }';
const GOOD = flow(`  step plan: Planner { prompt: "go", ${POLICY} }\n  step custom: run plan { input: { request: input.request } }\n  set output.summary = custom.output.summary`);

describe('language: flows written by agents', () => {
  it('builds `output: flow`, the policy and the run step into the IR', async () => {
    const def = await build(GOOD);
    assert.equal(def.agents.Planner.writesFlow, true);
    assert.deepEqual(def.agents.Planner.output, { kind: 'string' });
    const [plan, custom] = def.flows.F.body as StepNode[];
    const { range, ...policy } = plan.generate!;
    assert.ok(range);
    assert.deepEqual(policy, {
      agents: ['Researcher'],
      flows: ['Template'],
      tools: ['search'],
      maxSteps: 10,
      budgetTokens: 5000,
      repairs: 3,
      input: { kind: 'record', fields: [{ name: 'request', type: { kind: 'string' }, optional: false }] },
      output: { kind: 'record', fields: [{ name: 'summary', type: { kind: 'string' }, optional: false }] },
    });
    assert.deepEqual(custom.target, { kind: 'generated', name: 'plan' });
    const plain = await build(flow('  step plan: Planner { generate { agents: [] } }'));
    const defaults = (plain.flows.F.body[0] as StepNode).generate!;
    assert.deepEqual([defaults.maxSteps, defaults.repairs, defaults.budgetTokens], [20, 2, undefined]);
  });

  it('checks a good policy and run step without errors; `run`, `generate` stay names', async () => {
    const { errors } = await check(GOOD);
    assert.deepEqual(errors, []);
    assert.deepEqual((await check(flow('  step run: Researcher { prompt: "x" }\n  let generate = run.output\n  set output.summary = generate.facts[0]'))).errors, []);

    // an agent only a policy lists is used: by the flows written under it
    const alone = `agent Helper { model: "openai/gpt-4o-mini", output: { text: string }, stub: { text: "x" } }\n${AGENTS.replace(/flow Template[\s\S]*$/, '')}flow G {\n  output summary: string\n  step plan: Planner { generate { agents: [Helper], output: { summary: string } } }\n  step custom: run plan\n  set output.summary = custom.output.summary\n}\n`;
    const only = await check(alone);
    assert.deepEqual(only.errors, []);
    assert.deepEqual(only.warnings.filter((w) => w.code === 'unused-agent').map((w) => w.message), ['agent `Researcher` is never used by a step']);
  });

  it('types the generating step as { source, flow, definition, attempts } and the run step by the policy output', async () => {
    const { errors } = await check(flow(`  step plan: Planner { ${POLICY} }\n  step custom: run plan { input: { request: input.request } }\n  let n = plan.output.attempts + plan.output.nope\n  set output.summary = custom.output.other`));
    assert.deepEqual(errors.map((e) => [e.code, e.text, e.message]), [
      ['unknown-field', 'nope', `agent \`Planner\`'s output has no field \`nope\`; it has ${GENERATED_FLOW_OUTPUT.kind === 'record' ? GENERATED_FLOW_OUTPUT.fields.map((f) => f.name).join(', ') : ''}`],
      ['unknown-field', 'other', "the output of the flow `plan` generated has no field `other`; it has summary"],
    ]);
  });

  it('reports policy problems with their codes and ranges', async () => {
    const text = flow('  step plan: Planner { generate { agents: [Template], flowz: [], max_steps: 0, repairs: 11, input: string, flows: ["T"] } }');
    const { errors } = await check(text);
    assert.deepEqual(errors.map((e) => [e.code, e.text]), [
      ['generate-invalid-value', 'Template'],
      ['generate-unknown-key', 'flowz'],
      ['generate-limit-out-of-range', '0'],
      ['generate-limit-out-of-range', '11'],
      ['generate-invalid-value', 'string'],
      ['generate-invalid-value', '"T"'],
    ]);
    assert.match(errors[1].message, /did you mean `flows`/);
    assert.equal(errors[0].range[0], LINE + 3);
  });

  it('needs a policy for a flow-writing agent, refuses one elsewhere, and `run` only of a generating step', async () => {
    const { errors } = await check(flow('  step plan: Planner { prompt: "x" }\n  step r: Researcher { generate { } }\n  step q: Researcher { prompt: "x" }\n  step c: run q\n  step d: run plan { input: { nope: 1 } }\n  set output.summary = r.output.facts[0]'));
    assert.deepEqual(errors.map((e) => [e.code, e.text]), [
      ['generate-policy-missing', 'Planner'],
      ['generate-needs-flow-agent', 'generate'],
      ['run-needs-generating-step', 'q'],
      ['run-needs-generating-step', 'plan'],
    ]);
    const inputs = await check(flow(`  step plan: Planner { ${POLICY} }\n  step c: run plan { input: { nope: 1 } }`));
    assert.deepEqual(inputs.errors.map((e) => [e.code, e.text]), [['missing-input', 'c'], ['unknown-input', 'nope']]);
  });

  it('completes the keys of `generate { … }` not given yet', async () => {
    const labels = await completeAt(flow('  step plan: Planner { generate { agents: [Researcher], <|> } }'));
    assert.deepEqual(labels, ['flows', 'tools', 'max_steps', 'budget_tokens', 'repairs', 'input', 'output']);
  });

  it('completes `step s: run |` with the earlier steps that write a flow (not the others, not later ones)', async () => {
    const body = (at: string): string =>
      flow(`  step plan: Planner { generate { agents: [Researcher] } }\n  step look: Researcher { prompt: "x" }\n  step other: Planner { generate { agents: [Researcher] } }\n  ${at}\n  step later: Planner { generate { agents: [Researcher] } }`);
    assert.deepEqual(await completeAt(body('step custom: run <|>')), ['plan', 'other']);
    assert.deepEqual(await completeAt(body('step custom: run p<|>')), ['plan']);
    assert.deepEqual(await completeAt(body('step custom: run <|> { input: {} }')), ['plan', 'other']);
    // the keyword itself is still offered where a step names its target
    assert.ok((await completeAt(body('step custom: <|>'))).includes('run'));
  });

  it("hover on a key of `generate { … }` says what it does, what it takes and its default; on `generate` and `run`, what they do", async () => {
    const at = (policy: string, run = 'run plan'): string => flow(`  step plan: Planner { ${policy} }\n  step custom: ${run}\n  set output.summary = custom.output.summary`);
    assert.equal(
      await hoverAt(at('generate { agents: [Researcher], max_st<|>eps: 5 }')),
      '**generate** `max_steps`: the most `step`s the written flow may have, counted on its text before it is parsed (`generate-too-many-steps`).  \ntakes: a whole number from 1 to 1000  \ndefault: 20',
    );
    assert.match((await hoverAt(at('generate { ag<|>ents: [Researcher] }')))!, /^\*\*generate\*\* `agents`: the agents the written flow's steps .*\n.*`\[Agent, …\]`.*\ndefault: `\[\]`: no agent$/);
    assert.match((await hoverAt(at('generate { agents: [Researcher], rep<|>airs: 1 }')))!, /FLOW_REJECTED.*\s+takes: a whole number from 0 to 10 {2}\ndefault: 2$/);
    assert.match((await hoverAt(at('generate { agents: [Researcher], out<|>put: { summary: string } }')))!, /^\*\*generate\*\* `output`: .*\n.*record type/);
    assert.match((await hoverAt(at('generate { agents: [Researcher], bog<|>us: 1 }')))!, /not a key of a policy \(`agents`, `flows`/);
    assert.match((await hoverAt(at('gener<|>ate { agents: [Researcher] }')))!, /^\*\*generate\*\* `\{ … \}`: the policy .*`step s: run plan` runs the flow\.$/);
    assert.match((await hoverAt(at('generate { agents: [Researcher] }', 'r<|>un plan')))!, /^\*\*run\*\* `plan`: runs the flow step `plan` wrote .* keyed `custom\/<step>`/);
    // a step named `run` is hovered as a step, its keyword `run` as what it runs
    assert.doesNotMatch((await hoverAt(at('generate { agents: [Researcher] }', 'run plan').replace('step custom: run plan', 'step r<|>un: run plan').replace('custom.output', 'run.output'))) ?? '', /^\*\*run\*\* `plan`/);
    assert.match((await hoverAt(at('generate { agents: [Researcher] }', 'run plan').replace('step custom: run plan', 'step run: r<|>un plan').replace('custom.output', 'run.output')))!, /^\*\*run\*\* `plan`/);
    // a value inside the policy is not a key
    assert.doesNotMatch((await hoverAt(at('generate { agents: [Researcher], max_steps: 5<|> }'))) ?? '', /\*\*generate\*\*/);
  });
});
