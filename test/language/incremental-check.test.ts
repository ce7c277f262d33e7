import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AstNode, LangiumDocument } from 'langium';
import { EmptyFileSystem, TextDocument, URI, isReference } from 'langium';
import { CancellationTokenSource } from 'vscode-languageserver';
import { createBatonServices } from '@baton/language';
import { astNodes, documentNodes, forEachReference, nodesOfKind, subtreeNodes } from '../../language/src/baton-ast-walk.js';
import * as kinds from '../../language/src/baton-node-kinds.js';
import { incrementalBuilds } from '../../language/src/baton-incremental.js';
import { incrementalFlowChecks, incrementalNodeChecks } from '../../language/src/baton-incremental-validation.js';
import { generateFlow } from '../../bench/generate-flow.mjs';
import { seededRandom as random } from '../support/seeded-random.js';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');

/** Two flows calling each other (always, or under an `if`), signals raised and waited for in parallel branches. */
const SIGNALS_AND_RECURSION = `agent W { stub: "w" }
agent V { stub: "v" }
flow A {
  input n: number
  step w1: W { prompt: "a" }
  parallel {
    branch {
      step b: B
      signal go
    }
    branch {
      wait signal go
      step w2: W { prompt: "x \${w1.output}" }
    }
  }
  if input.n > 0 {
    step again: A { input: { n: input.n } }
  }
  step w3: V { prompt: "y" }
  signal done
}
flow B {
  repeat max 3 {
    step a: W { prompt: "r" }
  } until true
  step e: A { input: { n: 2 } }
  wait signal done timeout 1h
  step c: V { prompt: "z" }
  if true {
    step d: A { input: { n: 1 } }
    signal gone
  }
}
`;

type Edit = { what: string; start: number; end: number; insert: string };

