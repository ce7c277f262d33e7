import { checkValue, describeType, type FlowInputInfo, type JsonValue, type TypeRef } from '@baton/protocol';

/**
 * Reading flow inputs typed at a prompt, by the input's declared type (the same rules as the CLI's
 * `--input name=value`: raw text for strings and string unions, numbers, `true`/`false`, JSON for lists
 * and records). Pure: the prompts themselves are in run-input-prompts.ts.
 */

/** How an input is asked for: a free text box (with a parser), or a quick pick of fixed choices. */
export type InputPromptKind =
  | { kind: 'text' }
  | { kind: 'number' }
  | { kind: 'json' }
  /** `boolean` (`true`, `false`) and unions of string literals: the values as they are typed. */
  | { kind: 'choice'; options: string[] };

/** The prompt for a type: booleans and string-literal unions are picked, the rest typed. */
export function promptKind(type: TypeRef): InputPromptKind {
  switch (type.kind) {
    case 'string':
      return { kind: 'text' };
    case 'number':
      return { kind: 'number' };
    case 'boolean':
      return { kind: 'choice', options: ['true', 'false'] };
    case 'literal':
      return { kind: 'choice', options: [type.value] };
    case 'union': {
      const literals = type.types.filter((t): t is { kind: 'literal'; value: string } => t.kind === 'literal');
      if (literals.length === type.types.length) return { kind: 'choice', options: literals.map((t) => t.value) };
      return type.types.some((t) => t.kind === 'string') ? { kind: 'text' } : { kind: 'json' };
    }
    default:
      return { kind: 'json' };
  }
}

/** A value read from text, or why it cannot be one. */
export type ParsedInput = { ok: true; value: JsonValue } | { ok: false; message: string };

/**
 * Reads `text` as a value of `type`. Strings (and unions containing `string`) take the text as it is;
 * numbers must be finite decimal numbers; booleans `true`/`false`; everything else is JSON checked against
 * the type. Messages are short, for an input box: `expected a number, got "abc"`.
 */
export function parseInput(text: string, type: TypeRef): ParsedInput {
  const kind = promptKind(type);
  let value: JsonValue;
  if (kind.kind === 'text') {
    value = text;
  } else if (kind.kind === 'number') {
    const trimmed = text.trim();
    const n = Number(trimmed);
    if (trimmed === '' || !Number.isFinite(n)) return { ok: false, message: `expected a number, got ${JSON.stringify(text)}` };
    value = n;
  } else if (kind.kind === 'choice') {
    const trimmed = text.trim();
    if (type.kind === 'boolean') {
      if (trimmed !== 'true' && trimmed !== 'false') return { ok: false, message: `expected true or false, got ${JSON.stringify(text)}` };
      value = trimmed === 'true';
    } else {
      if (!kind.options.includes(trimmed)) return { ok: false, message: `expected one of ${kind.options.map((o) => JSON.stringify(o)).join(', ')}` };
      value = trimmed;
    }
  } else {
    try {
      value = JSON.parse(text) as JsonValue;
    } catch {
      return { ok: false, message: `expected JSON for ${describeType(type)}` };
    }
  }
  const problem = checkValue(value, type);
  return problem === undefined ? { ok: true, value } : { ok: false, message: `expected ${describeType(type)}: ${problem}` };
}

/** A value as a person would type it at the prompt (the inverse of {@link parseInput}). */
export function inputText(value: JsonValue, type: TypeRef): string {
  const kind = promptKind(type);
  if (typeof value === 'string' && (kind.kind === 'text' || kind.kind === 'choice')) return value;
  return JSON.stringify(value);
}

/**
 * The value to prefill for an input: the one last used for this flow if it still fits the type, else the
 * declared default (as text), else empty.
 */
export function initialText(input: FlowInputInfo, remembered: Record<string, JsonValue> | undefined): string {
  const last = remembered?.[input.name];
  if (last !== undefined && checkValue(last, input.typeRef) === undefined) return inputText(last, input.typeRef);
  return input.default ?? '';
}

/**
 * The inputs a plain Run uses without asking: remembered values that still fit, else nothing (the flow's
 * defaults apply). `missing` lists the required inputs (no default) that have no remembered value.
 */
export function inputsWithoutPrompt(inputs: FlowInputInfo[], remembered: Record<string, JsonValue> | undefined): { values: Record<string, JsonValue>; missing: FlowInputInfo[] } {
  const values: Record<string, JsonValue> = {};
  const missing: FlowInputInfo[] = [];
  for (const input of inputs) {
    const last = remembered?.[input.name];
    if (last !== undefined && checkValue(last, input.typeRef) === undefined) values[input.name] = last;
    else if (input.default === undefined) missing.push(input);
  }
  return { values, missing };
}
