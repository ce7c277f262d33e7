import assert from 'node:assert/strict';
import { check, checkText, services } from './helpers.js';

describe('checker: resilience syntax (idempotent, circuit, retry … max)', () => {
  it('compiles idempotent, circuit and a retry with its largest delay into the IR', async () => {
    const { document } = await checkText(`
agent Charger {
  model: "openai/gpt-4o-mini"
  stub: "ok"
  idempotent: false
  circuit: 5 failures 30s
}
agent Reader {
  stub: "ok"
  retry: 3 backoff 1s max 20s
}
flow F {
  step c: Charger
  step r: Reader
}`);
    const definition = services.Baton.ir.WorkflowBuilder.build([document]);
    assert.deepEqual([definition.agents.Charger.idempotent, definition.agents.Charger.circuit], [false, { failures: 5, openMs: 30_000 }]);
    assert.deepEqual(definition.agents.Reader.retry, { max: 3, backoffMs: 1000, maxDelayMs: 20_000 });
    assert.equal(definition.agents.Reader.idempotent, undefined);
  });

  it('warns about a retry on a step (or agent) whose agent says idempotent: false — not on idempotent ones', async () => {
    const { errors, warnings } = await check(`
agent Payment { stub: "paid", idempotent: false, retry: 2 }
agent Lookup { stub: "found", idempotent: true }
flow F {
  step pay: Payment { retry: 3 backoff 2s }
  step look: Lookup { retry: 3 }
  step pay_again: Payment { retry: 0 }
}`);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      warnings.map((w) => [w.code, w.text, w.message]),
      [
        ['retry-not-idempotent', 'retry: 2', 'agent Payment says idempotent: false, so retrying its calls may do their work twice'],
        ['retry-not-idempotent', 'retry: 3 backoff 2s', 'agent Payment says idempotent: false, so a retried call may do its work twice; retry only what is safe to repeat'],
      ],
    );
  });

  it('refuses a circuit of 0 failures and a largest delay shorter than the backoff', async () => {
    const { errors } = await check(`
agent A { stub: "x", circuit: 0 failures 10s }
flow F {
  step a: A { retry: 2 backoff 10s max 2s }
}`);
    assert.deepEqual(
      errors.map((e) => [e.code, e.text, e.message]),
      [
        ['out-of-range', '0', 'circuit needs a whole number of failures from 1 to 100, not 0'],
        ['out-of-range', '2s', 'the largest delay (max 2s) is shorter than the backoff (10s)'],
      ],
    );
  });

  it('the new keywords still name things (a step called circuit, a field called failures)', async () => {
    const { errors } = await check(`
agent Probe { output: { failures: number }, stub: { failures: 1 } }
flow F {
  output n: number
  step circuit: Probe
  set output.n = circuit.output.failures
}`);
    assert.deepEqual(errors, []);
  });

  it('warns when a scheduled flow has an input without a default (its scheduled runs could not start)', async () => {
    const { errors, warnings } = await check(`
agent A { stub: "x" }
flow Nightly {
  trigger schedule "0 2 * * *"
  input region: string
  input day: string = "today"
  step a: A { prompt: "\${input.region} \${input.day}" }
}`);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      warnings.map((w) => [w.code, w.text, w.message]),
      [['schedule-needs-input', 'trigger schedule "0 2 * * *"', 'a schedule starts Nightly without inputs, but `region` has no default: give it one, or the scheduled runs cannot start']],
    );
  });
});
