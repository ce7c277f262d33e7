import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunEvent } from '@baton/protocol';
import { buildFlowGraph } from '../../packages/graph/src/index.js';
import { childEnv, type RunSettings } from '../../packages/extension/src/run-env.js';
import { RunStoreClient } from '../../packages/extension/src/runs-model.js';
import { concerns, findWritten, generatingStepOf, writtenEntryStep } from '../../packages/extension/src/written-flows.js';
import { entryOf } from '../../packages/extension/src/run-entries.js';
import { runStateFrom } from '../../packages/protocol/src/run-view.js';
import { build } from '../language/helpers.js';
import { writtenFlowSource } from '../support/written-flow.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'out', 'cli.mjs');
const settings: RunSettings = { agentsMode: 'stub', storePath: '.baton/runs.db', baseUrls: {} };

const FLOWS = writtenFlowSource({ firstStep: true, twoSteps: true });

/**
 * What the graph panel draws of a flow an agent wrote (graph-panel-written.ts): the stored run read through the CLI as
 * the extension reads it (`baton runs show --json`'s `written`), and the choices written-flows.ts makes on it.
 */
describe('the graph panel: flows written by agents, read from the store through the CLI', function () {
  this.timeout(60_000);
  let dir: string;
  let client: RunStoreClient;
  let runId: string;

  before(async () => {
    assert.ok(existsSync(CLI), `${CLI} is missing: run npm run build first`);
    dir = mkdtempSync(path.join(tmpdir(), 'baton-written-'));
    writeFileSync(path.join(dir, 'gen.flow'), FLOWS);
    const env = childEnv(process.env, settings, {});
    execFileSync(process.execPath, [CLI, 'run', 'gen.flow', '--flow', 'Dispatch', '--store', path.join(dir, 'runs.db')], { cwd: dir, env });
    client = new RunStoreClient(() => ({ node: process.execPath, cli: CLI, cwd: dir, env }), () => path.join(dir, 'runs.db'));
    [{ id: runId }] = await client.list();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("gets the written flow's graph and text with the run, and picks it by step, node, definition or name", async () => {
    const detail = await client.show(runId);
    assert.equal(detail.written?.length, 1);
    const [view] = detail.written!;
    assert.deepEqual([view.step, view.node, view.flow], ['plan', 'Dispatch/plan', 'Custom']);
    assert.equal(view.file, path.join(dir, 'Custom.generated.flow'));
    assert.match(view.source!, /^import "\.\/gen\.flow"\nflow Custom \{\n {2}output summary: string\n {2}step look:/);
    const look = view.graph.nodes.find((n) => n.id === 'Custom/look')!;
    assert.deepEqual([look.range?.file, look.range?.start.line], [view.file, 4], "a node's range is in the stored text (after the import line)");
    for (const which of ['plan', 'Dispatch/plan', view.definition, view.definition.slice('sha256:'.length), 'Custom']) assert.equal(findWritten(detail.written!, which), view, which);
    assert.equal(findWritten(detail.written!, 'first'), undefined);
  });

  it("draws the run's own events and those of the written flow's nodes, not the run's other steps", async () => {
    const { events, written } = await client.show(runId);
    const nodes = new Set(written![0].graph.nodes.map((n) => n.id));
    const drawn = events.filter((e) => concerns(nodes, e));
    const named = (list: RunEvent[]) => [...new Set(list.flatMap((e) => ('node' in e && typeof e.node === 'string' ? [e.node] : [])))];
    assert.deepEqual(named(drawn), ['Custom/look', 'Custom/again', 'Custom/set@2']);
    assert.ok(drawn.some((e) => e.type === 'run.started') && drawn.some((e) => e.type === 'run.succeeded'), "the run's own events are kept");
    assert.ok(named(events).includes('Dispatch/first'), 'the run has other steps');
  });

  it('finds the generating step of a `run plan` node of the run’s graph, and the step a Runs view entry names', async () => {
    const graph = buildFlowGraph(await build(FLOWS), 'Dispatch');
    assert.equal(generatingStepOf(graph, 'Dispatch/custom'), 'Dispatch/plan');
    assert.equal(generatingStepOf(graph, 'Dispatch/plan'), undefined);
    assert.equal(generatingStepOf(graph, 'Dispatch/first'), undefined);
    // the Runs view's entry of the accepted answer (run-entries.ts) names its step
    const { events } = await client.show(runId);
    const entry = entryOf(runStateFrom(events), { from: 'written', key: 'plan|1' })!;
    assert.deepEqual([entry.label, entry.status], ['flow Custom', 'succeeded']);
    assert.equal(writtenEntryStep(entry.key), 'plan');
    assert.equal(writtenEntryStep('plan'), undefined);
  });
});
