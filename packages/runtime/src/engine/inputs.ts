import type { FlowDef, JsonValue, TypeRef } from '@baton/protocol';
import { BatonError } from '../errors.js';
import { isRecord } from '../expr/values.js';

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
    const value = raw[input.name];
    if (value === undefined) {
      if (input.default !== undefined) result[input.name] = input.default;
      else throw new BatonError('INPUT_INVALID', `flow ${flow.name} needs input "${input.name}" (${describeType(input.type)})`);
      continue;
    }
    const problem = checkValue(value, input.type);
    if (problem) throw new BatonError('INPUT_INVALID', `input "${input.name}" of flow ${flow.name} expects ${describeType(input.type)}: ${problem}`);
    result[input.name] = value as JsonValue;
  }
  return result;
}

/**
 * Whether a value fits a type. @returns `undefined` when it does, else what is wrong (for messages),
 * e.g. `got "abc"` or `field "amount": got text`.
 */
export function checkValue(value: unknown, type: TypeRef, path = ''): string | undefined {
  const at = path ? `${path}: ` : '';
  const got = (): string => `${at}got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a record' : JSON.stringify(value)}`;
  switch (type.kind) {
    case 'any':
      return undefined;
    case 'null':
      return value === null ? undefined : got();
    case 'string':
      return typeof value === 'string' ? undefined : got();
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : got();
    case 'boolean':
      return typeof value === 'boolean' ? undefined : got();
    case 'literal':
      return value === type.value ? undefined : got();
    case 'union':
      return type.types.some((t) => checkValue(value, t) === undefined) ? undefined : got();
    case 'list': {
      if (!Array.isArray(value)) return got();
      for (let i = 0; i < value.length; i++) {
        const problem = checkValue(value[i], type.element, `${path}[${i}]`);
        if (problem) return problem;
      }
      return undefined;
    }
    case 'record': {
      if (!isRecord(value)) return got();
      for (const field of type.fields) {
        const v = value[field.name];
        if (v === undefined || v === null) {
          if (!field.optional) return `${path ? path + '.' : 'field '}${field.name} is missing`;
          continue;
        }
        const problem = checkValue(v, field.type, path ? `${path}.${field.name}` : `field ${field.name}`);
        if (problem) return problem;
      }
      return undefined;
    }
  }
}

/** A type as the language writes it (`string[]`, `"A" | "B"`, `{ a: number, b?: string }`). */
export function describeType(type: TypeRef): string {
  switch (type.kind) {
    case 'literal':
      return JSON.stringify(type.value);
    case 'union':
      return type.types.map(describeType).join(' | ');
    case 'list':
      return type.element.kind === 'union' ? `(${describeType(type.element)})[]` : `${describeType(type.element)}[]`;
    case 'record':
      return `{ ${type.fields.map((f) => `${f.name}${f.optional ? '?' : ''}: ${describeType(f.type)}`).join(', ')} }`;
    default:
      return type.kind;
  }
}
