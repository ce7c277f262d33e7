import assert from 'node:assert/strict';
import type { RunEvent } from '@baton/protocol';
import { BatonError, CircuitBreakers, isRetryable, retryAfterMs, retryDelay } from '../../packages/runtime/src/index.js';
import { compile, run, scriptedAgents, freshStore, type KindStore } from './helpers.js';
import { STORE_KINDS } from '../store/both-stores.js';

const FLOW = `
agent Api {
  output: { ok: boolean }
  stub: { ok: true }
  circuit: 3 failures 30s
}
flow Main {
  step call: Api { prompt: "go", retry: 4 backoff 1s max 5s }
}
flow Once {
  step call: Api { prompt: "go" }
}
agent Plain { output: { ok: boolean }, stub: { ok: true } }
flow Capped {
  step call: Plain { prompt: "go", retry: 4 backoff 1s max 5s }
}`;

/** Fails with `error` while `failing()` is true, else answers ok. */
function agentsFailingWith(error: () => BatonError, failing: () => boolean) {
  return scriptedAgents(() => {
    if (failing()) throw error();
    return { ok: true };
  });
}

for (const kind of STORE_KINDS) {
  describe(`runtime: retries only for retryable failures, Retry-After, the largest delay (${kind.name})`, () => {
    let t: KindStore;
    beforeEach(async () => (t = await freshStore(kind)));
    afterEach(() => t.cleanup());
    const circuits = () => new CircuitBreakers();

    it('does not retry a failure that repeating cannot fix (a rejected request, bad credentials, a wrong answer)', async () => {
      const def = await compile(FLOW);
      for (const code of ['AGENT_REQUEST_REJECTED', 'AGENT_AUTH_FAILED', 'AGENT_OUTPUT_INVALID', 'AGENT_BAD_RESPONSE', 'AGENT_COMMAND_FAILED']) {
        const agents = agentsFailingWith(() => new BatonError(code, 'no'), () => true);
        const { summary, events } = await run(def, 'Capped', {}, { store: t.store, agents, circuits: circuits() });
        assert.equal(summary.status, 'failed');
        assert.equal(agents.calls.length, 1, `${code}: one call, no retry`);
        assert.equal(events.filter((e) => e.type === 'step.retrying').length, 0);
      }
      assert.deepEqual(['STEP_TIMEOUT', 'AGENT_REQUEST_TIMEOUT', 'AGENT_RATE_LIMITED', 'AGENT_UNAVAILABLE', 'AGENT_UNREACHABLE', 'STUB_ERROR'].filter((c) => !isRetryable(c)), []);
    });

    it('caps the delay at the retry’s max (full jitter below it)', async () => {
      const def = await compile(FLOW);
      const agents = agentsFailingWith(() => new BatonError('AGENT_UNAVAILABLE', 'down'), () => true);
      const { sleeps } = await run(def, 'Capped', {}, { store: t.store, agents, random: () => 0.999, circuits: circuits() });
      // 1 s, 2 s, 4 s, then 8 s capped at 5 s
      assert.deepEqual(sleeps, [999, 1998, 3996, 4995]);
    });

    it('waits at least what Retry-After asks; longer than the max, it stops retrying and says why', async () => {
      const def = await compile(FLOW);
      let calls = 0;
      const agents = scriptedAgents(() => {
        calls++;
        if (calls === 1) throw Object.assign(new BatonError('AGENT_RATE_LIMITED', 'slow down'), { retryAfter: '3' });
        if (calls === 2) throw Object.assign(new BatonError('AGENT_RATE_LIMITED', 'much slower'), { retryAfter: '120' });
        return { ok: true };
      });
      const { summary, sleeps, events } = await run(def, 'Capped', {}, { store: t.store, agents, random: () => 0, circuits: circuits() });
      assert.deepEqual(sleeps, [3000], 'the first Retry-After honoured');
      assert.equal(summary.status, 'failed');
      const done = events.find((e): e is Extract<RunEvent, { type: 'step.finished' }> => e.type === 'step.finished')!;
      assert.equal(done.error?.code, 'AGENT_RATE_LIMITED');
      assert.match(done.error!.message, /much slower \(not retried: the provider asked to wait 120 s \(Retry-After\), longer than the step's largest delay of 5 s\)/);
    });

    it('reads Retry-After as seconds or as an HTTP date', () => {
      const now = Date.parse('2026-11-23T10:00:00Z');
      assert.equal(retryAfterMs('2', now), 2000);
      assert.equal(retryAfterMs('Mon, 23 Nov 2026 10:00:30 GMT', now), 30_000);
      assert.equal(retryAfterMs('soon', now), undefined);
      assert.deepEqual(retryDelay({ max: 3, backoffMs: 1000 }, 1, 0.5, undefined, now), { delayMs: 500 });
    });
  });
}

for (const kind of STORE_KINDS) {
  describe(`runtime: circuit breakers (${kind.name})`, () => {
    let t: KindStore;
    beforeEach(async () => (t = await freshStore(kind)));
    afterEach(() => t.cleanup());

    it('retries stop when the circuit opens mid-step: the next attempt fails fast with CIRCUIT_OPEN', async () => {
      const def = await compile(FLOW);
      const agents = agentsFailingWith(() => new BatonError('AGENT_UNAVAILABLE', 'down'), () => true);
      const { summary, sleeps } = await run(def, 'Main', {}, { store: t.store, agents, random: () => 0.5, circuits: new CircuitBreakers() });
      assert.equal(agents.calls.length, 3, 'three calls open the circuit; the fourth attempt makes none');
      assert.deepEqual(sleeps, [500, 1000, 2000]);
      assert.equal(summary.error?.code, 'CIRCUIT_OPEN');
    });

    it('opens after N failures in a row (shared by runs), fails fast without calling, probes after the duration, closes on success', async () => {
      const def = await compile(FLOW);
      const breakers = new CircuitBreakers();
      let clock = Date.parse('2026-11-23T10:00:00Z');
      const now = () => new Date(clock);
      let down = true;
      const agents = agentsFailingWith(() => new BatonError('AGENT_UNAVAILABLE', 'down'), () => down);
      // run 1: three failures (no retries in Once): each run fails; the third opens the circuit
      const changes: RunEvent[] = [];
      for (let i = 0; i < 3; i++) {
        const { events } = await run(def, 'Once', {}, { store: t.store, agents, circuits: breakers, now, onEvent: (e) => e.type === 'circuit.changed' && changes.push(e) });
        assert.equal(events.find((e) => e.type === 'run.failed')?.type, 'run.failed');
      }
      assert.equal(agents.calls.length, 3);
      assert.equal(breakers.stateOf('Api'), 'open');
      assert.deepEqual(changes.map((e) => e.type === 'circuit.changed' && [e.agent, e.state, e.failures, e.until]), [['Api', 'open', 3, '2026-11-23T10:00:30.000Z']]);
      // open: the next run fails fast with CIRCUIT_OPEN, no call made, even with retries
      const fast = await run(def, 'Main', {}, { store: t.store, agents, circuits: breakers, now });
      assert.equal(agents.calls.length, 3, 'no call while open');
      assert.equal(fast.summary.error?.code, 'CIRCUIT_OPEN');
      assert.match(fast.summary.error!.message, /agent Api's circuit is open after 3 failures in a row: calls fail fast until 2026-11-23T10:00:30\.000Z/);
      // after 30 s one probe goes through; it succeeds and closes the circuit
      clock += 30_000;
      down = false;
      const probe = await run(def, 'Once', {}, { store: t.store, agents, circuits: breakers, now });
      assert.equal(probe.summary.status, 'succeeded');
      assert.deepEqual(probe.events.filter((e) => e.type === 'circuit.changed').map((e) => e.type === 'circuit.changed' && e.state), ['half-open', 'closed']);
      assert.equal(breakers.stateOf('Api'), 'closed');
    });

    it('a failed probe opens it again for another duration; failures that are not the dependency’s do not count', async () => {
      const breakers = new CircuitBreakers();
      const policy = { failures: 2, openMs: 10_000 };
      const t0 = 1_000_000;
      assert.equal(breakers.afterCall('A', policy, 'AGENT_OUTPUT_INVALID', t0), undefined);
      assert.equal(breakers.afterCall('A', policy, 'AGENT_UNAVAILABLE', t0), undefined);
      assert.equal(breakers.afterCall('A', policy, 'STEP_TIMEOUT', t0)?.state, 'open');
      assert.throws(() => breakers.beforeCall('A', policy, t0 + 9_999), (e: BatonError) => e.code === 'CIRCUIT_OPEN');
      assert.equal(breakers.beforeCall('A', policy, t0 + 10_000)?.state, 'half-open');
      assert.throws(() => breakers.beforeCall('A', policy, t0 + 10_001), /while a probe call is under way/);
      assert.deepEqual(breakers.afterCall('A', policy, 'AGENT_UNAVAILABLE', t0 + 10_500), { agent: 'A', state: 'open', failures: 3, until: new Date(t0 + 20_500).toISOString() });
      assert.equal(breakers.stateOf('B'), 'closed');
      assert.equal(breakers.beforeCall('B', undefined, t0), undefined, 'an agent without circuit: is never held');
    });
  });
}
