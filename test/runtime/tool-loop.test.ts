import assert from 'node:assert/strict';
import type { AgentDef, JsonValue, RunEvent, ToolDef, WorkflowDefinition } from '@baton/protocol';
import { BatonError, createStubAgents, redriveRun, resumeRun, type AgentRequest, type AgentTurnRequest, type AgentTurnResponse, type McpToolHints, type McpTools } from '../../packages/runtime/src/index.js';
import { STORE_KINDS } from '../store/both-stores.js';
import { compile, freshStore, run, type KindStore } from './helpers.js';

// The tool loop of an agent step (packages/runtime/src/engine/tool-loop.ts) against a scripted model: the turns,
// the calls of agents, flows and MCP tools, the limits, approvals and a resume in the middle of the loop.

const FLOWS = `
agent Support { stub: { reply: "?" } }
agent Lookup { stub: { order: 42, status: "shipped" } }
flow Refund {
  input order: number
  output refunded: number
  step pay: Lookup { prompt: "refund \${input.order}" }
  set output.refunded = input.order
}
flow Review {
  input order: number
  output ok: string
  approval check { prompt: "refund \${input.order}?" }
  set output.ok = check.output.decision
}
flow Main {
  output reply: any
  budget tokens 1000
  step support: Support { prompt: "help with order 42" }
  set output.reply = support.output
}`;

const range = { file: 'tools.flow', start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };
const LOOKUP: ToolDef = { name: 'Lookup', target: { kind: 'agent', name: 'Lookup' }, description: 'Looks up an order.', range };
const REFUND: ToolDef = {
  name: 'Refund',
  target: { kind: 'flow', name: 'Refund' },
  inputSchema: { type: 'object', properties: { order: { type: 'number' } }, required: ['order'], additionalProperties: false },
  range,
};
const REVIEW: ToolDef = { name: 'Review', target: { kind: 'flow', name: 'Review' }, range };
const CRM: ToolDef = { name: 'crm__search', target: { kind: 'mcp', server: 'crm', tool: 'search' }, range };

/** The flows with `tools` (and `maxTurns`) on agent Support. */
function withTools(def: WorkflowDefinition, tools: ToolDef[], extra: Partial<AgentDef> = {}): WorkflowDefinition {
  const copy = structuredClone(def);
  copy.agents.Support = { ...copy.agents.Support, tools, ...extra };
  return copy;
}

/** A model that answers turn N with `script[N - 1]` (a function of the request, or the answer); other agents are stubs. */
function model(script: ((r: AgentTurnRequest) => AgentTurnResponse | Promise<AgentTurnResponse>)[]) {
  const stubs = createStubAgents();
  const caller = {
    turns: [] as AgentTurnRequest[],
    calls: [] as AgentRequest[],
    call(r: AgentRequest) {
      caller.calls.push(r);
      return stubs.call(r);
    },
    async turn(r: AgentTurnRequest): Promise<AgentTurnResponse> {
      caller.turns.push(r);
      const answer = script[r.turn - 1];
      if (!answer) throw new Error(`no turn ${r.turn} in the script`);
      return answer(r);
    },
  };
  return caller;
}

const calls = (...list: [string, string, JsonValue][]) => (): AgentTurnResponse => ({ kind: 'calls', calls: list.map(([id, tool, args]) => ({ id, tool, arguments: args })), tokens: 10 });
const final = (output: JsonValue) => (): AgentTurnResponse => ({ kind: 'final', output, tokens: 10 });
const of = <T extends RunEvent['type']>(events: RunEvent[], type: T) => events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);

