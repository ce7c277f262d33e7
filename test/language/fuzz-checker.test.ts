import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { EmptyFileSystem, URI, type AstNode, type LangiumDocument } from 'langium';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { createBatonServices } from '../../language/src/index.js';
import { forEachChild } from '../../language/src/baton-ast-walk.js';

/**
 * A property-based fuzzer for the parser, the checker and the formatter (fast-check). Generated texts:
 * the examples mutated (tokens deleted, duplicated, swapped; random characters inserted — brackets,
 * quotes, non-ASCII and control characters — cut short), deep nesting of every kind, long lines, and
 * non-ASCII / control characters in valid files. Properties:
 * - parsing and full validation never throw (no `check-failed`, no "An error occurred during validation");
 * - every diagnostic's range lies inside the document;
 * - a text that parses formats idempotently (format(format(x)) = format(x)) and its syntax tree is the
 *   same before and after formatting.
 *
 * Seeded: BATON_FUZZ_SEED=<n> picks the seed (default below), printed with each run; a seed that found a
 * defect is kept in KEPT_SEEDS and the text it found in REGRESSIONS, so it stays tested.
 */
const EXAMPLES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');
const EXAMPLES = readdirSync(EXAMPLES_DIR)
  .filter((f) => f.endsWith('.flow'))
  .sort()
  .map((f) => readFileSync(path.join(EXAMPLES_DIR, f), 'utf8'));

const DEFAULT_SEED = 20261204;
const SEED = Number(process.env.BATON_FUZZ_SEED ?? DEFAULT_SEED);
/** Seeds that once found a defect (each also pinned in REGRESSIONS by the text it generated). */
const KEPT_SEEDS: number[] = [];

/** Texts fuzzing found that broke a property once (kept as tests). */
const REGRESSIONS: Record<string, string> = {
  'a test input without its value': 'test "t" { input }\n',
  'a lone ( as an output value': 'flow F {\n output result\n set output.result = (\n}\n',
  'a flow input without a name, called as a sub-flow': 'flow F\n input:step :F{input{severity b:input',
  'a colon right before a record type': 'agent A {\n  output:{ a: number }\n  stub: { a: 1 }\n}\n',
};

const own = createBatonServices(EmptyFileSystem);
const documents = own.shared.workspace.LangiumDocuments;
const uri = URI.parse('file:///fuzz/main.flow');

/** Parses and fully validates `text` as the one document of its own services. */
async function build(text: string): Promise<LangiumDocument> {
  if (documents.hasDocument(uri)) documents.deleteDocument(uri);
  const document = own.shared.workspace.LangiumDocumentFactory.fromString(text, uri);
  documents.addDocument(document);
  await own.shared.workspace.DocumentBuilder.build([document], { validation: true });
  return document;
}

async function format(document: LangiumDocument): Promise<string> {
  const edits = await own.Baton.lsp.Formatter!.formatDocument(document, { textDocument: { uri: document.uri.toString() }, options: { tabSize: 2, insertSpaces: true } });
  const text = document.textDocument.getText();
  return TextDocument.applyEdits(TextDocument.create(uri.toString(), 'baton', 1, text), edits);
}

/** The syntax tree without positions: each node's type and its primitive and reference-text properties, depth first. */
function shape(root: AstNode): unknown[] {
  const out: unknown[] = [];
  const stack: AstNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const own: Record<string, unknown> = { $type: node.$type };
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith('$')) continue;
      if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) own[key] = value;
      else if (typeof value === 'object' && '$refText' in value) own[key] = (value as { $refText: string }).$refText;
      else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) own[key] = value;
    }
    out.push(own);
    const children: AstNode[] = [];
    forEachChild(node, (child) => {
      children.push(child);
    });
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return out;
}

