import assert from 'node:assert/strict';
import type { FlowGeneratedEvent, RunEvent, StepNode, StubSpec, WorkflowDefinition } from '@baton/protocol';
import { createFlowAuthoring } from '@baton/language';
import { attachSources, startRun, resumeRun, type FlowAuthoring } from '../../packages/runtime/src/index.js';
import { compile, tempStore } from './helpers.js';

// Flows written by agents (issue 14): a step's agent with `output: flow` writes flow source under a `generate` policy;
// the runtime checks it with the language's checker, gives the diagnostics back for repairs, stores the accepted
// definition by hash, and `step s: run plan` runs it as a sub-flow.

const FLOWS = `
/** Finds facts. */
agent Researcher {
  model: "openai/gpt-4o-mini"
  output: { facts: string[] }
  stub: { facts: ["a fact"] }
}
agent Writer {
  model: "openai/gpt-4o-mini"
  output: { text: string }
  stub: { text: "written" }
}
/** Writes a Baton flow for a request no template fits. */
agent Planner {
  model: "openai/gpt-4o-mini"
  instructions: "Write a Baton flow for the request."
  output: flow
  stub: "flow Unused { }"
}
flow Template {
  input request: string
  output summary: string
  step r: Researcher { prompt: "\${input.request}" }
  set output.summary = r.output.facts[0]
}
flow Dispatch {
  input request: string
  output summary: string
  step plan: Planner {
    prompt: "Request: \${input.request}"
    generate { agents: [Researcher], flows: [Template], max_steps: 5, repairs: 1, input: { request: string }, output: { summary: string } }
  }
  step custom: run plan { input: { request: input.request } }
  set output.summary = custom.output.summary
}
`;

const GOOD = `flow Custom {
  input request: string
  output summary: string
  step look: Researcher { prompt: "\${input.request}" }
  step t: Template { input: { request: input.request } }
  set output.summary = "\${look.output.facts[0]} + \${t.output.summary}"
}`;

/** A stub answering each call of the planner with the next text. */
function planner(...texts: string[]): Record<string, StubSpec> {
  return { Planner: { items: texts.map((value) => ({ kind: 'value' as const, value })) } };
}

function generated(events: RunEvent[]): FlowGeneratedEvent[] {
  return events.filter((e): e is FlowGeneratedEvent => e.type === 'flow.generated');
}