for (const kind of STORE_KINDS) {
  describe(`the tool loop of an agent step (${kind.name})`, () => {
    let def: WorkflowDefinition;
    let t: KindStore;
    before(async () => (def = await compile(FLOWS)));
    beforeEach(async () => (t = await freshStore(kind)));
    afterEach(() => t.cleanup());

    it('runs turns until the final answer: parallel agent and flow calls, their results given back to the model', async () => {
      const agents = model([calls(['c1', 'Lookup', { prompt: 'order 42' }], ['c2', 'Refund', { order: 42 }]), final({ reply: 'refunded' })]);
      const { summary, events } = await run(withTools(def, [LOOKUP, REFUND]), 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded', JSON.stringify(summary.error));
      assert.deepEqual(summary.outputs, { reply: { reply: 'refunded' } });
      assert.deepEqual(agents.turns.map((r) => [r.turn, r.history.length]), [[1, 0], [2, 1]]);
      assert.equal(agents.turns[1].history[0].callIndex, 0, 'the call index that answered turn 1');
      assert.deepEqual(agents.turns[0].tools.map((s) => s.name), ['Lookup', 'Refund']);
      assert.deepEqual(agents.turns[1].history[0].results, [
        { callId: 'c1', output: { order: 42, status: 'shipped' } },
        { callId: 'c2', output: { refunded: 42 } },
      ]);
      // the agent tool: its own call index and idempotency key; the flow tool: its steps under <step>/<callId>/
      const lookup = agents.calls.find((c) => c.agent.name === 'Lookup' && c.stepKey === 'support');
      assert.equal(lookup?.idempotencyKey, `${summary.runId}/support/tool/c1`);
      assert.ok(of(events, 'step.finished').some((e) => e.step === 'support/c2/pay' && e.status === 'succeeded'));
      assert.deepEqual(of(events, 'turn.finished').map((e) => [e.turn, e.final, e.calls.length, e.tokens]), [[1, false, 2, 10], [2, true, 0, 10]]);
      assert.deepEqual(of(events, 'tool.started').map((e) => [e.callId, e.target, e.childRun]), [['c1', 'agent', undefined], ['c2', 'flow', 'support/c2']]);
      assert.deepEqual(of(events, 'tool.finished').map((e) => [e.callId, e.status]).sort(), [['c1', 'succeeded'], ['c2', 'succeeded']]);
      const step = of(events, 'step.finished').find((e) => e.step === 'support');
      assert.deepEqual([step?.tokens, step?.attempts, step?.callIndexes], [20, 1, [0, 1]]);
      // the events were reported in the order they were stored
      assert.deepEqual(events.map((e) => e.seq), (await t.store.getEvents(summary.runId)).map((e) => e.seq));
    });

    it("a turn's calls run concurrently: each waits for the other to have started", async () => {
      const agents = model([calls(['a', 'Lookup', { prompt: 'a' }], ['b', 'Lookup', { prompt: 'b' }]), final({ reply: 'both' })]);
      let arrived = 0;
      let bothStarted: () => void = () => undefined;
      const barrier = new Promise<void>((resolve) => (bothStarted = resolve));
      agents.call = async (r: AgentRequest) => {
        if (++arrived === 2) bothStarted();
        await barrier; // a second call made only after the first ended would never come
        return { output: r.prompt };
      };
      const { summary } = await run(withTools(def, [LOOKUP]), 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(agents.turns[1].history[0].results, [{ callId: 'a', output: 'a' }, { callId: 'b', output: 'b' }]);
    });

    it('arguments that do not match the schema and unknown tools are refused: the model is told and goes on', async () => {
      const agents = model([calls(['a', 'Refund', { order: 'forty-two' }], ['b', 'Delete', {}], ['c', 'Refund', { $malformed: 'not JSON', raw: '{' }]), final({ reply: 'sorry' })]);
      const { summary, events } = await run(withTools(def, [REFUND]), 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(agents.turns[1].history[0].results.map((r) => r.error?.code), ['TOOL_BAD_ARGUMENTS', 'TOOL_UNKNOWN', 'TOOL_BAD_ARGUMENTS']);
      assert.match(agents.turns[1].history[0].results[0].error!.message, /arguments\/order must be number/);
      assert.deepEqual(of(events, 'tool.finished').map((e) => e.status), ['refused', 'refused', 'refused']);
      assert.equal(of(events, 'tool.started').length, 0, 'a refused call never started');
    });

    it('max_turns: a model that never answers fails the step TOOL_TURNS_EXCEEDED', async () => {
      const again = calls(['x', 'Lookup', { prompt: 'again' }]);
      const agents = model([again, again, again]);
      const { summary, events } = await run(withTools(def, [LOOKUP], { maxTurns: 2 }), 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'failed');
      assert.equal(summary.error?.code, 'TOOL_TURNS_EXCEEDED');
      assert.equal(agents.turns.length, 2);
      // the second turn's calls were not run: no turn could read their results
      assert.deepEqual(of(events, 'tool.finished').map((e) => e.callId), ['x']);
    });

    it("a turn's call that fails with a retryable code is asked again as the step's retry says (step.retrying)", async () => {
      let failures = 0;
      const flaky = (): AgentTurnResponse => {
        if (failures++ === 0) throw new BatonError('AGENT_UNAVAILABLE', 'busy');
        return { kind: 'calls', calls: [{ id: 'c', tool: 'Lookup', arguments: { prompt: 'p' } }], tokens: 10 };
      };
      const agents = model([flaky, final({ reply: 'ok' })]);
      const { summary, events } = await run(withTools(def, [LOOKUP], { retry: { max: 1 } }), 'Main', {}, { store: t.store, agents });
      assert.equal(summary.status, 'succeeded');
      assert.deepEqual(agents.turns.map((r) => [r.turn, r.callIndex]), [[1, 0], [1, 1], [2, 2]]);
      assert.deepEqual(of(events, 'step.retrying').map((e) => [e.attempt, e.callIndex, e.error.code]), [[1, 0, 'AGENT_UNAVAILABLE']]);
      const step = of(events, 'step.finished').find((e) => e.step === 'support');
      assert.deepEqual([step?.attempts, step?.callIndexes], [2, [0, 1, 2]]);
    });

    it("the flow's token budget bounds the loop (BUDGET_EXCEEDED)", async () => {
      const big = (): AgentTurnResponse => ({ kind: 'calls', calls: [{ id: `c${Math.random()}`, tool: 'Lookup', arguments: { prompt: 'p' } }], tokens: 600 });
      const agents = model([big, big, big]);
      const { summary, events } = await run(withTools(def, [LOOKUP]), 'Main', {}, { store: t.store, agents });
      assert.equal(summary.error?.code, 'BUDGET_EXCEEDED');
      assert.equal(agents.turns.length, 2);
      assert.equal(of(events, 'step.finished').find((e) => e.step === 'support')?.tokens, 1200);
    });

    it("the step's timeout bounds the loop, tool calls included (STEP_TIMEOUT)", async () => {
      const agents = model([calls(['slow', 'Lookup', { prompt: 'p' }]), final({ reply: 'late' })]);
      agents.call = (r: AgentRequest) => new Promise((_, reject) => r.signal.addEventListener('abort', () => reject(new Error('aborted'))));
      const { summary } = await run(withTools(def, [LOOKUP], { timeoutMs: 50 }), 'Main', {}, { store: t.store, agents });
      assert.equal(summary.error?.code, 'STEP_TIMEOUT');
      assert.match(summary.error!.message, /tool loop/);
    });

    it("the step's timeout spans processes: a loop resumed after its deadline times out at once, the call in flight not made again", async () => {
      const controller = new AbortController();
      const script = [calls(['f', 'Lookup', { prompt: 'fast' }]), calls(['s', 'Lookup', { prompt: 'slow' }]), final({ reply: 'ok' })];
      const agents = model(script);
      agents.call = async (r: AgentRequest) => {
        agents.calls.push(r);
        if (r.prompt === 'slow') {
          controller.abort(); // the process stops while this call is in flight
          throw new Error('interrupted');
        }
        return { output: { fast: true } };
      };
      const flows = withTools(def, [LOOKUP], { timeoutMs: 60_000 });
      const first = await run(flows, 'Main', {}, { store: t.store, agents, signal: controller.signal });
      assert.equal(first.summary.status, 'interrupted');
      // resumed two minutes later (the run's clock): the loop's minute is over
      const later = model(script);
      const done = await resumeRun(first.summary.runId, { store: t.store, agents: later, now: () => new Date(Date.now() + 120_000) });
      assert.equal(done.status, 'failed');
      assert.equal(done.error?.code, 'STEP_TIMEOUT');
      assert.match(done.error!.message, /tool loop\); its time ran out before the run was resumed/);
      assert.deepEqual([later.turns.length, later.calls.length], [0, 0], 'nothing asked or made again');
      const ended = of(await t.store.getEvents(first.summary.runId), 'tool.finished').map((e) => [e.callId, e.status, e.error?.code]);
      assert.deepEqual(ended, [['f', 'succeeded', undefined], ['s', 'failed', 'STEP_TIMEOUT']], 'the call in flight ends with its step');
      // the deadline was recorded when the loop first started: a minute after then (between step.started and the record)
      const log = await t.store.getEvents(first.summary.runId);
      const kept = log.find((e): e is Extract<RunEvent, { type: 'value.recorded' }> => e.type === 'value.recorded' && e.key === 'loop-time:support')!;
      const started = log.find((e) => e.type === 'step.started' && e.step === 'support')!;
      const deadline = Date.parse((kept.value as { deadline: string }).deadline);
      assert.ok(deadline >= Date.parse(started.time) + 60_000 && deadline <= Date.parse(kept.time) + 60_000, `${started.time} ${kept.time} ${deadline}`);
    });

    it("the time the run waits for a tool's approval does not count against the step's timeout", async () => {
      const guarded = { ...LOOKUP, approval: { assignee: 'finance' } };
      const script = [calls(['g', 'Lookup', { prompt: 'p' }]), final({ reply: 'done' })];
      const flows = withTools(def, [guarded], { timeoutMs: 60_000 });
      const first = await run(flows, 'Main', {}, { store: t.store, agents: model(script) });
      assert.equal(first.summary.status, 'waiting');
      const paused = (await t.store.getEvents(first.summary.runId)).filter((e) => e.type === 'value.recorded' && e.key === 'loop-time:support').pop();
      assert.ok(paused?.type === 'value.recorded' && typeof (paused.value as { leftMs?: number }).leftMs === 'number', 'the time left is kept while the run waits');
      await t.store.recordDecision(first.summary.runId, 'support/g', { decision: 'approved', by: 'ann' });
      // decided a day later: the loop still has its minute
      const done = await resumeRun(first.summary.runId, { store: t.store, agents: model(script), now: () => new Date(Date.now() + 86_400_000) });
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    });

    it("a flow tool in flight at the step's timeout ends before the step does: nothing is recorded after the run's end", async () => {
      const agents = model([calls(['r', 'Refund', { order: 42 }]), final({ reply: 'late' })]);
      agents.call = (r: AgentRequest) => new Promise((_, reject) => r.signal.addEventListener('abort', () => setTimeout(() => reject(new BatonError('STEP_CANCELLED', 'aborted')), 20)));
      const { summary } = await run(withTools(def, [REFUND], { timeoutMs: 50 }), 'Main', {}, { store: t.store, agents });
      assert.equal(summary.error?.code, 'STEP_TIMEOUT');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const log = await t.store.getEvents(summary.runId);
      assert.equal(log[log.length - 1].type, 'run.failed', log.map((e) => e.type).join(', '));
      const ends = log.filter((e) => e.type === 'step.finished' || e.type === 'tool.finished').map((e) => (e.type === 'step.finished' ? e.step : `tool ${e.type === 'tool.finished' && e.callId}`));
      assert.deepEqual(ends, ['support/r/pay', 'tool r', 'support'], "the flow tool's step and the call end before their step");
    });

    it('MCP tools: listed from their server, called with the arguments; an error result goes to the model', async () => {
      const made: [string, string, JsonValue][] = [];
      const mcp: McpTools = {
        list: async (server) => (server === 'crm' ? [{ name: 'search', description: 'Search the CRM.', inputSchema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } }] : []),
        call: async (server, tool, args) => (made.push([server, tool, args]), (args as { q: string }).q === 'boom' ? { output: [{ type: 'text', text: 'no index' }], isError: true } : { output: { hits: 1 }, isError: false }),
        close: async () => undefined,
      };
      const agents = model([calls(['m1', 'crm__search', { q: 'acme' }], ['m2', 'crm__search', { q: 'boom' }]), final({ reply: 'found' })]);
      const { summary } = await run(withTools(def, [CRM]), 'Main', {}, { store: t.store, agents, mcp });
      assert.equal(summary.status, 'succeeded');
      assert.equal(agents.turns[0].tools[0].description, 'Search the CRM.');
      assert.deepEqual(made, [['crm', 'search', { q: 'acme' }], ['crm', 'search', { q: 'boom' }]]);
      assert.deepEqual(agents.turns[1].history[0].results, [{ callId: 'm1', output: { hits: 1 } }, { callId: 'm2', error: { code: 'TOOL_FAILED', message: 'crm.search failed: no index' } }]);
      const without = await run(withTools(def, [CRM]), 'Main', {}, { store: t.store, agents: model([]) });
      assert.equal(without.summary.error?.code, 'MCP_UNAVAILABLE');
    });

    it('a call in flight when the run stopped is made again only when that is safe: MCP hints and idempotent decide, else TOOL_OUTCOME_UNKNOWN', async () => {
      /** Runs Main with `tool` and `hints` until the first call is in flight, stops the run, resumes it: what was made, and the outcome. */
      const interrupted = async (tool: ToolDef, hints?: McpToolHints) => {
        const controller = new AbortController();
        let made = 0;
        const mcp: McpTools = {
          list: async () => [{ name: 'search', inputSchema: { type: 'object' }, ...(hints ? { annotations: hints } : {}) }],
          call: async () => {
            if (made++ === 0) {
              controller.abort(); // the process stops while the call is in flight
              throw new Error('interrupted');
            }
            return { output: { hits: 1 }, isError: false };
          },
          close: async () => undefined,
        };
        const script = [calls(['c', tool.name, tool.target.kind === 'agent' ? { prompt: 'p' } : { q: 'x' }]), final({ reply: 'ok' })];
        const agents = model(script);
        agents.call = async (r: AgentRequest) => {
          agents.calls.push(r);
          if (made++ === 0) {
            controller.abort();
            throw new Error('interrupted');
          }
          return { output: { done: true } };
        };
        const first = await run(withTools(def, [tool]), 'Main', {}, { store: t.store, agents, mcp, signal: controller.signal });
        assert.equal(first.summary.status, 'interrupted');
        const again = model(script);
        again.call = agents.call;
        const done = await resumeRun(first.summary.runId, { store: t.store, agents: again, mcp });
        const log = await t.store.getEvents(first.summary.runId);
        return { made, done, finished: of(log, 'tool.finished').map((e) => [e.status, e.error?.code]) };
      };
      // the MCP spec's defaults (no hints): neither read-only nor idempotent — not made again, the step fails
      const unknown = await interrupted(CRM);
      assert.deepEqual([unknown.made, unknown.done.status, unknown.done.error?.code], [1, 'failed', 'TOOL_OUTCOME_UNKNOWN']);
      assert.match(unknown.done.error!.message, /the call c of crm__search \(turn 1\) was in flight when the run stopped.*MCP server "crm" marks the tool neither read-only nor idempotent/);
      assert.deepEqual(unknown.finished, [['failed', 'TOOL_OUTCOME_UNKNOWN']], 'the call is closed in the log');
      const destructive = await interrupted(CRM, { destructiveHint: true, idempotentHint: false });
      assert.match(destructive.done.error!.message, /marks the tool destructive and not idempotent/);
      // safe to make again: the server says read-only or idempotent, or the flow says idempotent: true
      for (const [tool, hints] of [[CRM, { readOnlyHint: true }], [CRM, { destructiveHint: true, idempotentHint: true }], [{ ...CRM, idempotent: true }, {}]] as const) {
        const safe = await interrupted(tool, hints);
        assert.deepEqual([safe.made, safe.done.status, safe.finished], [2, 'succeeded', [['succeeded', undefined]]], JSON.stringify(hints));
      }
      // an agent tool: made again (same idempotency key) unless it says idempotent: false
      assert.deepEqual((await interrupted(LOOKUP)).done.status, 'succeeded');
      const once = await interrupted({ ...LOOKUP, idempotent: false });
      assert.deepEqual([once.made, once.done.error?.code], [1, 'TOOL_OUTCOME_UNKNOWN']);
      assert.match(once.done.error!.message, /the tool says `idempotent: false`/);
    });

    it('a tool with approval: the run waits with the call; approved it runs, rejected the model is told', async () => {
      const guarded = { ...REFUND, approval: { assignee: 'finance' } };
      const script = [calls(['r1', 'Refund', { order: 42 }], ['l1', 'Lookup', { prompt: 'p' }]), calls(['r2', 'Refund', { order: 7 }]), final({ reply: 'done' })];
      const flows = withTools(def, [guarded, LOOKUP]);
      const first = await run(flows, 'Main', {}, { store: t.store, agents: model(script) });
      assert.equal(first.summary.status, 'waiting');
      const wait = first.summary.waitingOn[0];
      assert.deepEqual(wait.kind === 'approval' && [wait.task, wait.assignee], ['support/r1', 'finance']);
      const requested = of(first.events, 'approval.requested')[0];
      assert.deepEqual(requested.toolCall, { id: 'r1', tool: 'Refund', arguments: { order: 42 }, step: 'support' });
      // the call beside it ran meanwhile
      assert.deepEqual(of(first.events, 'tool.finished').map((e) => e.callId), ['l1']);
      await t.store.recordDecision(first.summary.runId, 'support/r1', { decision: 'approved', by: 'ann' });
      const resumed = model(script);
      const events: RunEvent[] = [];
      const second = await resumeRun(first.summary.runId, { store: t.store, agents: resumed, onEvent: (e) => events.push(e) });
      assert.equal(second.status, 'waiting');
      assert.deepEqual(resumed.turns.map((r) => r.turn), [2], 'turn 1 was not asked again');
      assert.ok(of(events, 'step.finished').some((e) => e.step === 'support/r1/pay'));
      assert.equal(resumed.calls.filter((c) => c.agent.name === 'Lookup' && c.stepKey === 'support').length, 0, 'the finished Lookup call was answered from the log');
      await t.store.recordDecision(first.summary.runId, 'support/r2', { decision: 'rejected', by: 'bob', comment: 'no' });
      const last = model(script);
      const done = await resumeRun(first.summary.runId, { store: t.store, agents: last });
      assert.equal(done.status, 'succeeded');
      assert.deepEqual(last.turns.map((r) => r.turn), [3]);
      assert.deepEqual(last.turns[0].history.map((h) => h.results.map((x) => x.error?.code ?? 'ok')), [['ok', 'ok'], ['TOOL_REFUSED']]);
      assert.match(last.turns[0].history[1].results[0].error!.message, /rejected by bob: no/);
    });

    it("a flow tool whose flow waits (an approval inside it): the run waits; decided, the loop goes on from the log", async () => {
      const script = [calls(['v', 'Review', { order: 42 }], ['l', 'Lookup', { prompt: 'p' }]), final({ reply: 'reviewed' })];
      const first = await run(withTools(def, [REVIEW, LOOKUP]), 'Main', {}, { store: t.store, agents: model(script) });
      assert.equal(first.summary.status, 'waiting');
      const wait = first.summary.waitingOn[0];
      assert.deepEqual(wait.kind === 'approval' && wait.task, 'support/v/check', "the flow tool's approval, under <step>/<callId>/");
      await t.store.recordDecision(first.summary.runId, 'support/v/check', { decision: 'approved' });
      const again = model(script);
      const done = await resumeRun(first.summary.runId, { store: t.store, agents: again });
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.deepEqual(again.turns.map((r) => r.turn), [2]);
      assert.deepEqual(again.turns[0].history[0].results, [{ callId: 'v', output: { ok: 'approved' } }, { callId: 'l', output: { order: 42, status: 'shipped' } }]);
      assert.equal(again.calls.filter((c) => c.agent.name === 'Lookup').length, 0, 'the Lookup call that finished before the wait was not made again');
    });

    it('a redriven step that failed its loop starts the loop over', async () => {
      const again = calls(['x', 'Lookup', { prompt: 'again' }]);
      const first = await run(withTools(def, [LOOKUP], { maxTurns: 1 }), 'Main', {}, { store: t.store, agents: model([again]) });
      assert.equal(first.summary.error?.code, 'TOOL_TURNS_EXCEEDED');
      const fixed = model([final({ reply: 'now' })]);
      const done = await redriveRun(first.summary.runId, { store: t.store, agents: fixed });
      assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
      assert.deepEqual(fixed.turns.map((r) => [r.turn, r.history.length]), [[1, 0]], 'turn 1 asked again, with no history');
    });

    it('resumed in the middle of the loop: finished turns are not asked again, finished calls not made again', async () => {
      const controller = new AbortController();
      const script = [calls(['f', 'Lookup', { prompt: 'fast' }]), calls(['s', 'Lookup', { prompt: 'slow' }]), final({ reply: 'ok' })];
      const agents = model(script);
      agents.call = async (r: AgentRequest) => {
        agents.calls.push(r);
        if (r.prompt === 'slow') {
          controller.abort(); // the process stops while this call is in flight
          throw new Error('interrupted');
        }
        return { output: { fast: true } };
      };
      const first = await run(withTools(def, [LOOKUP]), 'Main', {}, { store: t.store, agents, signal: controller.signal });
      assert.equal(first.summary.status, 'interrupted');
      const again = model(script);
      const done = await resumeRun(first.summary.runId, { store: t.store, agents: again });
      assert.equal(done.status, 'succeeded');
      assert.deepEqual(again.turns.map((r) => r.turn), [3], 'turns 1 and 2 came from the log');
      assert.deepEqual(again.calls.map((c) => c.prompt), ['slow'], 'only the call in flight was made again');
      assert.deepEqual(again.calls[0].idempotencyKey, `${first.summary.runId}/support/tool/s`);
      assert.deepEqual(again.turns[0].history[0].results, [{ callId: 'f', output: { fast: true } }]);
      assert.deepEqual(again.turns[0].history.map((h) => h.callIndex), [0, 1], 'the turns read back keep their call indexes');
      const log = await t.store.getEvents(first.summary.runId);
      assert.equal(of(log, 'turn.finished').length, 3);
      // the call made again kept its call index
      assert.deepEqual(of(log, 'tool.started').map((e) => [e.callId, e.callIndex]), [['f', 0], ['s', 1], ['s', 1]]);
    });
  });
}