/** Checks the properties on `text`; throws (an assertion) on the first that fails. */
async function holds(text: string): Promise<void> {
  const document = await build(text);
  const diagnostics = document.diagnostics ?? [];
  for (const d of diagnostics) {
    assert.ok(!d.message.includes('An error occurred'), `a check threw: ${d.message}`);
    assert.notEqual(d.code, 'check-failed', `the build threw: ${d.message}`);
    const { start, end } = d.range;
    const lines = document.textDocument.lineCount;
    const inside = (p: { line: number; character: number }) => p.line >= 0 && p.line < lines && p.character >= 0 && document.textDocument.offsetAt(p) === offsetOf(document, p);
    assert.ok(inside(start) && inside(end), `range outside the document: ${JSON.stringify(d.range)} (${lines} lines) for ${d.code}: ${d.message}`);
    assert.ok(start.line < end.line || (start.line === end.line && start.character <= end.character), `range ends before it starts: ${JSON.stringify(d.range)}`);
  }
  const { lexerErrors, parserErrors } = document.parseResult;
  if (lexerErrors.length === 0 && parserErrors.length === 0) {
    const before = shape(document.parseResult.value);
    const once = await format(document);
    const formatted = await build(once);
    assert.deepEqual(shape(formatted.parseResult.value), before, 'formatting changed the syntax tree');
    assert.equal(await format(formatted), once, 'formatting is not idempotent');
  }
}

/** The offset of `p` when it is a real position of the document (its line long enough), else -1. */
function offsetOf(document: LangiumDocument, p: { line: number; character: number }): number {
  const lineStart = document.textDocument.offsetAt({ line: p.line, character: 0 });
  const next = p.line + 1 < document.textDocument.lineCount ? document.textDocument.offsetAt({ line: p.line + 1, character: 0 }) : document.textDocument.getText().length;
  return lineStart + p.character <= next ? lineStart + p.character : -1;
}

// ------------------------------------------------------------------------------------------------ texts

/** Tokens of a text, roughly: words, numbers, strings, single punctuation and runs of white space. */
function tokens(text: string): string[] {
  return text.match(/"(?:[^"\\\n]|\\.)*"|[A-Za-z_]\w*|\d+(?:\.\d+)?[a-z]*|\s+|\/\/[^\n]*|./gs) ?? [];
}

const ODD_CHARACTERS = ['{', '}', '(', ')', '[', ']', '"', '"""', '${', '`', '\\', ':', ',', '.', '?', '-', '!', '=', '/*', '*/', '//', '\u0000', '\u0007', '\u001b', '\r', '\t', '\u00a0', '\u200b', '\u2028', '\ufeff', 'é', 'ß', '日本', '🙂', '\ud800', '‹', 'else', 'if', 'step', 'input', 'output', 'set', '1e9', '-2'];

type Mutation = { kind: 'delete' | 'duplicate' | 'swap'; at: number } | { kind: 'insert'; at: number; text: string } | { kind: 'cut'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom('delete' as const, 'duplicate' as const, 'swap' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...ODD_CHARACTERS), fc.string({ unit: 'binary', maxLength: 4 })) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
);

function mutate(text: string, mutations: Mutation[]): string {
  const parts = tokens(text);
  for (const m of mutations) {
    if (parts.length === 0) break;
    const i = m.at % parts.length;
    if (m.kind === 'delete') parts.splice(i, 1);
    else if (m.kind === 'duplicate') parts.splice(i, 0, parts[i]);
    else if (m.kind === 'swap' && i + 1 < parts.length) [parts[i], parts[i + 1]] = [parts[i + 1], parts[i]];
    else if (m.kind === 'insert') parts.splice(i, 0, m.text);
    else if (m.kind === 'cut') parts.length = i;
  }
  return parts.join('');
}

const mutatedExample = fc.tuple(fc.nat({ max: EXAMPLES.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 6 })).map(([i, ms]) => mutate(EXAMPLES[i], ms));

