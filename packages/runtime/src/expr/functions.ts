import { BUILTIN_FUNCTIONS_BY_NAME, MAX_RANGE, stubToolCall, stubTurns, type JsonValue } from '@baton/protocol';
import { BatonError } from '../errors.js';
import { deepEqual, getProperty, isRecord, toText, typeName } from './values.js';

/** What a built-in function may ask of the run: `now()` reads the run's recorded clock. */
export interface FunctionHost {
  /** The current time as ISO 8601, recorded in the run so a resumed run sees the same value. */
  now(): string;
  /**
   * `estimate(flow)`: the named flow's static worst case as `{ calls, tokens, durationMs, costUsd, bounded }` (protocol
   * `ESTIMATE_TYPE`); undefined when the flow is not in the run's definition. Absent outside a run.
   */
  estimate?(flow: string): unknown;
}

type Impl = (args: unknown[], host: FunctionHost) => unknown;

const fail = (fn: string, message: string): never => {
  throw new BatonError('EXPR_TYPE', `${fn}(): ${message}`);
};
const needString = (fn: string, v: unknown, what = 'argument'): string =>
  typeof v === 'string' ? v : fail(fn, `${what} must be text, got ${typeName(v)}`);
const needNumber = (fn: string, v: unknown, what = 'argument'): number =>
  typeof v === 'number' ? v : fail(fn, `${what} must be a number, got ${typeName(v)}`);
const needList = (fn: string, v: unknown): unknown[] => (Array.isArray(v) ? v : fail(fn, `expects a list, got ${typeName(v)}`));
const numbersOf = (fn: string, args: unknown[]): number[] => {
  const list = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
  if (list.length === 0) fail(fn, 'needs at least one number');
  return list.map((v) => needNumber(fn, v));
};
const sliceIndex = (i: number, length: number): number => (i < 0 ? Math.max(length + i, 0) : Math.min(i, length));

/**
 * The implementations of `BUILTIN_FUNCTIONS` (packages/protocol/src/functions.ts). Pure functions of
 * their arguments, except `now()`, which reads {@link FunctionHost.now}.
 */
