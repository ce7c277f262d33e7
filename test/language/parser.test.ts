import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeFileSystem } from 'langium/node';
import { createBatonServices, loadWorkspace, type FlowDiagnostic, type LetStatement, type TemplateString } from '../../language/src/index.js';
import { checkText, forEachPrefix } from './helpers.js';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');

function letValue(doc: Awaited<ReturnType<typeof checkText>>['document'], index = 0) {
  const flow = (doc.parseResult.value as unknown as { elements: { body: LetStatement[] }[] }).elements[0];
  return flow.body[index].value;
}

describe('parser: strings and templates', () => {
  it('a template keeps its text parts and parses the expressions inside ${…}, strings included', async () => {
    const { document } = await checkText('flow F {\n  let x = "a ${1 ?? "none"} b ${ {k: "}"}.k } c"\n}\n');
    assert.deepEqual(document.parseResult.parserErrors, []);
    const t = letValue(document) as TemplateString;
    assert.equal(t.$type, 'TemplateString');
    assert.equal(t.head, 'a ');
    assert.deepEqual(t.middles, [' b ']);
    assert.equal(t.tail, ' c');
    assert.deepEqual(t.expressions.map((e) => e.$type), ['BinaryExpression', 'MemberAccess']);
  });

  it('\\${ is a literal ${ and escapes are resolved', async () => {
    const { document } = await checkText('flow F {\n  let x = "cost: \\${price} \\"q\\"\\n"\n}\n');
    const v = letValue(document) as { $type: string; value: string };
    assert.equal(v.$type, 'StringLiteral');
    assert.equal(v.value, 'cost: ${price} "q"\n');
  });

  it('triple-quoted strings span lines and hold quotes; the first line break is dropped', async () => {
    const { document } = await checkText('flow F {\n  let x = """\nsay "hi"\n  to ${1}"""\n}\n');
    const t = letValue(document) as TemplateString;
    assert.equal(t.head, 'say "hi"\n  to ');
    assert.equal(t.tail, '');
  });

  it('every example parses without errors', async () => {
    for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.flow'))) {
      const { document } = await checkText(readFileSync(path.join(EXAMPLES, file), 'utf8'));
      assert.deepEqual(document.parseResult.parserErrors.map((e) => e.message), [], file);
      assert.deepEqual(document.parseResult.lexerErrors, [], file);
    }
  });
});

describe('parser: error recovery', () => {
  it('one typo gives one error, not fifty', async () => {
    const text = readFileSync(path.join(EXAMPLES, 'process-orchestrator.flow'), 'utf8').replace('step wrap_up: MasterOrchestrator {', 'step wrap_up MasterOrchestrator {');
    const { diagnostics } = await checkText(text);
    const parseErrors = diagnostics.filter((d) => d.code === 'parse-error');
    assert.ok(parseErrors.length >= 1 && parseErrors.length <= 2, parseErrors.map((d) => d.message).join('\n'));
    assert.match(parseErrors[0].message, /expected `:` but found `MasterOrchestrator`/);
  });

  it('every prefix of an example parses and validates without throwing', async function () {
    this.timeout(120_000);
    const text = readFileSync(path.join(EXAMPLES, 'incident-saga.flow'), 'utf8');
    await forEachPrefix(text, 7, async (document, length) => {
      const crashes = (document.diagnostics ?? []).filter((d) => /error occurred/i.test(d.message));
      assert.deepEqual(crashes.map((d) => d.message), [], `prefix of ${length} characters`);
    });
  });
});

