import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Run in a fresh Node process: V8's hidden classes are shared by the whole process, so another test storing a
 * non-integer into an object of the same shape would change what this one sees. `%IsSmi` (V8's natives syntax) tells
 * a small integer from a number read out of a field that V8 stores as a boxed double (a heap number even when the
 * value is an integer).
 */
const CHECK = `
import { CstUtils, EmptyFileSystem } from 'langium';
import { createBatonServices } from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'language/src/index.ts')).href)};
const isSmi = (x) => %IsSmi(x);
const { Baton } = createBatonServices(EmptyFileSystem);
const parse = (text) => Baton.parser.LangiumParser.parse(text);
// error recovery inserts tokens whose positions are NaN (Chevrotain), as its END_OF_FILE token always has
parse('flow f {\\n  step s1: W { prompt: "x" \\n}\\n');
const problems = [];
for (const t of Baton.parser.Lexer.tokenize('flow f {\\n  step s1: W { prompt: "x" }\\n}\\n').tokens)
  for (const field of ['startOffset', 'endOffset', 'startLine', 'endLine', 'startColumn', 'endColumn']) if (!isSmi(t[field])) problems.push('token ' + t.image + ': ' + field);
const root = parse('flow f {\\n  step s1: W { prompt: "x \${input.a}" }\\n}\\n').value.$cstNode;
const leaves = CstUtils.streamCst(root).filter((n) => !('content' in n)).toArray();
if (leaves.length < 10) problems.push('only ' + leaves.length + ' leaves');
for (const leaf of leaves) {
  const { start, end } = leaf.range;
  for (const [what, value] of [['offset', leaf.offset], ['start.line', start.line], ['start.character', start.character], ['end.line', end.line], ['end.character', end.character]])
    if (!isSmi(value)) problems.push('leaf ' + leaf.text + ': ' + what);
}
process.stdout.write(JSON.stringify(problems));
`;

describe('lexer tokens (memory: positions as small integers)', () => {
  it('tokens, CST leaf offsets and range positions hold small integers, also after an error recovery made NaN tokens', function () {
    this.timeout(60_000);
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--allow-natives-syntax', '--input-type=module', '-e', CHECK], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    // without BatonLexer: every token field and every leaf's offset and positions are boxed doubles
    assert.deepEqual(JSON.parse(result.stdout), []);
  });
});
