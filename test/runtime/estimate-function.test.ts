import assert from 'node:assert/strict';
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
      assert.deepEqual(within.summary.outputs?.figures, { calls: 2, tokens: 2000, durationMs: 62_000, bounded: true });
      assert.deepEqual(within.summary.outputs?.open, { calls: 1, tokens: null, durationMs: null, bounded: false });
      const over = await run(def, 'Main', { budget: 1000 }, { store: t.store, agents: scriptedAgents(() => 'ok') });
      assert.equal(over.summary.status, 'failed');
      assert.match(over.summary.error?.message ?? '', /over budget/);
    });
  });
}
