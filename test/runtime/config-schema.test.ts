import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BATON_CONFIG_SCHEMA } from '../../packages/runtime/src/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('the baton.config.json schema for editors', () => {
  it('schemas/baton.config.schema.json is the runtime’s schema (else: npm run gen:schema)', () => {
    const written = JSON.parse(readFileSync(path.join(ROOT, 'schemas', 'baton.config.schema.json'), 'utf8')) as unknown;
    assert.deepEqual(written, JSON.parse(JSON.stringify(BATON_CONFIG_SCHEMA)));
  });

  it('the extension points baton.config.json files at it and ships it in the .vsix', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { contributes: { jsonValidation: { fileMatch: string; url: string }[] } };
    assert.deepEqual(manifest.contributes.jsonValidation, [{ fileMatch: 'baton.config.json', url: './schemas/baton.config.schema.json' }]);
    assert.match(readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8'), /^!schemas\/baton\.config\.schema\.json$/m);
  });
});
