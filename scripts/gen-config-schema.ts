// Writes schemas/baton.config.schema.json from the schema's source of truth
// (packages/runtime/src/config/config-schema.ts). Run: npm run gen:schema
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BATON_CONFIG_SCHEMA } from '../packages/runtime/src/config/config-schema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
writeFileSync(path.join(root, 'schemas', 'baton.config.schema.json'), `${JSON.stringify(BATON_CONFIG_SCHEMA, null, 2)}\n`);
console.log('schemas/baton.config.schema.json written');
