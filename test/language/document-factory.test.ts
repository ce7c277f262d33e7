import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AstNode, CstNode, LangiumDocument } from 'langium';
import { CstUtils, EmptyFileSystem, TextDocument, URI, isCompositeCstNode, isLeafCstNode, isReference, type LeafCstNodeImpl } from 'langium';
import { createBatonServices } from '@baton/language';
import { cachedLeafRange } from '../../language/src/baton-cst-ranges.js';
import { MAX_SHIFTS, shiftClock } from '../../language/src/baton-cst-shift.js';
import { generateFlow } from '../../bench/generate-flow.mjs';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');

/** Differences between two CSTs (shape, offsets, ranges, tokens, grammar elements, AST types), as paths. */
function cstDifference(a: CstNode, b: CstNode, at = 'root'): string | undefined {
  const describe = (n: CstNode) =>
    JSON.stringify({
      leaf: isLeafCstNode(n),
      offset: n.offset,
      end: n.end,
      range: [n.range.start.line, n.range.start.character, n.range.end.line, n.range.end.character],
      hidden: n.hidden,
      token: isLeafCstNode(n) ? n.tokenType.name : undefined,
      text: isLeafCstNode(n) ? n.text : undefined,
      ast: (n as unknown as { _astNode?: AstNode })._astNode?.$type,
      length: isCompositeCstNode(n) ? n.content.length : undefined,
    });
  if (describe(a) !== describe(b)) return `${at}: ${describe(a)} ≠ ${describe(b)}`;
  if (a.grammarSource !== b.grammarSource) return `${at}: another grammar element`;
  if (isCompositeCstNode(a) && isCompositeCstNode(b)) {
    for (let i = 0; i < a.content.length; i++) {
      if (a.content[i].container !== a) return `${at}/${i}: container`;
      const d = cstDifference(a.content[i], b.content[i], `${at}/${i}`);
      if (d) return d;
    }
  }
  return undefined;
}

