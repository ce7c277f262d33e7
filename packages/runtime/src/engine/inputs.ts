import { checkValue, describeType, type FlowDef, type JsonValue } from '@baton/protocol';
import { BatonError } from '../errors.js';
import { setOwn } from '../expr/values.js';

/**
 * Checks a flow's inputs and applies defaults.
 * @param raw input values by name (from `--input`, a JSON file, a test's `input`, a sub-flow call).
 * @returns every declared input: the given value, else its default, else (for an optional `any`) null.
 * @throws BatonError `INPUT_INVALID`: an unknown input, a missing required one, or a value that does not
 *   fit the declared type — the message names the input and the expected type.
 */
export function checkInputs(flow: FlowDef, raw: Record<string, unknown>): Record<string, JsonValue> {
  const result: Record<string, JsonValue> = {};
  for (const name of Object.keys(raw)) {
    if (!flow.inputs.some((i) => i.name === name)) {
      const known = flow.inputs.map((i) => i.name);
      throw new BatonError('INPUT_INVALID', `flow ${flow.name} has no input "${name}"` + (known.length ? `; its inputs are ${known.join(', ')}` : ''));
    }
  }
  for (const input of flow.inputs) {
    const value = Object.prototype.hasOwnProperty.call(raw, input.name) ? raw[input.name] : undefined;
    if (value === undefined) {
      if (input.default !== undefined) setOwn(result, input.name, input.default);
      else throw new BatonError('INPUT_INVALID', `flow ${flow.name} needs input "${input.name}" (${describeType(input.type)})`);
      continue;
    }
    const problem = checkValue(value, input.type);
    if (problem) throw new BatonError('INPUT_INVALID', `input "${input.name}" of flow ${flow.name} expects ${describeType(input.type)}: ${problem}`);
    setOwn(result, input.name, value);
  }
  return result;
}

export { checkValue, describeType };
