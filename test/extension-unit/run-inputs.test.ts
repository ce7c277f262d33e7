import assert from 'node:assert/strict';
import type { FlowInputInfo, TypeRef } from '@baton/protocol';
import { initialText, inputsWithoutPrompt, inputText, parseInput, promptKind } from '../../packages/extension/src/run-inputs.js';

const tier: TypeRef = { kind: 'union', types: [{ kind: 'literal', value: 'GOLD' }, { kind: 'literal', value: 'SILVER' }] };
const tags: TypeRef = { kind: 'list', element: { kind: 'string' } };
const address: TypeRef = { kind: 'record', fields: [{ name: 'city', type: { kind: 'string' }, optional: false }, { name: 'zip', type: { kind: 'number' }, optional: true }] };

describe('run inputs (typed prompts)', () => {
  it('asks for booleans and string-literal unions with a pick, the rest with a text box', () => {
    assert.deepEqual(promptKind({ kind: 'boolean' }), { kind: 'choice', options: ['true', 'false'] });
    assert.deepEqual(promptKind(tier), { kind: 'choice', options: ['GOLD', 'SILVER'] });
    assert.deepEqual(promptKind({ kind: 'string' }), { kind: 'text' });
    assert.deepEqual(promptKind({ kind: 'number' }), { kind: 'number' });
    assert.deepEqual(promptKind(tags), { kind: 'json' });
    assert.deepEqual(promptKind(address), { kind: 'json' });
  });

  it('reads text by the declared type, as the CLI\'s --input does', () => {
    assert.deepEqual(parseInput('Ann Lee', { kind: 'string' }), { ok: true, value: 'Ann Lee' });
    assert.deepEqual(parseInput(' 42.5 ', { kind: 'number' }), { ok: true, value: 42.5 });
    assert.deepEqual(parseInput('false', { kind: 'boolean' }), { ok: true, value: false });
    assert.deepEqual(parseInput('GOLD', tier), { ok: true, value: 'GOLD' });
    assert.deepEqual(parseInput('["a","b"]', tags), { ok: true, value: ['a', 'b'] });
    assert.deepEqual(parseInput('{"city":"Oslo"}', address), { ok: true, value: { city: 'Oslo' } });
  });

  it('says what is wrong with a value of the wrong type, for the input box', () => {
    assert.deepEqual(parseInput('abc', { kind: 'number' }), { ok: false, message: 'expected a number, got "abc"' });
    assert.deepEqual(parseInput('', { kind: 'number' }), { ok: false, message: 'expected a number, got ""' });
    assert.deepEqual(parseInput('yes', { kind: 'boolean' }), { ok: false, message: 'expected true or false, got "yes"' });
    assert.deepEqual(parseInput('BRONZE', tier), { ok: false, message: 'expected one of "GOLD", "SILVER"' });
    assert.deepEqual(parseInput('[1, 2]', tags), { ok: false, message: 'expected string[]: [0]: got 1' });
    assert.deepEqual(parseInput('{"zip": 1}', address), { ok: false, message: 'expected { city: string, zip?: number }: field city is missing' });
    assert.deepEqual(parseInput('[', tags), { ok: false, message: 'expected JSON for string[]' });
  });

  it('prefills the value last used for the flow when it still fits, else the default', () => {
    const seats: FlowInputInfo = { name: 'seats', type: 'number', typeRef: { kind: 'number' }, default: '1', defaultValue: 1 };
    assert.equal(initialText(seats, { seats: 7 }), '7');
    assert.equal(initialText(seats, { seats: 'seven' }), '1', 'a remembered value of another type (the flow changed) is dropped');
    assert.equal(initialText(seats, undefined), '1');
    assert.equal(initialText({ name: 'tags', type: 'string[]', typeRef: tags }, { tags: ['x'] }), '["x"]');
    assert.equal(inputText('GOLD', tier), 'GOLD');
  });

  it('a plain Run uses remembered values and defaults, and names the required inputs it would have to ask for', () => {
    const inputs: FlowInputInfo[] = [
      { name: 'name', type: 'string', typeRef: { kind: 'string' } },
      { name: 'tier', type: '"GOLD" | "SILVER"', typeRef: tier, default: 'SILVER', defaultValue: 'SILVER' },
      { name: 'email', type: 'string', typeRef: { kind: 'string' } },
    ];
    const { values, missing } = inputsWithoutPrompt(inputs, { name: 'Ann', tier: 'GOLD' });
    assert.deepEqual(values, { name: 'Ann', tier: 'GOLD' });
    assert.deepEqual(missing.map((i) => i.name), ['email']);
  });
});
