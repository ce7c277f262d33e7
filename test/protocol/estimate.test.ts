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

  describe('a step whose agent has tools: its tool loop', () => {
    it('counts max_turns model turns of 1 + retry attempts, and caps the duration by the step\'s timeout (plus the largest retry delay)', async () => {
      const def = await compile(`
flow Pause {
  input order: number
  wait 5s
}
agent Planner {
  model: "openai/gpt-4o-mini"
  max_tokens: 1000
  timeout: 30s
  retry: 1 backoff 2s
  tools: [Pause, mcp.crm.search]
  max_turns: 3
}
flow Help {
  step plan: Planner { prompt: "x" }
}`);
      const e = estimateFlow(def, 'Help', { prices: PRICES });
      // 3 turns × 2 attempts = 6 calls of ≤ 1000 tokens ($0.60 per million); the tools make no agent calls.
      // Uncapped: 6 × 30 s + 3 × 2 s of delays + 2 rounds × max(Pause 5 s, MCP ≤ the step's 30 s) = 246 s;
      // the step's timeout bounds the whole loop: 30 s + the largest delay 2 s.
      assert.deepEqual(rounded(e.total), { calls: 6, outputTokens: 6000, outputCostUsd: 0.0036, durationMs: 32_000 });
      assert.deepEqual(e.steps.map((s) => [s.name, s.attempts, s.turns]), [['plan', 2, 3]]);
      assert.deepEqual(e.notes, []);
    });

    it('without a timeout: turns then rounds of the slowest tool plus its approval_timeout; the default max_turns is the runtime\'s 8', async () => {
      const def = await compile(`
flow Pause {
  input order: number
  wait 5s
}
flow Longer {
  wait 1m
}
agent Planner {
  stub: "done"
  tools: [Pause { approval: "finance", approval_timeout: 1h }, Longer]
}
flow Help {
  step plan: Planner { prompt: "x" }
}`);
      // a stub model: 8 turns, 8 calls, no tokens, no time; 7 rounds of max(5 s + 1 h, 1 min)
      const e = estimateFlow(def, 'Help', { prices: PRICES });
      assert.deepEqual(e.total, { calls: 8, outputTokens: 0, outputCostUsd: 0, durationMs: 7 * (5_000 + 3_600_000) });
      assert.deepEqual(e.steps.map((s) => [s.name, s.turns]), [['plan', 8]]);
      assert.deepEqual(e.notes, []);
    });

    it('with a tool approval and a timeout: each turn may resume the loop with its timeout afresh, plus the approvals\' timeouts', async () => {
      const def = await compile(`
flow Pause {
  input order: number
  wait 5s
}
agent Planner {
  model: "openai/gpt-4o-mini"
  max_tokens: 100
  timeout: 10s
  tools: [Pause { approval: "finance", approval_timeout: 1h }]
  max_turns: 2
}
flow Help {
  step plan: Planner { prompt: "x" }
}`);
      // uncapped: 2 × 10 s + 1 round × (5 s + 1 h); capped: 2 stretches × 10 s + 1 × 1 h — the smaller is the cap
      const e = estimateFlow(def, 'Help', { prices: PRICES });
      assert.deepEqual(rounded(e.total), { calls: 2, outputTokens: 200, outputCostUsd: 0.00012, durationMs: 20_000 + 3_600_000 });
    });

    it('says unbounded, and why, for an agent tool (a turn may ask for any number of calls), an MCP tool without a step timeout, an approval without a timeout', async () => {
      const def = await compile(`
agent Lookup { model: "openai/gpt-4o-mini" max_tokens: 200 timeout: 5s }
flow Pause {
  input order: number
  wait 5s
}
agent Planner {
  model: "openai/gpt-4o-mini"
  max_tokens: 1000
  tools: [Lookup, Pause { approval: "finance" }, mcp.crm.search]
  max_turns: 2
}
flow Help {
  step plan: Planner { prompt: "x" }
}`);
      const e = estimateFlow(def, 'Help', { prices: PRICES });
      assert.deepEqual(e.total, { calls: null, outputTokens: null, outputCostUsd: null, durationMs: null });
      assert.deepEqual(e.notes, [
        'step plan has no timeout (neither it nor agent Planner): its duration is unbounded',
        'agent Planner may ask for any number of calls of tool Lookup in a turn (the runtime does not limit them): its calls, tokens and cost are unbounded',
        'tool Pause of agent Planner waits for an approval with no approval_timeout: the run\'s duration is unbounded',
        'tool mcp.crm.search of agent Planner is an MCP tool, bounded only by the step\'s timeout, and step plan has none: its duration is unbounded',
      ]);
    });

    it('counts a flow tool\'s own agent calls as unbounded and stops a flow that lists itself as a tool at maxFlowDepth', async () => {
      const def = await compile(`
agent Fast { stub: "x" }
agent Planner {
  stub: "done"
  tools: [Again]
  max_turns: 2
}
flow Again {
  step plan: Planner { prompt: "x" }
  step fast: Fast { prompt: "y" }
}`);
      const e = estimateFlow(def, 'Again', { maxFlowDepth: 3 });
      assert.equal(e.total.calls, null);
      assert.equal(e.total.durationMs, 0);
      assert.deepEqual(e.notes, ['agent Planner may ask for any number of calls of tool Again in a turn (the runtime does not limit them): its calls, tokens and cost are unbounded']);
    });
  });
});
