import assert from 'node:assert/strict';
import { estimateFlow, type EstimateFigures } from '../../packages/protocol/src/index.js';
import { compile } from '../runtime/helpers.js';

const PRICES = { 'openai/gpt-4o-mini': { input: 0.15, output: 0.6 } };

/** Figures with the cost rounded to 1e-9 $ (sums of floats), for deepEqual. */
function rounded<T extends EstimateFigures>(f: T): T {
  return { ...f, outputCostUsd: f.outputCostUsd === null ? null : Math.round(f.outputCostUsd * 1e9) / 1e9 };
}

describe('protocol: estimateFlow, the static worst case of a run', () => {
  it('adds retries, timeouts and backoff, takes the worst if-branch, sums parallel calls but its longest branch, multiplies repeat by its max', async () => {
    const def = await compile(`
agent Writer {
  model: "openai/gpt-4o-mini"
  max_tokens: 1000
  timeout: 30s
  retry: 2 backoff 1s
}
agent Fast {
  model: "openai/gpt-4o-mini"
  max_tokens: 100
  timeout: 5s
}
agent Checker { stub: "ok" }
flow Draft {
  input topic: string
  step write: Writer { prompt: "x" }
  if input.topic == "a" {
    step check: Checker { prompt: "c" }
  } else {
    wait 10s
  }
  parallel {
    step p1: Writer { prompt: "y" max_tokens: 500 }
    step p2: Checker { prompt: "z" }
  }
  repeat max 3 {
    step again: Fast { prompt: "z" }
  } until again.output == "ok"
  approval review { prompt: "ok?" timeout: 1h }
}`);
    const e = estimateFlow(def, 'Draft', { prices: PRICES });
    // write: 3 attempts × 1000 tokens, 3 × 30 s + delays 1 s + 2 s; if: the stub's call vs wait 10 s;
    // parallel: 3 attempts × 500 + 1 stub call, longest 93 s; repeat: 3 × (1 call, 100 tokens, 5 s); approval 1 h
    assert.deepEqual(rounded(e.total), { calls: 3 + 1 + 4 + 3, outputTokens: 3000 + 1500 + 300, outputCostUsd: 0.00288, durationMs: 93_000 + 10_000 + 93_000 + 15_000 + 3_600_000 });
    assert.deepEqual(
      e.steps.map((s) => rounded(s)),
      [
        { id: 'Draft/write', name: 'write', target: 'agent Writer', runs: 1, attempts: 3, calls: 3, outputTokens: 3000, outputCostUsd: 0.0018, durationMs: 93_000 },
        { id: 'Draft/check', name: 'check', target: 'agent Checker', runs: 1, attempts: 1, calls: 1, outputTokens: 0, outputCostUsd: 0, durationMs: 0 },
        { id: 'Draft/p1', name: 'p1', target: 'agent Writer', runs: 1, attempts: 3, calls: 3, outputTokens: 1500, outputCostUsd: 0.0009, durationMs: 93_000 },
        { id: 'Draft/p2', name: 'p2', target: 'agent Checker', runs: 1, attempts: 1, calls: 1, outputTokens: 0, outputCostUsd: 0, durationMs: 0 },
        { id: 'Draft/again', name: 'again', target: 'agent Fast', runs: 3, attempts: 1, calls: 1, outputTokens: 100, outputCostUsd: 0.00006, durationMs: 5000 },
      ],
    );
    assert.deepEqual(e.notes, []);
  });

  it('says unbounded (null) with a note for a list of unknown length, no max_tokens, no prices and an approval without timeout', async () => {
    const def = await compile(`
agent Open { model: "openai/gpt-4o" }
agent Fast { model: "openai/gpt-4o-mini" max_tokens: 100 timeout: 5s }
flow Loop {
  input items: string[]
  foreach item in input.items {
    step each: Fast { prompt: "\${item}" }
  }
  foreach n in [1, 2] {
    step twice: Fast { prompt: "n" }
  }
  step open: Open { prompt: "o" }
  approval ok { prompt: "?" }
}`);
    const e = estimateFlow(def, 'Loop', { prices: PRICES });
    assert.deepEqual(e.total, { calls: null, outputTokens: null, outputCostUsd: null, durationMs: null });
    assert.deepEqual(e.steps.map((s) => [s.name, s.runs, s.outputTokens]), [['each', null, 100], ['twice', 2, 100], ['open', 1, null]]);
    assert.deepEqual(e.notes, [
      'foreach item (line 6) goes over a list of unknown length: what its body takes is unbounded',
      'agent Open has no max_tokens: its output tokens are unbounded',
      'model openai/gpt-4o has no prices in baton.config.json: its cost is unknown',
      'step open has no timeout (neither it nor agent Open): its duration is unbounded',
      'approval ok has no timeout: the run\'s duration is unbounded',
    ]);
    // without the unbounded parts: the literal list counts twice
    const bounded = await compile(`
agent Fast { model: "openai/gpt-4o-mini" max_tokens: 100 timeout: 5s }
flow Twice {
  foreach n in [1, 2] {
    step twice: Fast { prompt: "n" }
  }
}`);
    assert.deepEqual(rounded(estimateFlow(bounded, 'Twice', { prices: PRICES }).total), { calls: 2, outputTokens: 200, outputCostUsd: 0.00012, durationMs: 10_000 });
  });

  it('counts a recursive sub-flow down to maxFlowDepth, the config agents override the model and max_tokens', async () => {
    const def = await compile(`
agent Fast { model: "openai/gpt-4o" max_tokens: 100 timeout: 5s }
flow R {
  input go: boolean
  step a: Fast { prompt: "a" }
  step again: R { input: { go: input.go } when: input.go }
}`);
    // depth 0, 1, 2 each call Fast once; the call at depth 3 fails at once
    const e = estimateFlow(def, 'R', { prices: PRICES, maxFlowDepth: 2, agents: { Fast: { model: 'openai/gpt-4o-mini', maxTokens: 50 } } });
    assert.deepEqual(rounded(e.total), { calls: 3, outputTokens: 150, outputCostUsd: 0.00009, durationMs: 15_000 });
    assert.deepEqual(e.steps.map((s) => [s.name, s.target, s.calls, s.outputTokens]), [['a', 'agent Fast', 1, 50], ['again', 'flow R', 2, 100]]);
  });
});