/** Every match of `re` in `text`: [offset, match]. */
function matches(text: string, re: RegExp): Array<[number, RegExpExecArray]> {
  const found: Array<[number, RegExpExecArray]> = [];
  for (const m of text.matchAll(new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g'))) found.push([m.index!, m as RegExpExecArray]);
  return found;
}

/** One random edit of `text` of the kinds a person makes: renames, deleted and moved statements, broken and fixed names, new references, typing. */
function randomEdit(text: string, rnd: () => number, extraKinds: readonly string[] = []): Edit {
  const pick = <T>(xs: T[]): T | undefined => (xs.length ? xs[Math.floor(rnd() * xs.length)] : undefined);
  const names = [...new Set(matches(text, /\b(?:step|approval|let|var|region)\s+([A-Za-z_]\w*)/).map(([, m]) => m[1]))];
  const agents = [...new Set(matches(text, /\bagent\s+([A-Za-z_]\w*)/).map(([, m]) => m[1]))];
  const lets = [...new Set(matches(text, /\blet\s+([A-Za-z_]\w*)/).map(([, m]) => m[1]))];
  const kinds = ['rename', 'rename-dup', 'break-agent', 'fix-agent', 'new-ref', 'delete-statement', 'move-statement', 'type-char', 'delete-char', 'cancel-in-block', 'rename-agent', 'swap-ident', 'ghost', 'retype-let', 'read-let', ...extraKinds];
  for (let attempt = 0; attempt < 20; attempt++) {
    const kind = pick(kinds)!;
    switch (kind) {
      case 'rename':
      case 'rename-dup': {
        const decl = pick(matches(text, /\b(step|approval|let|var)\s+([A-Za-z_]\w*)/));
        if (!decl) break;
        const [offset, m] = decl;
        const start = offset + m[0].length - m[2].length;
        const insert = kind === 'rename-dup' ? (pick(names) ?? 'x') : `${m[2]}${Math.floor(rnd() * 3)}`;
        return { what: `${kind} ${m[2]}→${insert}`, start, end: start + m[2].length, insert };
      }
      case 'break-agent':
      case 'fix-agent': {
        const use = pick(matches(text, /\bstep\s+\w+\s*:\s*([A-Za-z_]\w*)/));
        if (!use) break;
        const [offset, m] = use;
        const start = offset + m[0].length - m[1].length;
        const insert = kind === 'break-agent' ? `${m[1]}X` : (pick(agents) ?? m[1]);
        return { what: `${kind} ${m[1]}→${insert}`, start, end: start + m[1].length, insert };
      }
      case 'rename-agent': {
        const decl = pick(matches(text, /\bagent\s+([A-Za-z_]\w*)/));
        if (!decl) break;
        const [offset, m] = decl;
        const start = offset + m[0].length - m[1].length;
        const insert = rnd() < 0.5 ? `${m[1]}Y` : (pick(agents) ?? m[1]);
        return { what: `rename-agent ${m[1]}→${insert}`, start, end: start + m[1].length, insert };
      }
      case 'new-ref': {
        const prompt = pick(matches(text, /prompt:\s*"/));
        const name = pick(names);
        if (!prompt || !name) break;
        const start = prompt[0] + prompt[1][0].length;
        const insert = rnd() < 0.7 ? `\${${name}.output.text} ` : `\${${name}.nope} `;
        return { what: `new-ref ${insert}`, start, end: start, insert };
      }
      case 'delete-statement':
      case 'move-statement': {
        const lines = text.split('\n');
        const starts = lines.map((l, i) => [l, i] as const).filter(([l]) => /^\s+(step|approval|let|var|if|parallel|signal|wait|set|region|cancel|fail)\b/.test(l));
        const chosen = pick(starts);
        if (!chosen) break;
        const [line, i] = chosen;
        const indent = line.length - line.trimStart().length;
        let j = i + 1;
        if (/[{[]\s*$/.test(line)) {
          // a block: up to its closing bracket at the same indentation
          while (j < lines.length && !(lines[j].length - lines[j].trimStart().length === indent && /^\s*[}\]]/.test(lines[j]))) j++;
          j++;
        }
        const start = lines.slice(0, i).join('\n').length + (i > 0 ? 1 : 0);
        const end = lines.slice(0, j).join('\n').length + 1;
        if (end > text.length) break;
        if (kind === 'delete-statement') return { what: `delete-statement ${line.trim()}`, start, end, insert: '' };
        // moved: the block removed and put back before another statement (one edit: the text between changes)
        const target = pick(starts.filter(([, k]) => k < i));
        if (!target) break;
        const tStart = lines.slice(0, target[1]).join('\n').length + 1;
        const block = text.slice(start, end);
        return { what: `move-statement ${line.trim()} before ${target[0].trim()}`, start: tStart, end, insert: block + text.slice(tStart, start) };
      }
      case 'cancel-in-block': {
        const block = pick(matches(text, /\n(\s+)(if [^\n{]*|parallel|region \w+|branch)\s*\{\n/));
        const name = pick(names);
        if (!block || !name) break;
        const start = block[0] + block[1][0].length;
        const statement = pick([`cancel ${name}`, `let v${Math.floor(rnd() * 9)} = ${name}.output.text`, `step extra${Math.floor(rnd() * 3)}: ${pick(agents) ?? 'Nobody'} { prompt: "\${${name}.output.text}" }`])!;
        return { what: `in-block ${statement}`, start, end: start, insert: `${block[1][1]}  ${statement}\n` };
      }
      case 'ghost': {
        // a name read before it exists, then declared (a step renamed to it), then gone again: unknown ↔ known elsewhere
        const ghost = `ghost${Math.floor(rnd() * 2)}`;
        if (rnd() < 0.5) {
          const prompt = pick(matches(text, /prompt:\s*"/));
          if (!prompt) break;
          const start = prompt[0] + prompt[1][0].length;
          const insert = pick([`\${${ghost}.output.text} `, `\${${ghost}.output.score - 1} `, `\${${ghost}.status} `, `\${${ghost}.length} `])!;
          return { what: `ghost-ref ${insert}`, start, end: start, insert };
        }
        const decl = pick(matches(text, /\b(step|let)\s+([A-Za-z_]\w*)/));
        if (!decl) break;
        const [offset, m] = decl;
        const start = offset + m[0].length - m[2].length;
        return { what: `ghost-decl ${m[2]}→${ghost}`, start, end: start + m[2].length, insert: ghost };
      }
      case 'retype-let': {
        // a `let` whose value changes type: its readers' (and their readers') diagnostics change
        const decl = pick(matches(text, /\blet\s+[A-Za-z_]\w*\s*=\s*([^\n{}()[\]"]+)$/m));
        if (!decl) break;
        const [offset, m] = decl;
        const start = offset + m[0].length - m[1].length;
        const insert = pick(['"text"', '3', '[1, 2]', 'true', `${pick(names) ?? 'x'}.output.score`, `${pick(names) ?? 'x'}.output.text`, `${pick(lets) ?? 'x'} + 1`])!;
        return { what: `retype-let ${m[1]}→${insert}`, start, end: start + m[1].length, insert };
      }
      case 'read-let': {
        // a statement reading a `let` (or a new `let` of one): a type-dependent reader
        const block = pick(matches(text, /\n(\s+)(if [^\n{]*|parallel|region \w+|branch|flow \w+)\s*\{\n/));
        const name = pick([...lets, `ghost${Math.floor(rnd() * 2)}`]);
        if (!block || !name) break;
        // on the block's first line (the line count stays: the incremental validation's case)
        const start = block[0] + block[1][0].length - 1;
        const statement = pick([`if ${name} > 1 { }`, `let r${Math.floor(rnd() * 3)} = ${name} - 1`, `let t${Math.floor(rnd() * 3)} = ${name}`, `if ${name}.length == 2 { }`])!;
        return { what: `read-let ${statement}`, start, end: start, insert: ` ${statement}` };
      }
      case 'signal-name': {
        // a signal raised or waited for under another name (the whole-flow signal checks)
        const use = pick(matches(text, /\b(?:wait\s+)?signal\s+([A-Za-z_]\w*)/));
        if (!use) break;
        const [offset, m] = use;
        const start = offset + m[0].length - m[1].length;
        const insert = pick(['go', 'done', 'gone'])!;
        return { what: `signal-name ${m[1]}→${insert}`, start, end: start + m[1].length, insert };
      }
      case 'call-flow': {
        // a step's target changed between agents and flows (the recursion checks: which flows every run calls)
        const use = pick(matches(text, /\bstep\s+\w+\s*:\s*([A-Za-z_]\w*)/));
        const flows = [...new Set(matches(text, /\bflow\s+([A-Za-z_]\w*)/).map(([, m]) => m[1]))];
        if (!use) break;
        const [offset, m] = use;
        const start = offset + m[0].length - m[1].length;
        const insert = pick([...flows, ...flows, ...agents])!;
        return { what: `call-flow ${m[1]}→${insert}`, start, end: start + m[1].length, insert };
      }
      case 'fail-in-block': {
        // a `fail` on a block's first line: what follows it no longer always runs
        const block = pick(matches(text, /\n(\s+)(if [^\n{]*|parallel|repeat max \d+|branch|flow \w+)\s*\{\n/));
        if (!block) break;
        const start = block[0] + block[1][0].length - 1;
        return { what: `fail-in-block after ${block[1][2]}`, start, end: start, insert: ' fail "stop"' };
      }
      case 'swap-ident': {
        const ids = matches(text, /\b[A-Za-z_]\w*\b/);
        const a = pick(ids);
        const b = pick(ids);
        if (!a || !b) break;
        return { what: `swap-ident ${a[1][0]}→${b[1][0]}`, start: a[0], end: a[0] + a[1][0].length, insert: b[1][0] };
      }
      case 'type-char': {
        const at = Math.floor(rnd() * text.length);
        const insert = pick(['x', ' ', '.', '}', '"', '1', '\n', '(', ':'])!;
        return { what: `type ${JSON.stringify(insert)} at ${at}`, start: at, end: at, insert };
      }
      case 'delete-char': {
        const at = Math.floor(rnd() * (text.length - 1));
        return { what: `delete ${JSON.stringify(text[at])} at ${at}`, start: at, end: at + 1, insert: '' };
      }
    }
  }
  return { what: 'type x at 0', start: 0, end: 0, insert: 'x' };
}

/** What a check says and links: every diagnostic (in order) and every reference's text and target (its path, or its error). */
function checkResult(document: LangiumDocument, locate: (node: AstNode) => string): { diagnostics: string[]; links: string[] } {
  const diagnostics = (document.diagnostics ?? []).map((d) => JSON.stringify([d.severity, d.code, d.message, [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character], d.data]));
  const links: string[] = [];
  for (const node of documentNodes(document.parseResult.value)) {
    forEachReference(node, ({ reference, property }) => {
      const target = isReference(reference) ? reference.ref : reference.items[0]?.ref;
      links.push(`${node.$type}.${property} ${reference.$refText}@${reference.$refNode?.offset} → ${target ? locate(target) : `error ${reference.error?.message}`}`);
    });
  }
  return { diagnostics, links };
}

/** An editor's document (statement-only re-parse and incremental re-check on) and a full check of the same text, compared after every edit. */
async function session(text: string) {
  const own = createBatonServices(EmptyFileSystem, { incrementalParse: true });
  const uri = URI.parse('file:///incremental/main.flow');
  let version = 1;
  own.shared.workspace.TextDocuments!.set(TextDocument.create(uri.toString(), 'baton', version, text));
  const document = own.shared.workspace.LangiumDocumentFactory.fromTextDocument(own.shared.workspace.TextDocuments!.get(uri.toString())!);
  own.shared.workspace.LangiumDocuments.addDocument(document);
  await own.shared.workspace.DocumentBuilder.build([document], { validation: true });
  const fresh = createBatonServices(EmptyFileSystem);
  const locate = (services: typeof own) => (node: AstNode) => services.Baton.workspace.AstNodeLocator.getAstNodePath(node);
  let current = text;
  const setText = (next: string) => {
    current = next;
    own.shared.workspace.TextDocuments!.set(TextDocument.create(uri.toString(), 'baton', ++version, next));
  };
  return {
    get text() {
      return current;
    },
    /** Applies `edit`; with `cancelAfter`, first starts a build of an intermediate edit and cancels it after that many turns of the event loop. */
    async apply(edit: Edit, label: string, cancelAfter?: { turns: number; first: Edit }): Promise<void> {
      if (cancelAfter) {
        const { first } = cancelAfter;
        setText(current.slice(0, first.start) + first.insert + current.slice(first.end));
        const source = new CancellationTokenSource();
        const build = own.shared.workspace.DocumentBuilder.update([uri], [], source.token).catch(() => undefined);
        for (let i = 0; i < cancelAfter.turns; i++) await new Promise((resolve) => setImmediate(resolve));
        source.cancel();
        await build;
      }
      setText(current.slice(0, edit.start) + edit.insert + current.slice(edit.end));
      await own.shared.workspace.DocumentBuilder.update([uri], []);
      const freshDocument = fresh.shared.workspace.LangiumDocumentFactory.fromString(current, URI.parse(`file:///fresh/${version}.flow`));
      fresh.shared.workspace.LangiumDocuments.addDocument(freshDocument);
      await fresh.shared.workspace.DocumentBuilder.build([freshDocument], { validation: true });
      const got = checkResult(document, locate(own));
      const want = checkResult(freshDocument, locate(fresh));
      fresh.shared.workspace.LangiumDocuments.deleteDocument(freshDocument.uri);
      assert.deepEqual(got.diagnostics, want.diagnostics, `${label}: diagnostics differ from a full check`);
      assert.deepEqual(got.links, want.links, `${label}: links differ from a full check`);
      // the shared node list (patched by a statement-only re-parse) is the AST's, and so is each top-level element's slice
      const root = document.parseResult.value;
      const walked = astNodes(root);
      const shared = documentNodes(root);
      assert.ok(shared.length === walked.length && walked.every((n, i) => shared[i] === n), `${label}: the shared node list differs from the AST`);
      for (const element of (root as unknown as { elements?: AstNode[] }).elements ?? []) {
        const slice = subtreeNodes(element);
        const own = astNodes(element);
        assert.ok(slice.length === own.length && own.every((n, i) => slice[i] === n), `${label}: a top-level element's nodes differ from the AST`);
        for (const [name, kind] of Object.entries(kinds)) {
          const indexed = nodesOfKind(element, kind);
          const walkedKind = own.filter(kind.test);
          assert.ok(indexed.length === walkedKind.length && walkedKind.every((n, i) => indexed[i] === n), `${label}: the index of ${name} differs from the AST`);
        }
      }
      // each reference once (linking errors are reported per entry), each symbol once
      assert.equal(new Set(document.references).size, document.references.length, `${label}: a reference listed twice`);
      const symbols = [...documentNodes(document.parseResult.value)].flatMap((n) => (document.localSymbols?.has(n) ? document.localSymbols.getStream(n).toArray() : []));
      assert.equal(new Set(symbols.map((d) => d.node)).size, symbols.length, `${label}: a symbol listed twice`);
    },
  };
}

/** Applies `edits` random edits (and the fixes of most typos) to `text`, checking after each; returns how many builds took the incremental path. */
async function randomSequence(text: string, seed: number, edits: number, extraKinds: readonly string[] = []): Promise<{ links: number; flowChecks: number; nodeChecks: number }> {
  const before = incrementalBuilds.count;
  const flowChecksBefore = incrementalFlowChecks.count;
  const nodeChecksBefore = incrementalNodeChecks.count;
  const rnd = random(seed);
  const s = await session(text);
  const history: string[] = [];
  let undo: Edit | undefined;
  for (let i = 0; i < edits; i++) {
    // a typo is mostly fixed at once (else the file stays unparsable and every later edit is a full parse)
    const edit = undo ?? randomEdit(s.text, rnd, extraKinds);
    undo = undefined;
    history.push(edit.what);
    // now and then an edit whose build is cancelled part-way by the next one (as typing does)
    const cancelAfter = rnd() < 0.15 ? { turns: Math.floor(rnd() * 6), first: edit } : undefined;
    const before = cancelAfter ? s.text.slice(0, edit.start) + edit.insert + s.text.slice(edit.end) : s.text;
    const next = cancelAfter ? randomEdit(before, rnd, extraKinds) : edit;
    if (cancelAfter) history.push(`(cancelled) then ${next.what}`);
    await s.apply(next, `seed ${seed}, edit ${i + 1}: ${history.slice(-4).join(' | ')}`, cancelAfter);
    if (/^(type|delete |swap-ident)/.test(next.what) && rnd() < 0.8) {
      undo = { what: `undo ${next.what}`, start: next.start, end: next.start + next.insert.length, insert: before.slice(next.start, next.end) };
    }
  }
  return { links: incrementalBuilds.count - before, flowChecks: incrementalFlowChecks.count - flowChecksBefore, nodeChecks: incrementalNodeChecks.count - nodeChecksBefore };
}

describe('incremental re-check: diagnostics and links equal a full check after every edit', () => {
  it('on a generated 120-step flow (randomised renames, deletions, moves, broken and new names, typing; seeded)', async function () {
    this.timeout(600_000); // ~1 min on a quiet machine, 4–5 on a loaded one
    let incremental = 0;
    let flowChecks = 0;
    let nodeChecks = 0;
    for (const seed of [1, 2, 3]) {
      const taken = await randomSequence(generateFlow(120), seed, 40);
      incremental += taken.links;
      flowChecks += taken.flowChecks;
      nodeChecks += taken.nodeChecks;
    }
    assert.ok(nodeChecks >= 1000, `per-node check results were replayed ${nodeChecks} times`);
    assert.ok(incremental >= 30, `the incremental path was taken in ${incremental} of 120 edits`);
    assert.ok(flowChecks >= 20, `the incremental flow check ran in ${flowChecks} of 120 edits`);
  });

  it('on flows with signals and recursion (signals renamed, steps calling flows or agents, a `fail` put first in a block; seeded)', async function () {
    this.timeout(300_000);
    const kinds = ['signal-name', 'signal-name', 'call-flow', 'call-flow', 'call-flow', 'fail-in-block', 'fail-in-block'];
    let nodeChecks = 0;
    for (const seed of [5, 6]) {
      const taken = await randomSequence(SIGNALS_AND_RECURSION, seed, 60, kinds);
      nodeChecks += taken.nodeChecks;
    }
    assert.ok(nodeChecks >= 50, `per-node check results were replayed ${nodeChecks} times`);
  });

  it('on flows with signals and recursion: each kind of statement the whole-flow checks read, changed on its line', async function () {
    this.timeout(120_000);
    const s = await session(SIGNALS_AND_RECURSION);
    const before = incrementalNodeChecks.count;
    const edits: Array<[string, string]> = [
      ['    step a: W { prompt: "r" }', '    fail "stop" step a: W { prompt: "r" }'], // B no longer always calls A: no cycle
      ['    fail "stop" step a: W { prompt: "r" }', '    step a: W { prompt: "r" }'],
      ['  step e: A { input: { n: 2 } }', '  step e: V { input: { n: 2 } }'], // a call of a flow becomes an agent's
      ['  step e: V { input: { n: 2 } }', '  step e: A { input: { n: 2 } }'],
      ['step again: A { input: { n: input.n } }', 'step again: A { input: { n: input.n - 1 } }'], // progress made
      ['step again: A { input: { n: input.n - 1 } }', 'step again: A { input: { n: input.n } }'],
      ['      signal go', '      signal gone'], // the wait's signal is no longer raised
      ['      signal gone', '      signal go'],
      ['wait signal done timeout', 'wait signal go timeout'], // now raised… in another flow: still unknown, another name
      ['wait signal go timeout', 'wait signal gone timeout'], // raised in this flow, after the wait
      ['wait signal gone timeout', 'wait signal done timeout'],
      ['  step w3: V { prompt: "y" }', '  step w3: V { prompt: "y changed" }'], // none of them: replayed
    ];
    for (const [i, [from, to]] of edits.entries()) {
      const at = s.text.indexOf(from);
      assert.ok(at >= 0, `edit ${i + 1}: ${from} not found`);
      await s.apply({ what: `${from} → ${to}`, start: at, end: at + from.length, insert: to }, `scripted edit ${i + 1}: ${from.trim()} → ${to.trim()}`);
    }
    assert.ok(incrementalNodeChecks.count - before >= 20, `per-node check results were replayed ${incrementalNodeChecks.count - before} times`);
  });

  it('on expressions nested too deep: typed into a statement and out, beside another that stays', async function () {
    this.timeout(120_000);
    const deep = Array.from({ length: 205 }, (_, i) => i).join(' + ');
    // each edit strictly inside its statement (an edit at a statement's end re-parses the flow)
    const s = await session('agent W { stub: "w" }\nflow N {\n  let a = 1 + 0\n  let b = 2 + 0\n  step s: W { prompt: "x ${a} ${b}" }\n}\n');
    const before = incrementalNodeChecks.count;
    const edits: Array<[string, string]> = [
      ['let a = 1 +', `let a = ${deep} +`],
      [`let a = ${deep} +`, 'let a = 1 +'],
      ['let b = 2 +', `let b = ${deep} +`],
      ['let a = 1 +', 'let a = 3 +'], // another statement's error stays
      [`let b = ${deep} +`, 'let b = 2 +'],
      ['let a = 3 +', 'let a = 1 +'],
    ];
    for (const [i, [from, to]] of edits.entries()) {
      const at = s.text.indexOf(from);
      await s.apply({ what: `${from} → ${to}`, start: at, end: at + from.length, insert: to }, `nesting edit ${i + 1}: ${from.slice(0, 20)} → ${to.slice(0, 20)}`);
    }
    assert.ok(incrementalNodeChecks.count - before >= 1, `per-node check results were replayed ${incrementalNodeChecks.count - before} times`);
  });

  it('on unread step outputs: a step renamed to the name of a later one takes its readers, and gives them back', async function () {
    this.timeout(120_000);
    const s = await session('agent W {\n  output: { text: string }\n  stub: { text: "w" }\n}\nflow F {\n  step a: W { prompt: "x" }\n  step b: W { prompt: "${c.output.text}" }\n  step c: W { prompt: "y" }\n  step d: W { prompt: "${b.output.text} ${a.output.text}" }\n}\n');
    const before = incrementalFlowChecks.count;
    const edits: Array<[string, string]> = [
      ['step a: W', 'step c: W'], // `c` now reads the first step: the later `c` is unread
      ['step c: W { prompt: "x" }', 'step a: W { prompt: "x" }'],
      ['step d: W { prompt: "${b.output.text} ${a', 'step d: W { prompt: "${b.output.text} ${c'], // `a` unread, `c` read twice
      ['step d: W { prompt: "${b.output.text} ${c', 'step d: W { prompt: "${b.output.text} ${a'],
    ];
    for (const [i, [from, to]] of edits.entries()) {
      const at = s.text.indexOf(from);
      assert.ok(at >= 0, `edit ${i + 1}: ${from} not found`);
      await s.apply({ what: `${from} → ${to}`, start: at, end: at + from.length, insert: to }, `unread edit ${i + 1}: ${from} → ${to}`);
    }
    assert.ok(incrementalFlowChecks.count - before >= 3, `the incremental flow check ran ${incrementalFlowChecks.count - before} times`);
  });

  it('on duplicate names: names taken out and put in one statement at a time, becoming and ceasing to be duplicates', async function () {
    this.timeout(120_000);
    const s = await session('agent W {\n  output: { text: string }\n  stub: { text: "w" }\n}\nflow F {\n  step a: W { prompt: "x" }\n  step b: W { prompt: "${a.output.text}" }\n  let v = 1\n  step c: W { prompt: "${b.output.text}" }\n  step d: W { prompt: "${c.output.text} ${v}" }\n}\n');
    const before = incrementalFlowChecks.count;
    const edits: Array<[string, string]> = [
      ['step a: W', 'step z: W'], // a new name, single
      ['step b: W', 'step z: W'], // now held twice: `b`'s statement is the duplicate
      ['step z: W { prompt: "x" }', 'step y: W { prompt: "x" }'], // the first `z` renamed: the duplicate is gone
      ['step c: W', 'step y: W'], // `y` twice
      ['let v = 1', 'let y = 1'], // three times
      ['let y = 1', 'let v = 1'],
      ['step y: W { prompt: "${b', 'step c: W { prompt: "${b'],
      ['step y: W { prompt: "x" }', 'step a: W { prompt: "x" }'],
      ['step z: W', 'step b: W'],
      ['step d: W', 'step a: W'], // a later duplicate of the first name
      ['step a: W { prompt: "${c', 'step d: W { prompt: "${c'],
    ];
    for (const [i, [from, to]] of edits.entries()) {
      const at = s.text.indexOf(from);
      assert.ok(at >= 0, `edit ${i + 1}: ${from} not found`);
      await s.apply({ what: `${from} → ${to}`, start: at, end: at + from.length, insert: to }, `duplicates edit ${i + 1}: ${from} → ${to}`);
    }
    assert.ok(incrementalFlowChecks.count - before >= 8, `the incremental flow check ran ${incrementalFlowChecks.count - before} times`);
  });

  for (const [file, seed] of [
    ['incident-saga.flow', 11],
    ['process-orchestrator.flow', 12],
    ['support-tools.flow', 3],
    ['business-triggers.flow', 14],
    ['purchase-sla.flow', 25],
  ] as const) {
    it(`on examples/${file} (seed ${seed})`, async function () {
      this.timeout(300_000);
      const taken = await randomSequence(readFileSync(path.join(EXAMPLES, file), 'utf8'), seed, 60);
      assert.ok(taken.links >= 10, `the incremental path was taken in ${taken.links} of 60 edits`);
      assert.ok(taken.flowChecks >= 5, `the incremental flow check ran in ${taken.flowChecks} of 60 edits`);
      assert.ok(taken.nodeChecks >= 50, `per-node check results were replayed ${taken.nodeChecks} times`);
      console.log(`      ${file}: incremental links ${taken.links}, flow checks ${taken.flowChecks} of 60, node checks replayed ${taken.nodeChecks}`);
    });
  }
});
