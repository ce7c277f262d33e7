import assert from 'node:assert/strict';
import { resumeRun } from '../../packages/runtime/src/index.js';
import { compile, freshStore, run, scriptedAgents, type KindStore } from './helpers.js';
import { STORE_KINDS } from '../store/both-stores.js';

const FLOWS = `
agent Writer {
  model: "openai/gpt-4o-mini"
  max_tokens: 1000
  timeout: 30s
  retry: 1 backoff 2s
}
agent Helper { model: "openai/gpt-4o-mini" }
flow Template {
  step w: Writer { prompt: "x" }
}
flow Open {
  step h: Helper { prompt: "x" }
}
flow Main {
  input budget: number
  output figures: any
  output open: any
  set output.figures = estimate("Template")
  set output.open = estimate("Open")
  if estimate("Template").tokens > input.budget {
    fail "over budget"
  }
  step go: Template
}
`;

for (const kind of STORE_KINDS.slice(0, 1)) {
  describe(`runtime: estimate("Flow") (${kind.name})`, () => {
    let t: KindStore;
    beforeEach(async () => (t = await freshStore(kind)));
    afterEach(() => t.cleanup());

    it('is the flow\'s static worst case (2 attempts × 1000 tokens; 2 × 30 s + 2 s); null for what it does not bound', async () => {
      const def = await compile(FLOWS);
      const within = await run(def, 'Main', { budget: 5000 }, { store: t.store, agents: scriptedAgents(() => 'ok') });
      assert.equal(within.summary.status, 'succeeded');
      assert.deepEqual(within.summary.outputs?.figures, { calls: 2, tokens: 2000, durationMs: 62_000, costUsd: null, bounded: true });
      assert.deepEqual(within.summary.outputs?.open, { calls: 1, tokens: null, durationMs: null, costUsd: null, bounded: false });
      const over = await run(def, 'Main', { budget: 1000 }, { store: t.store, agents: scriptedAgents(() => 'ok') });
      assert.equal(over.summary.status, 'failed');
      assert.match(over.summary.error?.message ?? '', /over budget/);
    });

    it('costs the tokens at the prices the run started under (RunOptions.estimateConfig), recorded on run.started so a resume reads the same', async () => {
      const def = await compile(`
agent Writer {
  model: "openai/gpt-4o-mini"
  max_tokens: 1000
  timeout: 30s
}
flow Template {
  step w: Writer { prompt: "x" }
}
flow Priced {
  output before: any
  output after: any
  set output.before = estimate("Template").costUsd
  approval ok { prompt: "go?" }
  set output.after = estimate("Template").costUsd
}`);
      // the config's agents override Writer's max_tokens (500) and model (gpt-4o at $10/M output): 500 × 10 / 1e6
      const estimateConfig = {
        prices: { 'openai/gpt-4o-mini': { input: 0.15, output: 0.6 }, 'openai/gpt-4o': { input: 2.5, output: 10 }, 'anthropic/claude-x': { input: 1, output: 5 } },
        agents: { Writer: { model: 'openai/gpt-4o', maxTokens: 500 }, Elsewhere: { maxTokens: 1 } },
      };
      const first = await run(def, 'Priced', {}, { store: t.store, estimateConfig });
      assert.equal(first.summary.status, 'waiting');
      const started = first.events.find((e) => e.type === 'run.started');
      // only what this definition's agents use is recorded
      assert.deepEqual(started?.type === 'run.started' && started.estimate, { prices: { 'openai/gpt-4o': { input: 2.5, output: 10 } }, agents: { Writer: { model: 'openai/gpt-4o', maxTokens: 500 } } });
      await t.store.recordDecision(first.summary.runId, 'ok', { decision: 'approved', by: 'ann' });
      // resumed with no configuration at all: the recorded one answers
      const done = await resumeRun(first.summary.runId, { store: t.store });
      assert.equal(done.status, 'succeeded');
      assert.deepEqual(done.outputs, { before: 0.005, after: 0.005 });
      // without prices: null
      const unpriced = await run(def, 'Priced', {}, { store: t.store });
      const startedUnpriced = unpriced.events.find((e) => e.type === 'run.started');
      assert.equal(startedUnpriced?.type === 'run.started' && 'estimate' in startedUnpriced, false);
      assert.equal(unpriced.summary.outputs.before, null);
    });
  });
}