/** Deep nesting of one kind, `depth` levels, closed or not. */
const NESTING: Record<string, (depth: number, closed: boolean) => string> = {
  parens: (d, c) => `flow F {\n  output x: number\n  set output.x = ${'('.repeat(d)}1${c ? ')'.repeat(d) : ''}\n}\n`,
  if: (d, c) => `flow F {\n${'if true {\n'.repeat(d)}${c ? '}\n'.repeat(d) : ''}}\n`,
  parallel: (d, c) => `agent A { stub: "x" }\nflow F {\n${'parallel {\n'.repeat(d)}step a: A\n${c ? '}\n'.repeat(d) : ''}}\n`,
  foreach: (d, c) => `flow F {\n${Array.from({ length: d }, (_, i) => `foreach x${i} in [1] {\n`).join('')}${c ? '}\n'.repeat(d) : ''}}\n`,
  records: (d, c) => `agent A { stub: ${'{ a: '.repeat(d)}1${c ? ' }'.repeat(d) : ''} }\n`,
  lists: (d, c) => `flow F {\n  let v = ${'['.repeat(d)}1${c ? ']'.repeat(d) : ''}\n}\n`,
  templates: (d, c) => `flow F {\n  let v = ${'"${'.repeat(d)}1${c ? '}"'.repeat(d) : ''}\n}\n`,
  types: (d, c) => `type T = ${'{ a: '.repeat(d)}number${c ? ' }'.repeat(d) : ''}\n`,
  unary: (d) => `flow F {\n  let v = ${'!'.repeat(d)}true\n}\n`,
  conditional: (d) => `flow F {\n  let v = ${'true ? 1 : '.repeat(d)}1\n}\n`,
  sum: (d) => `flow F {\n  let v = 1${' + 1'.repeat(d)}\n}\n`,
  member: (d) => `flow F {\n  let v = status${'.a'.repeat(d)}\n}\n`,
  elseIf: (d) => `flow F {\n  if true { }${' else if true { }'.repeat(d)}\n}\n`,
  listType: (d) => `type T = number${'[]'.repeat(d)}\n`,
};

const deepNesting = fc.tuple(fc.constantFrom(...Object.keys(NESTING)), fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 150, max: 2200 })), fc.boolean()).map(([kind, depth, closed]) => NESTING[kind](depth, closed));

const longLine = fc.tuple(fc.integer({ min: 5_000, max: 30_000 }), fc.constantFrom('string', 'name', 'comment', 'list')).map(([length, kind]) => {
  if (kind === 'string') return `flow F {\n  let v = "${'x'.repeat(length)}"\n}\n`;
  if (kind === 'name') return `agent ${'A'.repeat(length)} { stub: "x" }\n`;
  if (kind === 'comment') return `// ${'c'.repeat(length)}\nagent A { stub: "x" }\n`;
  return `flow F {\n  let v = [${Array(Math.floor(length / 10)).fill('1').join(', ')}]\n}\n`;
});

const oddCharacters = fc
  .tuple(fc.nat({ max: EXAMPLES.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.string({ unit: fc.oneof(fc.constantFrom(...ODD_CHARACTERS), fc.string({ unit: 'grapheme', maxLength: 1 }), fc.string({ unit: 'binary', maxLength: 1 })), maxLength: 6 })), { minLength: 1, maxLength: 5 }))
  .map(([i, inserts]) => {
    let text = EXAMPLES[i];
    for (const [at, s] of inserts) {
      const p = at % (text.length + 1);
      text = text.slice(0, p) + s + text.slice(p);
    }
    return text;
  });

// ------------------------------------------------------------------------------------------------ tests

describe('fuzz: parser, checker and formatter never break on hostile text', function () {
  this.timeout(120_000);

  for (const [name, text] of Object.entries(REGRESSIONS)) {
    it(`kept: ${name}`, async () => {
      await holds(text);
    });
  }

  it('every example holds the properties (formats idempotently, unchanged syntax tree)', async () => {
    for (const text of EXAMPLES) await holds(text);
  });

  for (const seed of [SEED, ...KEPT_SEEDS]) {
    const run = (name: string, arbitrary: fc.Arbitrary<string>, numRuns: number) =>
      it(`${name} (seed ${seed}; repeat with BATON_FUZZ_SEED=${seed})`, async () => {
        console.log(`      checker fuzz seed ${seed}: ${name}`);
        await fc.assert(
          fc.asyncProperty(arbitrary, async (text) => {
            await holds(text);
          }),
          { seed, numRuns, endOnFailure: true },
        );
      });
    run('mutated examples', mutatedExample, 60);
    run('deep nesting of every kind, closed or not', deepNesting, 30);
    run('long lines', longLine, 4);
    run('non-ASCII and control characters in the examples', oddCharacters, 25);
  }
});
