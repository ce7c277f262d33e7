import { readFileSync } from 'node:fs';
import type { FlowDef, InputDef, JsonValue, TypeRef } from '@baton/protocol';
import { UsageError } from './errors.js';

/**
 * Builds a flow's raw inputs from `--inputs file.json` (a JSON object) and `--input name=value` flags
 * (later flags win). Each `--input` value is read by the input's declared type: `string` and string
 * literal unions as text, `number` and `boolean` parsed, lists, records and `any` as JSON (`any` falls
 * back to text). Defaults and the final type check are the runtime's (`checkInputs`).
 *
 * @throws UsageError (exit 2) for a malformed flag, an input the flow does not declare, a value that does
 *   not parse as its type, or an unreadable / malformed inputs file — each naming the input or file.
 */
export function collectInputs(flow: FlowDef, flags: string[], inputsFile: string | undefined): Record<string, JsonValue> {
  const inputs: Record<string, JsonValue> = {};
  if (inputsFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(inputsFile, 'utf8');
    } catch (error) {
      throw new UsageError(`--inputs ${inputsFile}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`--inputs ${inputsFile}: not valid JSON (${(error as Error).message})`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UsageError(`--inputs ${inputsFile}: expected a JSON object of inputs, like {"request": "…"}`);
    }
    for (const [name, value] of Object.entries(parsed as Record<string, JsonValue>)) {
      findInput(flow, name, `--inputs ${inputsFile}`);
      inputs[name] = value;
    }
  }
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new UsageError(`--input ${flag}: expected name=value`);
    const name = flag.slice(0, eq);
    const input = findInput(flow, name, `--input ${flag}`);
    inputs[name] = parseInputValue(input, flag.slice(eq + 1));
  }
  return inputs;
}

function findInput(flow: FlowDef, name: string, where: string): InputDef {
  const input = flow.inputs.find((i) => i.name === name);
  if (!input) {
    const known = flow.inputs.map((i) => i.name);
    throw new UsageError(
      `${where}: flow ${flow.name} has no input "${name}"` +
        (known.length ? `; its inputs are ${known.join(', ')}` : '; it takes no inputs'),
    );
  }
  return input;
}

/** Reads one `--input` value as the input's type; see {@link collectInputs}. */
export function parseInputValue(input: InputDef, raw: string): JsonValue {
  const type = input.type;
  const fail = (expected: string): never => {
    throw new UsageError(`--input ${input.name}=${raw}: input "${input.name}" expects ${expected}`);
  };
  switch (type.kind) {
    case 'string':
      return raw;
    case 'literal':
      if (raw !== type.value) fail(`"${type.value}"`);
      return raw;
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) fail('a number');
      return n;
    }
    case 'boolean':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      return fail('true or false');
    case 'union':
      if (type.types.every((t) => t.kind === 'literal' || t.kind === 'string')) {
        if (type.types.some((t) => t.kind === 'string' || (t.kind === 'literal' && t.value === raw))) return raw;
        return fail(`one of ${describeType(type)}`);
      }
      return parseJson(raw, input, describeType(type));
    case 'any':
      try {
        return JSON.parse(raw) as JsonValue;
      } catch {
        return raw;
      }
    default:
      return parseJson(raw, input, describeType(type));
  }
}

function parseJson(raw: string, input: InputDef, expected: string): JsonValue {
  try {
    return JSON.parse(raw) as JsonValue;
  } catch {
    throw new UsageError(`--input ${input.name}=${raw}: input "${input.name}" expects ${expected}, written as JSON`);
  }
}

/** A type as the language writes it: `string[]`, `"A" | "B"`, `{ a: number, b?: string }`. */
export function describeType(type: TypeRef): string {
  switch (type.kind) {
    case 'literal':
      return JSON.stringify(type.value);
    case 'union':
      return type.types.map(describeType).join(' | ');
    case 'list': {
      const inner = describeType(type.element);
      return type.element.kind === 'union' ? `(${inner})[]` : `${inner}[]`;
    }
    case 'record':
      return `{ ${type.fields.map((f) => `${f.name}${f.optional ? '?' : ''}: ${describeType(f.type)}`).join(', ')} }`;
    default:
      return type.kind;
  }
}
