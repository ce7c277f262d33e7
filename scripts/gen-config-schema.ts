// Writes schemas/baton.config.schema.json from the schema's source of truth
// (packages/runtime/src/config/config-schema.ts). Run: npm run gen:schema
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BATON_CONFIG_SCHEMA } from '../packages/runtime/src/config/config-schema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * JSON indented by 2 like `JSON.stringify(value, null, 2)`, except that an object or array whose one-line form fits in
 * {@link LINE} columns at its place is written on one line (`{ "type": "string" }`), as Prettier prints JSON.
 */
const LINE = 120;
function format(value: unknown, indent: string, taken: number): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const flat = JSON.stringify(value, null, 1).replace(/\n\s*/g, ' ');
  if (indent.length + taken + flat.length <= LINE) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + format(v, inner, 0)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => {
    const key = `${JSON.stringify(k)}: `;
    return inner + key + format(v, inner, key.length);
  });
  return `{\n${entries.join(',\n')}\n${indent}}`;
}

writeFileSync(path.join(root, 'schemas', 'baton.config.schema.json'), `${format(BATON_CONFIG_SCHEMA, '', 0)}\n`);
console.log('schemas/baton.config.schema.json written');
