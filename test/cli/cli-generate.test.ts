import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FlowGeneratedEvent, RunEvent, WrittenFlowView } from '@baton/protocol';
import { baton, batonAsync, tempWorkspace } from './cli-helper.js';

// Flows written by agents through the CLI as a user runs them (issue 14): the dispatcher example's custom path in
// `baton test` (a good flow, a bad one repaired, one that never checks), and kill -9 after acceptance then resume.

const GEN = `agent Researcher {
  model: "openai/gpt-4o-mini"
  output: { facts: string[] }
  stub: { facts: ["a fact"] }
}
agent Planner {
  model: "openai/gpt-4o-mini"
  output: flow
  stub: """
flow Custom {
  input request: string
  output summary: string
  step look: Researcher { prompt: "\\\${input.request}" }
  step again: Researcher { prompt: "again" }
  set output.summary = "\\\${look.output.facts[0]} and \\\${again.output.facts[0]}"
}
"""
}
flow Dispatch {
  input request: string = "plan the offsite"
  output summary: string
  step plan: Planner {
    prompt: "Request: \${input.request}"
    generate { agents: [Researcher], max_steps: 4, input: { request: string }, output: { summary: string } }
  }
  step custom: run plan { input: { request: input.request } }
  set output.summary = custom.output.summary
}
`;

describe('baton: flows written by agents (dispatcher custom path, crash after acceptance)', function () {
  this.timeout(180_000);
  let ws: ReturnType<typeof tempWorkspace>;
  before(() => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'gen.flow'), GEN);
  });
  after(() => ws.cleanup());

  it('baton test runs the dispatcher: a generated flow calling a template, a repaired one, one that never checks', () => {
    const r = baton(['test', 'examples/dispatcher.flow'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const name of ['a request no template fits gets a flow written for it, which calls a template', "a written flow that does not check is repaired from the checker's diagnostics", 'a written flow that never checks falls back to the custom template']) {
      assert.ok(r.stdout.includes(`✓ ${name}`), `${name}\n${r.stdout}`);
    }
  });

  it('baton run prints each answer of the writer under its step: refused with the first diagnostic, then accepted', () => {
    const written = GEN.split('stub: """')[1].split('"""')[0];
    const bad = written.replace('step again: Researcher', 'step again: Nobody');
    writeFileSync(path.join(ws.dir, 'repair.flow'), GEN.replace(`stub: """${written}"""`, `stub: ["""${bad}""", """${written}"""]`));
    const r = baton(['run', 'repair.flow', '--flow', 'Dispatch', '--store', path.join(ws.dir, 'print.db')], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /⊘ flow +plan · attempt 1 +refused: 5:15 unknown-agent: .*Nobody/);
    assert.match(r.stdout, /✎ flow Custom +plan · attempt 2 +accepted sha256:/);
    assert.match(r.stdout, /✓ custom\/again/);
  });

  it('kill -9 inside the accepted flow, then resume: the stored definition runs on, nothing is generated again', async () => {
    const store = path.join(ws.dir, 'kept.db');
    const r = await batonAsync(['test', 'gen.flow', '--flow', 'Dispatch', '--crash-at', 'custom/again', '--store', store, '--json'], { cwd: ws.dir });
    const report = JSON.parse(r.stdout) as { runId: string; crashed: boolean; status: string; steps: Record<string, number>; problem?: string };
    assert.equal(r.code, 0, `${report.problem} ${r.stderr}`);
    assert.equal(report.crashed, true);
    assert.equal(report.status, 'succeeded');
    assert.deepEqual(report.steps, { plan: 1, 'custom/look': 1, 'custom/again': 1, custom: 1 });
    const shown = baton(['runs', 'show', report.runId, '--store', store, '--json'], { cwd: ws.dir });
    const { run, events, written } = JSON.parse(shown.stdout) as { run: { outputs: Record<string, unknown> }; events: RunEvent[]; written?: WrittenFlowView[] };
    assert.deepEqual(run.outputs, { summary: 'a fact and a fact' });
    const generated = events.filter((e): e is FlowGeneratedEvent => e.type === 'flow.generated');
    assert.equal(generated.length, 1, 'the flow was accepted once, before the crash');
    assert.equal(generated[0].accepted, true);
    assert.match(generated[0].definition!, /^sha256:[0-9a-f]{64}$/);
    assert.ok(events.some((e) => e.type === 'run.resumed'), 'the run was resumed');
    // --json gives the written flow with its graph and stored text (what the editor's graph panel draws)
    assert.equal(written?.length, 1);
    const [view] = written!;
    assert.deepEqual([view.step, view.node, view.flow, view.definition], ['plan', 'Dispatch/plan', 'Custom', generated[0].definition]);
    assert.equal(path.basename(view.file), 'Custom.generated.flow');
    assert.match(view.source ?? '', /^import "\.\/gen\.flow"\nflow Custom \{/);
    assert.deepEqual(view.graph.nodes.filter((n) => n.kind === 'step').map((n) => n.id), ['Custom/look', 'Custom/again']);
    assert.ok(view.graph.nodes.every((n) => !n.range || n.range.file === view.file), "its nodes' ranges are in its file");
    // the events of the run name the written flow's nodes: the panel colours its graph with them
    assert.ok(events.some((e) => e.type === 'step.finished' && e.node === 'Custom/again'));
    const human = baton(['runs', 'show', report.runId, '--store', store], { cwd: ws.dir }).stdout;
    assert.match(human, /✎ flow Custom +plan · attempt 1 +accepted sha256:/);
    assert.match(human, /Written flow Custom by step plan · sha256:[0-9a-f]{64}\n {2}flow Custom \{\n {4}input request: string/);
  });
});
