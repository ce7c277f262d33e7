import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LANGUAGE_SERVER_EXEC_ARGV } from '../../packages/protocol/src/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('the language server launch options', () => {
  it('are options this Node accepts (a wrong one would keep the server from starting)', () => {
    const result = spawnSync(process.execPath, [...LANGUAGE_SERVER_EXEC_ARGV, '-e', 'process.stdout.write(String(require("v8").getHeapStatistics().total_available_size > 0))'], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, 'true');
  });

  it('are the ones the editor benchmark starts the server with', () => {
    const bench = readFileSync(path.join(ROOT, 'bench', 'cases', 'editor.mjs'), 'utf8');
    const literal = /^const SERVER_EXEC_ARGV = (\[.*\]);$/m.exec(bench);
    assert.ok(literal, 'bench/cases/editor.mjs declares SERVER_EXEC_ARGV');
    assert.deepEqual(JSON.parse(literal[1].replaceAll("'", '"')), [...LANGUAGE_SERVER_EXEC_ARGV]);
  });
});