/** Differences between two ASTs (properties, containment, references' text and CST spans), as paths. */
function astDifference(a: unknown, b: unknown, at = 'root'): string | undefined {
  if (isReference(a) && isReference(b)) {
    return a.$refText === b.$refText && a.$refNode?.offset === b.$refNode?.offset ? undefined : `${at}: reference ${a.$refText} ≠ ${b.$refText}`;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${at}: ${a.length} ≠ ${b.length} elements`;
    for (let i = 0; i < a.length; i++) {
      const d = astDifference(a[i], b[i], `${at}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    const keys = (o: Record<string, unknown>) => Object.keys(o).filter((k) => !k.startsWith('$') || k === '$type' || k === '$containerProperty' || k === '$containerIndex').sort();
    if (keys(x).join() !== keys(y).join()) return `${at}: keys ${keys(x)} ≠ ${keys(y)}`;
    const cx = (x as unknown as AstNode).$cstNode;
    const cy = (y as unknown as AstNode).$cstNode;
    if (cx?.offset !== cy?.offset || cx?.end !== cy?.end) return `${at}: CST span ${cx?.offset}-${cx?.end} ≠ ${cy?.offset}-${cy?.end}`;
    for (const k of keys(x)) {
      const v = x[k];
      if (v && typeof v === 'object' && '$type' in v && (v as AstNode).$container !== a) return `${at}.${k}: $container`;
      if (Array.isArray(v)) for (const e of v) if (e && typeof e === 'object' && '$type' in e && (e as AstNode).$container !== a) return `${at}.${k}[]: $container`;
      const d = astDifference(v, y[k], `${at}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return a === b ? undefined : `${at}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`;
}

/** An open document edited as an editor does (the text replaced, then Langium's update), and a fresh parse to compare with. */
async function editor(text: string) {
  const own = createBatonServices(EmptyFileSystem, { incrementalParse: true });
  const uri = URI.parse('file:///edit/main.flow');
  let version = 1;
  const textDocument = TextDocument.create(uri.toString(), 'baton', version, text);
  own.shared.workspace.TextDocuments!.set(textDocument);
  const document = own.shared.workspace.LangiumDocumentFactory.fromTextDocument(textDocument);
  own.shared.workspace.LangiumDocuments.addDocument(document);
  await own.shared.workspace.DocumentBuilder.build([document], { validation: true });
  const fresh = createBatonServices(EmptyFileSystem);
  let reparsed = 0;
  return {
    document,
    get reparsed() {
      return reparsed;
    },
    /**
     * Replaces `[start, end)` with `insert`, updates, and checks the result against a full parse and check;
     * `updated` sees the document right after the update, before the checks read it.
     */
    async edit(start: number, end: number, insert: string, updated?: (document: LangiumDocument) => void): Promise<void> {
      const old = document.textDocument.getText();
      await this.change(start, end, insert);
      updated?.(document);
      await this.compare(`edit ${JSON.stringify(old.slice(Math.max(0, start - 15), start))}|${JSON.stringify(old.slice(start, end))}→${JSON.stringify(insert)}`);
    },
    /** Replaces `[start, end)` with `insert` and updates, without the checks. */
    async change(start: number, end: number, insert: string): Promise<void> {
      const before = document.parseResult.value;
      const old = document.textDocument.getText();
      const next = old.slice(0, start) + insert + old.slice(end);
      own.shared.workspace.TextDocuments!.set(TextDocument.create(uri.toString(), 'baton', ++version, next));
      await own.shared.workspace.DocumentBuilder.update([uri], []);
      if (document.parseResult.value === before) reparsed++;
    },
    /** Checks the document against a full parse and check of its text. */
    async compare(where = 'now'): Promise<void> {
      const next = document.textDocument.getText();
      const full = fresh.Baton.parser.LangiumParser.parse(next);
      const errors = (r: { lexerErrors: { offset: number; length: number; message: string }[]; parserErrors: { message: string; token: { startOffset: number; endOffset?: number } }[] }) =>
        JSON.stringify([r.lexerErrors.map((e) => [e.offset, e.length, e.message]), r.parserErrors.map((e) => [e.token.startOffset, e.token.endOffset, e.message])]);
      assert.equal(errors(document.parseResult), errors(full), `${where}: lexer and parser errors`);
      const cst = cstDifference(document.parseResult.value.$cstNode!, full.value.$cstNode!);
      assert.equal(cst, undefined, `${where}: CST ${cst}`);
      const astDiff = astDifference(document.parseResult.value, full.value);
      assert.equal(astDiff, undefined, `${where}: AST ${astDiff}`);
      const freshDocument = fresh.shared.workspace.LangiumDocumentFactory.fromString(next, URI.parse(`file:///fresh/${version}.flow`));
      fresh.shared.workspace.LangiumDocuments.addDocument(freshDocument);
      await fresh.shared.workspace.DocumentBuilder.build([freshDocument], { validation: true });
      const show = (d: LangiumDocument) => JSON.stringify((d.diagnostics ?? []).map((x) => [x.code, x.severity, x.message, x.range.start.line, x.range.start.character, x.range.end.line, x.range.end.character]));
      assert.equal(show(document), show(freshDocument), `${where}: diagnostics`);
      fresh.shared.workspace.LangiumDocuments.deleteDocument(freshDocument.uri);
    },
  };
}

describe('document updates: re-parsing only the edited statement', () => {
  it('gives the AST, CST and diagnostics of a full parse for edits inside steps, ifs and parallels of a generated flow', async function () {
    this.timeout(60_000);
    const text = generateFlow(120);
    const e = await editor(text);
    const at = (needle: string) => {
      const offset = e.document.textDocument.getText().indexOf(needle);
      assert.ok(offset >= 0, needle);
      return offset;
    };
    await e.edit(at('Step 7 on') + 6, at('Step 7 on') + 6, ' now'); // a word into a prompt
    await e.edit(at('Step 7 now on') + 6, at('Step 7 now on') + 10, ''); // and out again
    await e.edit(at('step s9: Worker9') + 15, at('step s9: Worker9') + 16, 'X'); // an unknown agent
    await e.edit(at('step s9: WorkerX') + 15, at('step s9: WorkerX') + 16, '9');
    await e.edit(at('timeout: 30s') + 9, at('timeout: 30s') + 12, '2m'); // a duration
    await e.edit(at('prompt: "Step 20 on'), at('prompt: "Step 20 on'), 'timeout: 5s\n    '); // a new line inside a step
    await e.edit(at('step s50: Worker0 { prompt: "High') + 6, at('step s50: Worker0 { prompt: "High') + 8, '49'); // a step in an `if` renamed to a duplicate
    await e.edit(at('"Branch A after') + 1, at('"Branch A after') + 7, 'Left'); // inside a parallel branch
    await e.edit(at('step s30:') + 5, at('step s30:') + 8, 's5'); // the step renamed to an earlier name: duplicate-name
    assert.ok(e.reparsed >= 8, `the statement was re-parsed alone in ${e.reparsed} of 9 edits`);
  });

  it('after an edit that adds or removes lines, computes the moved leaves\' ranges when read, as a full parse has them (LF and CRLF)', async function () {
    this.timeout(60_000);
    for (const eol of ['\n', '\r\n']) {
      // a triple-quoted prompt over three lines after the edits, and a comment
      const text = generateFlow(40)
        .replace(/prompt: "Step 31 on[^\n]*/, 'prompt: """Step 31\n  spans ${s29.output.text}\nlines""" // after')
        .replace(/\n/g, eol);
      const e = await editor(text);
      const at = (needle: string) => e.document.textDocument.getText().indexOf(needle.replace(/\n/g, eol));
      const lastLeaf = (document: LangiumDocument) => [...CstUtils.streamCst(document.parseResult.value.$cstNode!)].filter(isLeafCstNode).at(-1)!;
      const dropped = (document: LangiumDocument) => assert.equal(cachedLeafRange(lastLeaf(document) as LeafCstNodeImpl), undefined, 'the last leaf\'s range waits to be read');
      await e.edit(at('prompt: "Step 5 on'), at('prompt: "Step 5 on'), `timeout: 5s${eol}    `, dropped); // a line added
      await e.edit(at('timeout: 5s'), at('prompt: "Step 5 on'), '', dropped); // and removed
      await e.edit(at('step s9: Worker9') + 15, at('step s9: Worker9') + 16, 'X'); // on one line: later lines keep their ranges
      assert.ok(e.reparsed >= 3, `${e.reparsed} of 3 edits re-parsed one statement`);
    }
  });

  it('moves the CST after an edit lazily: a node applies the moves of the edits it missed when read, and past the log\'s length the tree is brought up to date', async function () {
    this.timeout(300_000);
    const e = await editor(generateFlow(80));
    const text = () => e.document.textDocument.getText();
    const fresh = createBatonServices(EmptyFileSystem).Baton.parser.LangiumParser;
    let seed = 11;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const epochOf = (node: CstNode) => (node as unknown as { _epoch: number })._epoch;
    // a leaf inside the last step (not the end of any node an edit refreshes), kept across the edits
    const late = [...CstUtils.streamCst(e.document.parseResult.value.$cstNode!)].find((n) => isLeafCstNode(n) && n.text === 'prompt' && n.offset > text().indexOf('step s79:'))!;
    assert.ok(late);
    let unread = 0;
    const edits = MAX_SHIFTS + 30;
    const firstEpoch = shiftClock.epoch;
    for (let i = 0; i < edits; i++) {
      const step = 2 + random(75);
      const quote = text().indexOf('prompt: "', text().indexOf(`step s${step}:`)) + 8; // the prompt's opening quote
      const added = text().indexOf('    timeout: 7s\n');
      const kind = random(5);
      if (kind === 0) await e.change(quote + 1, quote + 1, 'now '.slice(0, 1 + random(4))); // longer, same lines
      else if (kind === 1) await e.change(quote - 8, quote - 8, 'timeout: 7s\n    '); // a line added
      else if (kind === 2 && added >= 0) await e.change(added, added + 16, ''); // a line removed
      else if (kind === 3) await e.change(quote + 1, quote + 2, 'XY'.slice(0, 1 + random(2))); // a character replaced
      else await e.change(quote + 1, quote + 2, ''); // shorter
      // a node far after the edit has not been moved yet (nothing read it): the move waits for a read
      if (epochOf(late) !== shiftClock.epoch) unread++;
      // a few leaves read here and there: offset, range and text as a full parse has them
      const full = fresh.parse(text()).value.$cstNode!;
      for (let k = 0; k < 3; k++) {
        const offset = random(text().length);
        const mine = CstUtils.findLeafNodeAtOffset(e.document.parseResult.value.$cstNode!, offset);
        const theirs = CstUtils.findLeafNodeAtOffset(full, offset);
        const show = (n: CstNode | undefined) => n && JSON.stringify([n.offset, n.end, n.range, n.text]);
        assert.equal(show(mine), show(theirs), `edit ${i}: the leaf at ${offset}`);
      }
    }
    assert.ok(e.reparsed >= edits - 2, `${e.reparsed} of ${edits} edits re-parsed one statement`);
    assert.ok(unread >= edits / 2, `the late leaf waited for a read after ${unread} of ${edits} edits`);
    const shifts = (e.document.parseResult.value.$cstNode!.root as unknown as { _shifts?: unknown[] })._shifts ?? [];
    const moves = shiftClock.epoch - firstEpoch; // the edits that changed a length or a line count
    assert.ok(moves > MAX_SHIFTS && moves <= 2 * MAX_SHIFTS, `${moves} moves recorded`);
    assert.equal(shifts.length, moves - MAX_SHIFTS, 'the log was emptied once full');
    await e.compare(); // every node, read now, as a full parse has it; diagnostics as a full check
  });

  it('falls back to a full parse when an edit breaks the syntax, spans statements or follows a broken state, with the same result', async function () {
    this.timeout(60_000);
    const e = await editor(generateFlow(60));
    const at = (needle: string) => {
      const offset = e.document.textDocument.getText().indexOf(needle);
      assert.ok(offset >= 0, needle);
      return offset;
    };
    await e.edit(at('  step s12:'), at('  step s14:'), ''); // two whole statements removed
    await e.edit(at('prompt: "Step 15'), at('prompt: "Step 15') + 8, 'prompt '); // a missing colon: parse error
    await e.edit(at('prompt "Step 15'), at('prompt "Step 15') + 7, 'prompt: '); // fixed (the document had an error: full parse)
    await e.edit(at('Step 16 on') - 1, at('Step 16 on') - 1, '"'); // an extra quote
    await e.edit(at('""Step 16 on'), at('""Step 16 on') + 1, '');
    await e.edit(at('step s17') + 8, at('step s17') + 8, '\n  step extra: Worker1\n  step s17b: Worker2 {}'); // a new statement inside
    await e.edit(0, 0, '// a comment\n');
  });

  /** Types `typed` one character at a time at `offset`, then deletes it again from its end, checking after each keystroke. */
  async function typeAndDelete(e: Awaited<ReturnType<typeof editor>>, offset: number, typed: string): Promise<void> {
    for (let i = 0; i < typed.length; i++) await e.edit(offset + i, offset + i, typed[i]);
    for (let i = typed.length - 1; i >= 0; i--) await e.edit(offset + i, offset + i + 1, '');
  }

  it('re-parses the edited statement in its context while typing goes through unparsable states (`s12.output.`), with the errors of a full parse', async function () {
    this.timeout(300_000);
    const e = await editor(generateFlow(52));
    const text = () => e.document.textDocument.getText();
    const lineAfter = (needle: string) => text().indexOf('\n', text().indexOf(needle)) + 1;
    // a new property line in step s13, typed character by character: `when: s12.output.` is unparsable until `text`
    await typeAndDelete(e, lineAfter('step s13:'), '    when: s12.output.text != "x"\n');
    const typedOnly = e.reparsed;
    // all but the states with an unterminated `"x` (its lexer errors reach past the statement: a full parse)
    assert.ok(typedOnly >= 55, `re-parsed alone or in context in ${typedOnly} of 68 keystrokes`);
    // into a template of a prompt: `${s12.output.` inside the string
    await typeAndDelete(e, text().indexOf(' after ${s13.output.text}"'), ' ${s12.');
    // a step inside an `if` (the `if` is the element re-parsed)
    await typeAndDelete(e, lineAfter('step s51:'), '    when: s50.');
    assert.ok(e.reparsed - typedOnly >= 30, `re-parsed in ${e.reparsed - typedOnly} of the 42 later keystrokes`);
  });

  it('gives the result of a full parse when a brace is deleted, a string is left unterminated or a triple quote opened, and back', async function () {
    this.timeout(300_000);
    const e = await editor(generateFlow(55));
    const text = () => e.document.textDocument.getText();
    const at = (needle: string, delta = 0) => {
      const offset = text().indexOf(needle);
      assert.ok(offset >= 0, needle);
      return offset + delta;
    };
    // the closing brace of a step inside an `if`, and back
    const close = text().indexOf('}\n', at('Step 52 on'));
    await e.edit(close, close + 1, '');
    await e.edit(close, close, '}');
    // the opening brace of a step, and back
    await e.edit(at('step s20: Worker0 {', 18), at('step s20: Worker0 {', 19), '');
    await e.edit(at('step s20: Worker0 \n', 18), at('step s20: Worker0 \n', 18), '{');
    // an unterminated string (the closing quote removed), then a word typed after it, then fixed
    const quote = text().indexOf('"\n', at('Step 21 on'));
    await e.edit(quote, quote + 1, '');
    await e.edit(quote, quote, ' more');
    await e.edit(quote, quote + 5, '"');
    // a triple quote opened in a prompt (its match could run on to another one far away), then removed
    await typeAndDelete(e, at('Step 22 on', 5), '"""');
    await typeAndDelete(e, at('Step 22 on', 5), '/*');
    // a template left open: `${` with no `}`
    await typeAndDelete(e, at('Step 23 on', 5), '${s22.');
    // the edited statement's errors are kept while the next edit is in another statement: a full parse
    const p24 = at('Step 24 on', 5);
    await e.edit(p24, p24, 's23.');
    const p30 = at('Step 30 on', 5);
    await e.edit(p30, p30, 'x');
    await e.edit(p30, p30 + 1, '');
    await e.edit(p24, p24 + 4, '');
  });

  it('gives the result of a full parse after each of 60 random keystrokes of syntax characters, each undone', async function () {
    this.timeout(300_000);
    const e = await editor(generateFlow(30));
    const original = e.document.textDocument.getText();
    let seed = 15;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pieces = ['.', '{', '}', '"', '${', '(', ')', ':', '\n', ' ', 'x', 's3.', '"""', '/*', '*/', ',', '[', 'if ', 'step q: Worker1 {'];
    for (let i = 0; i < 60; i++) {
      // a keystroke (or two), then undone: the file goes through an unparsable state and back, as while typing
      const offset = random(original.length);
      const end = random(3) === 0 ? Math.min(original.length, offset + 1 + random(3)) : offset;
      const insert = end > offset ? '' : pieces[random(pieces.length)];
      await e.edit(offset, end, insert);
      if (random(2) === 0) {
        const second = pieces[random(pieces.length)];
        await e.edit(offset + insert.length, offset + insert.length, second);
        await e.edit(offset + insert.length, offset + insert.length + second.length, '');
      }
      await e.edit(offset, offset + insert.length, original.slice(offset, end));
      assert.equal(e.document.textDocument.getText(), original);
    }
    assert.ok(e.reparsed > 60, `re-parsed in ${e.reparsed} of the keystrokes`);
  });

  for (const file of ['incident-saga.flow', 'process-orchestrator.flow']) {
    it(`gives the AST, CST and diagnostics of a full parse after a character is typed and removed at 40 places in ${file}`, async function () {
      this.timeout(120_000);
      const text = readFileSync(path.join(EXAMPLES, file), 'utf8');
      const e = await editor(text);
      for (let offset = 1; offset < text.length; offset += Math.ceil(text.length / 40)) {
        await e.edit(offset, offset, 'x');
        await e.edit(offset, offset + 1, '');
        await e.edit(offset, offset + 1, '\n');
        await e.edit(offset, offset + 1, text[offset]);
      }
      assert.ok(e.reparsed > 0);
    });
  }
});
