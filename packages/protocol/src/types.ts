import type { TypeRef } from './ir.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

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
