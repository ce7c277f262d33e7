import assert from 'node:assert/strict';
import { AGENTS, check } from './helpers.js';

/* `estimate("Flow")`: a built-in reading a flow's static worst case; the checker names the flow and types the record. */

const BODY = AGENTS.split('\n').length;
const TEMPLATE = 'flow Template {\n  step s: Notifier { prompt: "x" }\n}\n';
const flow = (body: string): string => `${AGENTS}flow F {\n${body}\n}\n${TEMPLATE}`;

describe('language: estimate("Flow")', () => {
  it('names a flow of the file and reads as { calls, tokens, durationMs, costUsd, bounded }: no error', async () => {
    const { errors } = await check(flow('  input budget: number = 100\n  if estimate("Template").bounded && estimate("Template").tokens > input.budget {\n    fail "over budget"\n  }\n  let n = estimate("Template").calls'));
    assert.deepEqual(errors, []);
  });

  it('an unknown flow name is unknown-flow on the name, naming the file\'s flows; a name that is not a literal is type-mismatch', async () => {
    const { errors } = await check(flow('  input name: string = "Template"\n  let a = estimate("Tempalte")\n  let b = estimate(input.name)'));
    assert.deepEqual(errors.map((e) => [e.code, e.range[0], e.text, e.message]), [
      ['unknown-flow', BODY + 1, '"Tempalte"', 'estimate(): no flow named "Tempalte" in this file or its imports; the flows are F, Template'],
      ['type-mismatch', BODY + 2, 'input.name', 'estimate() takes the name of a flow as a text literal: estimate("Template")'],
    ]);
  });

  it('the result is typed: a field it does not have is an error', async () => {
    const { errors } = await check(flow('  let c = estimate("Template").cost\n  let d = estimate("Template").costUsd'));
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.match(errors[0].message, /\bcost\b/);
  });
});
