import type { TypeRef } from './ir.js';

/** A parameter of a built-in function. `type` is what the checker accepts; `optional` may be left out. */
export interface FunctionParam {
  name: string;
  type: TypeRef;
  optional?: boolean;
}

/** A built-in function of the expression language: its signature and one line for hover and completion. */
export interface FunctionSignature {
  name: string;
  params: FunctionParam[];
  /** When true, the last parameter may repeat (e.g. `min(a, b, c)`). */
  variadic?: boolean;
  returns: TypeRef;
  doc: string;
}

const str: TypeRef = { kind: 'string' };
const num: TypeRef = { kind: 'number' };
const bool: TypeRef = { kind: 'boolean' };
const any: TypeRef = { kind: 'any' };
const anyList: TypeRef = { kind: 'list', element: any };
const strList: TypeRef = { kind: 'list', element: str };
const bound: TypeRef = { kind: 'union', types: [num, { kind: 'null' }] };

/** What `estimate("Flow")` gives: the flow's static worst case (`estimateFlow`), `null` for a figure it does not bound. */
export const ESTIMATE_TYPE: TypeRef = {
  kind: 'record',
  fields: [
    { name: 'calls', type: bound, optional: false },
    { name: 'tokens', type: bound, optional: false },
    { name: 'durationMs', type: bound, optional: false },
    { name: 'costUsd', type: bound, optional: false },
    { name: 'bounded', type: bool, optional: false },
  ],
};

/** The most numbers `range()` gives: the runtime fails with `RANGE_TOO_LARGE` beyond, the checker reports a literal above it. */
export const MAX_RANGE = 10_000;

/**
 * The fixed set of functions expressions may call. The checker reads this table (unknown function,
 * arity, result type); the runtime implements each entry in `packages/runtime/src/expr/functions.ts`.
 * No other callable exists: expressions cannot reach JavaScript.
 */
export const BUILTIN_FUNCTIONS: readonly FunctionSignature[] = [
  { name: 'len', params: [{ name: 'value', type: any }], returns: num, doc: 'Length of a string or list, or number of keys of a record; 0 for null.' },
  { name: 'lower', params: [{ name: 'text', type: str }], returns: str, doc: 'The text in lower case.' },
  { name: 'upper', params: [{ name: 'text', type: str }], returns: str, doc: 'The text in upper case.' },
  { name: 'trim', params: [{ name: 'text', type: str }], returns: str, doc: 'The text without leading and trailing white space.' },
  { name: 'contains', params: [{ name: 'haystack', type: any }, { name: 'needle', type: any }], returns: bool, doc: 'Whether a string contains a substring, or a list contains an item (deep equality).' },
  { name: 'startsWith', params: [{ name: 'text', type: str }, { name: 'prefix', type: str }], returns: bool, doc: 'Whether the text starts with the prefix.' },
  { name: 'endsWith', params: [{ name: 'text', type: str }, { name: 'suffix', type: str }], returns: bool, doc: 'Whether the text ends with the suffix.' },
  { name: 'join', params: [{ name: 'items', type: anyList }, { name: 'separator', type: str, optional: true }], returns: str, doc: 'The items as text, joined by the separator (default ", ").' },
  { name: 'split', params: [{ name: 'text', type: str }, { name: 'separator', type: str }], returns: strList, doc: 'The text cut at each separator.' },
  { name: 'keys', params: [{ name: 'record', type: any }], returns: strList, doc: 'The keys of a record, in order.' },
  { name: 'values', params: [{ name: 'record', type: any }], returns: anyList, doc: 'The values of a record, in key order.' },
  { name: 'now', params: [], returns: str, doc: 'The current time as ISO 8601 text (recorded in the run, so a resumed run sees the same value).' },
  { name: 'json', params: [{ name: 'value', type: any }], returns: str, doc: 'The value as JSON text.' },
  { name: 'parseJson', params: [{ name: 'text', type: str }], returns: any, doc: 'The value a JSON text stands for; an error if the text is not JSON.' },
  { name: 'number', params: [{ name: 'value', type: any }], returns: num, doc: 'The value as a number; an error if it is not numeric.' },
  { name: 'string', params: [{ name: 'value', type: any }], returns: str, doc: 'The value as text (records and lists as JSON).' },
  { name: 'round', params: [{ name: 'value', type: num }, { name: 'digits', type: num, optional: true }], returns: num, doc: 'The number rounded to the given decimal digits (default 0).' },
  { name: 'floor', params: [{ name: 'value', type: num }], returns: num, doc: 'The largest integer not above the number.' },
  { name: 'ceil', params: [{ name: 'value', type: num }], returns: num, doc: 'The smallest integer not below the number.' },
  { name: 'abs', params: [{ name: 'value', type: num }], returns: num, doc: 'The absolute value.' },
  { name: 'min', params: [{ name: 'values', type: num }], variadic: true, returns: num, doc: 'The smallest of the numbers (or of one list of numbers).' },
  { name: 'max', params: [{ name: 'values', type: num }], variadic: true, returns: num, doc: 'The largest of the numbers (or of one list of numbers).' },
  { name: 'replace', params: [{ name: 'text', type: str }, { name: 'search', type: str }, { name: 'replacement', type: str }], returns: str, doc: 'The text with every occurrence of search replaced (plain text, not a pattern).' },
  { name: 'slice', params: [{ name: 'value', type: any }, { name: 'start', type: num }, { name: 'end', type: num, optional: true }], returns: any, doc: 'Part of a string or list, from start (inclusive) to end (exclusive); negative indexes count from the end.' },
  { name: 'range', params: [{ name: 'from', type: num }, { name: 'to', type: num, optional: true }], returns: { kind: 'list', element: num }, doc: 'The whole numbers from `from` up to `to` (exclusive); with one argument, 0 up to it: `range(3)` is [0, 1, 2]. At most 10,000 numbers (RANGE_TOO_LARGE).' },
  { name: 'estimate', params: [{ name: 'flow', type: str }], returns: ESTIMATE_TYPE, doc: 'The static worst case of a run of the named flow (a text literal naming a flow of this file or of a file it imports): `{ calls, tokens, durationMs, costUsd, bounded }` — agent calls, output tokens, milliseconds, US dollars for those tokens at the `prices` of the baton.config.json the run started under, each `null` when the flow does not bound it (the cost also when a model has no prices), and whether calls, tokens and duration are bounded. The same figures as `baton estimate`.' },
  { name: 'call', params: [{ name: 'tool', type: str }, { name: 'arguments', type: any, optional: true }], returns: any, doc: 'In an agent\'s `stub: turns(…)` only: a tool call the stub model makes — the tool\'s name among the agent\'s `tools` and its arguments. Its value is `{ "$call": tool, "arguments": arguments }`.' },
  { name: 'turns', params: [{ name: 'turns', type: any }], variadic: true, returns: any, doc: 'In an agent\'s `stub:` only: a tool-loop script — each argument but the last is a turn, a list of `call(…)` made at once; the last is the final output (of the agent\'s `output` type). Its value is `{ "$turns": [turn1, …, final] }`.' },
];

/** Built-in functions only an agent's stub may call (`stub: turns(…)`, `stub Agent: turns(…)` in a test). */
export const STUB_ONLY_FUNCTIONS: ReadonlySet<string> = new Set(['call', 'turns']);

/** The built-in functions by name. */
export const BUILTIN_FUNCTIONS_BY_NAME: ReadonlyMap<string, FunctionSignature> = new Map(
  BUILTIN_FUNCTIONS.map((f) => [f.name, f]),
);