const IMPLEMENTATIONS: Record<string, Impl> = {
  len: ([v]) => {
    if (v === null || v === undefined) return 0;
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    if (isRecord(v)) return Object.keys(v).length;
    return fail('len', `expects text, a list or a record, got ${typeName(v)}`);
  },
  lower: ([v]) => needString('lower', v).toLowerCase(),
  upper: ([v]) => needString('upper', v).toUpperCase(),
  trim: ([v]) => needString('trim', v).trim(),
  contains: ([hay, needle]) => {
    if (typeof hay === 'string') return hay.includes(toText(needle));
    if (Array.isArray(hay)) return hay.some((x) => deepEqual(x, needle));
    if (hay === null || hay === undefined) return false;
    return fail('contains', `expects text or a list, got ${typeName(hay)}`);
  },
  startsWith: ([s, p]) => needString('startsWith', s).startsWith(needString('startsWith', p, 'prefix')),
  endsWith: ([s, p]) => needString('endsWith', s).endsWith(needString('endsWith', p, 'suffix')),
  join: ([list, sep]) => needList('join', list ?? []).map(toText).join(sep === undefined || sep === null ? ', ' : needString('join', sep, 'separator')),
  split: ([s, sep]) => needString('split', s).split(needString('split', sep, 'separator')),
  keys: ([r]) => (isRecord(r) ? Object.keys(r) : r === null || r === undefined ? [] : fail('keys', `expects a record, got ${typeName(r)}`)),
  values: ([r]) => (isRecord(r) ? Object.keys(r).map((k) => getProperty(r, k)) : r === null || r === undefined ? [] : fail('values', `expects a record, got ${typeName(r)}`)),
  now: (_args, host) => host.now(),
  json: ([v]) => JSON.stringify(v ?? null),
  parseJson: ([s]) => {
    try {
      return JSON.parse(needString('parseJson', s), (key, value) => (key === '__proto__' ? undefined : value));
    } catch (error) {
      if (error instanceof BatonError) throw error;
      return fail('parseJson', 'the text is not valid JSON');
    }
  },
  number: ([v]) => {
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
    return fail('number', `cannot read ${JSON.stringify(v ?? null)} as a number`);
  },
  string: ([v]) => toText(v),
  round: ([v, digits]) => {
    const d = digits === undefined || digits === null ? 0 : needNumber('round', digits, 'digits');
    const f = 10 ** Math.max(0, Math.min(15, Math.trunc(d)));
    return Math.round(needNumber('round', v) * f) / f;
  },
  floor: ([v]) => Math.floor(needNumber('floor', v)),
  ceil: ([v]) => Math.ceil(needNumber('ceil', v)),
  abs: ([v]) => Math.abs(needNumber('abs', v)),
  min: (args) => Math.min(...numbersOf('min', args)),
  max: (args) => Math.max(...numbersOf('max', args)),
  replace: ([s, search, repl]) => needString('replace', s).split(needString('replace', search, 'search')).join(needString('replace', repl, 'replacement')),
  slice: ([v, start, end]) => {
    const s = needNumber('slice', start, 'start');
    if (typeof v !== 'string' && !Array.isArray(v)) return fail('slice', `expects text or a list, got ${typeName(v)}`);
    const e = end === undefined || end === null ? v.length : needNumber('slice', end, 'end');
    return v.slice(sliceIndex(s, v.length), sliceIndex(e, v.length));
  },
  range: ([a, b]) => {
    const whole = (v: unknown, what: string): number => {
      const n = needNumber('range', v, what);
      return Number.isInteger(n) ? n : fail('range', `${what} must be a whole number, got ${n}`);
    };
    const [from, to] = b === undefined ? [0, whole(a, 'argument')] : [whole(a, 'from'), whole(b, 'to')];
    const count = Math.max(0, to - from);
    if (count > MAX_RANGE) throw new BatonError('RANGE_TOO_LARGE', `range(): ${count} numbers is more than the limit of ${MAX_RANGE}`);
    return Array.from({ length: count }, (_, i) => from + i);
  },
  estimate: ([flow], host) => {
    const name = needString('estimate', flow, 'flow name');
    const figures = host.estimate?.(name);
    return figures === undefined ? fail('estimate', `no flow named "${name}" in this run's definition`) : figures;
  },
  // a stub agent's tool-loop script (the checker allows them only in a stub: protocol/tools.ts)
  call: ([tool, args]) => stubToolCall(needString('call', tool, 'tool name'), (args ?? {}) as JsonValue),
  turns: (items) => stubTurns(items as JsonValue[]),
};

/**
 * Calls a built-in function.
 * @throws BatonError `EXPR_UNKNOWN_FUNCTION` for a name not in the table, `EXPR_ARITY` for a wrong number
 *   of arguments, `EXPR_TYPE` for an argument of the wrong type.
 */
export function callFunction(name: string, args: unknown[], host: FunctionHost): unknown {
  const signature = Object.prototype.hasOwnProperty.call(IMPLEMENTATIONS, name) ? BUILTIN_FUNCTIONS_BY_NAME.get(name) : undefined;
  if (!signature) throw new BatonError('EXPR_UNKNOWN_FUNCTION', `unknown function ${name}()`);
  const required = signature.params.filter((p) => !p.optional).length;
  const maxArgs = signature.variadic ? Infinity : signature.params.length;
  if (args.length < required || args.length > maxArgs) {
    throw new BatonError('EXPR_ARITY', `${name}() takes ${required === maxArgs ? required : `${required} to ${signature.params.length}`} argument${maxArgs === 1 ? '' : 's'}, got ${args.length}`);
  }
  return IMPLEMENTATIONS[name](args, host);
}