describe('imports', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-imports-'));
    mkdirSync(path.join(dir, 'ws', 'agents'), { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const load = async (entry: string) => {
    const services = createBatonServices(NodeFileSystem);
    const loaded = await loadWorkspace(services, [path.join(dir, 'ws', entry)], { workspaceRoot: path.join(dir, 'ws') });
    return loaded.diagnostics;
  };
  /** The errors in `file` as `[code, line, column, endLine, endColumn, message]` (1-based, as `baton check` prints them). */
  const errorsIn = (diagnostics: FlowDiagnostic[], file: string) =>
    diagnostics.filter((d) => d.severity === 'error' && path.basename(d.file) === file).map((d) => [d.code, d.line, d.column, d.endLine, d.endColumn, d.message]);

  it('names declared in an imported file are visible', async () => {
    writeFileSync(path.join(dir, 'ws', 'agents', 'common.flow'), 'agent Notifier { instructions: "Send it." stub: "ok" }\n');
    writeFileSync(path.join(dir, 'ws', 'main.flow'), 'import "./agents/common.flow"\nflow F {\n  step n: Notifier\n}\n');
    assert.deepEqual((await load('main.flow')).filter((d) => d.severity === 'error'), []);
  });

  it('names of a file that is not imported are not visible', async () => {
    writeFileSync(path.join(dir, 'ws', 'other.flow'), 'agent Notifier { stub: "ok" }\n');
    writeFileSync(path.join(dir, 'ws', 'main.flow'), 'flow F {\n  step n: Notifier\n}\n');
    const services = createBatonServices(NodeFileSystem);
    const loaded = await loadWorkspace(services, [path.join(dir, 'ws', 'main.flow'), path.join(dir, 'ws', 'other.flow')], { workspaceRoot: path.join(dir, 'ws') });
    assert.deepEqual(errorsIn(loaded.diagnostics, 'main.flow'), [['unknown-agent', 2, 11, 2, 19, 'unknown agent or flow `Notifier`']]);
  });

  it('a missing import is an error on the import\'s path', async () => {
    writeFileSync(path.join(dir, 'ws', 'main.flow'), 'import "./nope.flow"\n');
    assert.deepEqual(errorsIn(await load('main.flow'), 'main.flow'), [
      ['import-not-found', 1, 8, 1, 21, `import "./nope.flow" does not exist (looked for ${path.join(dir, 'ws', 'nope.flow')})`],
    ]);
  });

  it('an import that leaves the workspace folder is an error on the import\'s path', async () => {
    writeFileSync(path.join(dir, 'outside.flow'), 'agent X { stub: "x" }\n');
    writeFileSync(path.join(dir, 'ws', 'main.flow'), 'import "../outside.flow"\n');
    assert.deepEqual(errorsIn(await load('main.flow'), 'main.flow'), [
      ['import-outside-workspace', 1, 8, 1, 25, `import "../outside.flow" leaves the workspace folder (${path.join(dir, 'ws')})`],
    ]);
  });

  it('an import cycle is an error on the import\'s path, naming the cycle', async () => {
    writeFileSync(path.join(dir, 'ws', 'a.flow'), 'import "./b.flow"\n');
    writeFileSync(path.join(dir, 'ws', 'b.flow'), 'import "./a.flow"\n');
    const diagnostics = await load('a.flow');
    assert.deepEqual(errorsIn(diagnostics, 'a.flow'), [['import-cycle', 1, 8, 1, 18, 'import "./b.flow" forms a cycle: a.flow → b.flow → a.flow']]);
    assert.deepEqual(errorsIn(diagnostics, 'b.flow'), [['import-cycle', 1, 8, 1, 18, 'import "./a.flow" forms a cycle: b.flow → a.flow → b.flow']]);
  });

  it('a name declared again in an importing file is a duplicate, on the second declaration', async () => {
    writeFileSync(path.join(dir, 'ws', 'agents', 'common.flow'), 'agent Notifier { instructions: "Send it." stub: "ok" }\n');
    writeFileSync(path.join(dir, 'ws', 'main.flow'), 'import "./agents/common.flow"\nagent Notifier { stub: "x" }\nflow F {\n  step n: Notifier\n}\n');
    const diagnostics = await load('main.flow');
    assert.deepEqual(errorsIn(diagnostics, 'main.flow'), [['duplicate-name', 2, 7, 2, 15, 'duplicate name `Notifier`: it is already declared in common.flow']]);
    assert.deepEqual(errorsIn(diagnostics, 'common.flow'), []);
  });
});

describe('parser: conversion functions named like types', () => {
  it('string(x) and number(x) parse as calls and check clean, while string and number stay types', async () => {
    const { diagnostics } = await checkText('flow F {\n  input n: number\n  output s: string\n  let t = string(input.n)\n  set output.s = t + string(number("2"))\n}\n');
    assert.deepEqual(diagnostics.map((d) => `${d.code}: ${d.message}`), []);
  });
});