describe('flows written by agents (generate policy, repairs, run)', function () {
  this.timeout(60_000);
  let def: WorkflowDefinition;
  let authoring: FlowAuthoring;
  let t: ReturnType<typeof tempStore>;
  before(async () => {
    def = await compile(FLOWS);
    attachSources(def, [{ file: def.files[0], text: FLOWS }]);
    authoring = createFlowAuthoring();
  });
  beforeEach(() => (t = tempStore()));
  afterEach(() => t.cleanup());

  async function dispatch(...texts: string[]) {
    const summary = await startRun(def, 'Dispatch', { request: 'hello' }, { store: t.store, stubOverrides: planner(...texts), flowAuthoring: authoring });
    return { summary, events: await t.store.getEvents(summary.runId) };
  }

  it('runs an accepted flow as a sub-flow, calling an allowed agent and a template, and stores it by hash', async () => {
    const { summary, events } = await dispatch(GOOD);
    assert.equal(summary.status, 'succeeded', JSON.stringify(summary.error));
    assert.deepEqual(summary.outputs, { summary: 'a fact + a fact' });
    const [attempt] = generated(events);
    assert.equal(attempt.accepted, true);
    assert.equal(attempt.flow, 'Custom');
    const stored = await t.store.getDefinitionByHash(attempt.definition!);
    assert.ok(stored.flows.Custom, 'the accepted definition is in the store');
    const texts = await t.store.getSourcesByHash(attempt.definition!);
    assert.ok(texts.some((s) => s.text.includes('flow Custom')), 'with its source text');
    assert.ok(events.some((e) => e.type === 'step.finished' && e.step === 'custom/t/r'), 'the template ran inside the generated flow');
  });

  it('gives the diagnostics back and runs the repaired flow', async () => {
    const bad = GOOD.replace('step look: Researcher', 'step look: Researcherr');
    const { summary, events } = await dispatch(bad, GOOD);
    assert.equal(summary.status, 'succeeded', JSON.stringify(summary.error));
    const attempts = generated(events);
    assert.deepEqual(attempts.map((a) => [a.attempt, a.accepted]), [[1, false], [2, true]]);
    assert.equal(attempts[0].diagnostics[0].line, 4);
    assert.match(attempts[0].diagnostics[0].message, /Researcherr/);
  });

  it('fails the step FLOW_REJECTED with the last diagnostics when no attempt checks', async () => {
    const bad = GOOD.replace('step t: Template', 'step t: Nowhere');
    const { summary, events } = await dispatch(bad, bad, GOOD);
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error?.code, 'FLOW_REJECTED');
    assert.match(summary.error!.message, /Nowhere/);
    assert.equal(generated(events).length, 2, 'one attempt and one repair (repairs: 1), not a third');
  });

  const refusals: [string, string, string][] = [
    ['an agent the policy does not list', GOOD.replace('step look: Researcher { prompt: "${input.request}" }', 'step look: Writer { prompt: "x" }').replace('${look.output.facts[0]}', '${look.output.text}'), 'generate-undeclared-agent'],
    ['an import', `import "other.flow"\n${GOOD}`, 'generate-import'],
    ['a trigger', GOOD.replace('input request: string', 'trigger webhook "/x"\n  input request: string'), 'generate-trigger'],
    ['its own agent', `agent Mine { model: "openai/gpt-4o" }\n${GOOD}`, 'generate-declaration'],
    ['10,000 steps', `flow Huge {\n  input request: string\n  output summary: string\n${Array.from({ length: 10_000 }, (_, i) => `  step s${i}: Researcher { prompt: "x" }`).join('\n')}\n}`, 'generate-too-many-steps'],
    ['a missing output of the policy', GOOD.replace('output summary: string', 'output other: string').replace('set output.summary', 'set output.other'), 'generate-signature'],
  ];
  for (const [what, text, code] of refusals) {
    it(`refuses a flow with ${what} (${code})`, async () => {
      const { summary, events } = await dispatch(text);
      assert.equal(summary.error?.code, 'FLOW_REJECTED');
      const attempts = generated(events);
      assert.equal(attempts.length, 2);
      assert.ok(attempts.every((a) => !a.accepted && a.diagnostics.some((d) => d.code === code)), JSON.stringify(attempts.map((a) => a.diagnostics)));
    });
  }

  it('refuses 10,000 steps before parsing them', async () => {
    const huge = `flow Huge {\n${Array.from({ length: 10_000 }, (_, i) => `  step s${i}: Researcher { prompt: "x" }`).join('\n')}\n}`;
    const verdict = await authoring.check({ source: huge, policy: (def.flows.Dispatch.body[0] as StepNode).generate!, file: def.files[0], sources: [{ file: def.files[0], text: FLOWS }] }, new AbortController().signal);
    assert.equal(verdict.ok, false);
    assert.deepEqual(!verdict.ok && verdict.diagnostics.map((d) => [d.line, d.code]), [[7, 'generate-too-many-steps']]);
  });

  it('fails the step FLOW_AUTHORING_UNAVAILABLE without a checker', async () => {
    const summary = await startRun(def, 'Dispatch', { request: 'hello' }, { store: t.store, stubOverrides: planner(GOOD) });
    assert.equal(summary.error?.code, 'FLOW_AUTHORING_UNAVAILABLE');
  });

  it('resumes an interrupted run with the stored definition, not a new answer', async () => {
    const controller = new AbortController();
    const first = await startRun(def, 'Dispatch', { request: 'hello' }, {
      store: t.store,
      stubOverrides: planner(GOOD),
      flowAuthoring: authoring,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'flow.generated') controller.abort();
      },
    });
    assert.equal(first.status, 'interrupted');
    const other = GOOD.replace('" + "', '" - "');
    const resumed = await resumeRun(first.runId, { store: t.reopen(), stubOverrides: planner(other), flowAuthoring: authoring });
    assert.equal(resumed.status, 'succeeded', JSON.stringify(resumed.error));
    assert.deepEqual(resumed.outputs, { summary: 'a fact + a fact' }, 'the accepted flow ran, not what the agent would write now');
    assert.equal(generated(await t.store.getEvents(first.runId)).length, 1);
  });
});
