/**
 * Value helpers of the expression language. Values are JSON-like: null, booleans, numbers, strings,
 * arrays and plain records. Records are read through own properties only, and `__proto__`,
 * `constructor` and `prototype` are never reachable.
 */
import type { JsonValue } from '@baton/protocol';

/** Property names that are never read or written, whatever the object. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** A plain record (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads `key` of a record as an own property; `null` when missing or forbidden. */
export function getProperty(value: unknown, key: string): unknown {
  if (FORBIDDEN_KEYS.has(key)) return null;
  if (isRecord(value) && Object.prototype.hasOwnProperty.call(value, key)) return value[key] ?? null;
  if (typeof value === 'string' && key === 'length') return value.length;
  if (Array.isArray(value) && key === 'length') return value.length;
  return null;
}

/** Makes a record without a prototype chain to reach; forbidden keys are dropped. */
export function makeRecord(entries: Iterable<[string, unknown]>): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    if (FORBIDDEN_KEYS.has(key)) continue;
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return record;
}

/**
 * Sets `record[key]` as an own data property, whatever the key: a flow output or input named `__proto__`
 * is an ordinary value, never the record's prototype.
 */
export function setOwn(record: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Truthiness: false, null, 0, NaN and "" are false; everything else (including [] and {}) is true. */
export function truthy(value: unknown): boolean {
  return !(value === false || value === null || value === undefined || value === 0 || value === '' || Number.isNaN(value));
}

/** Deep equality of JSON-like values. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** The value as template text: strings as they are, null as "", records and lists as JSON. */
export function toText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** The language's name of a value's type, for messages. */
export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'record';
  return typeof value;
}

/** A value as JSON (undefined → null; records keep their own keys). */
export function toJson(value: unknown): JsonValue {
  if (value === undefined) return null;
  return value as JsonValue;
}
