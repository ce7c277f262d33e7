import assert from 'node:assert/strict';
import { EmptyFileSystem, URI, type LangiumDocument } from 'langium';
import type { Location, Range } from 'vscode-languageserver-types';
import type { TextDocumentPositionParams } from 'vscode-languageserver';
import { createBatonServices } from '../../../language/src/index.js';

/** A location as tests pin it: `file:line:character-line:character` (0-based, end exclusive) and the text it covers. */
export type Spot = string;

/**
 * Several `.flow` files built together on services of their own (as the language server holds a
 * workspace), written with markers that are removed before parsing:
 * - `<|>` a cursor; `cursor(file, i)` is the i-th of that file;
 * - `[|` … `|]` a range; `range(file, i)` is the i-th of that file.
 * Files are named by their path under `file:///ws/` (e.g. `agents/common.flow`).
 */
export class TestWorkspace {
  readonly services = createBatonServices(EmptyFileSystem);
  readonly documents = new Map<string, LangiumDocument>();
  private readonly cursors = new Map<string, number[]>();
  private readonly ranges = new Map<string, [number, number][]>();

  /** Adds `files` and builds the whole workspace (parse, index, link, validate). */
  static async of(files: Record<string, string>): Promise<TestWorkspace> {
    const workspace = new TestWorkspace();
    const added: LangiumDocument[] = [];
    for (const [name, marked] of Object.entries(files)) {
      const { text, cursors, ranges } = unmark(marked);
      const document = workspace.services.shared.workspace.LangiumDocumentFactory.fromString(text, URI.parse(`file:///ws/${name}`));
      workspace.services.shared.workspace.LangiumDocuments.addDocument(document);
      workspace.documents.set(name, document);
      workspace.cursors.set(name, cursors);
      workspace.ranges.set(name, ranges);
      added.push(document);
    }
    await workspace.services.shared.workspace.DocumentBuilder.build(added, { validation: true });
    return workspace;
  }

  document(file: string): LangiumDocument {
    const document = this.documents.get(file);
    assert.ok(document, `no file ${file}`);
    return document;
  }

  /** The parameters of a request at the i-th `<|>` of `file`. */
  cursor(file: string, i = 0): TextDocumentPositionParams {
    const document = this.document(file);
    const offset = this.cursors.get(file)?.[i];
    assert.ok(offset !== undefined, `${file} has no cursor ${i}`);
    return { textDocument: { uri: document.uri.toString() }, position: document.textDocument.positionAt(offset) };
  }

  /** The i-th `[| … |]` range of `file`. */
  range(file: string, i = 0): Range {
    const document = this.document(file);
    const range = this.ranges.get(file)?.[i];
    assert.ok(range, `${file} has no range ${i}`);
    return { start: document.textDocument.positionAt(range[0]), end: document.textDocument.positionAt(range[1]) };
  }

  /** Every `[| … |]` range of every file as {@link Spot}s, sorted. */
  allRanges(): Spot[] {
    const spots: Spot[] = [];
    for (const [file, ranges] of this.ranges) ranges.forEach((_, i) => spots.push(this.spot({ uri: this.document(file).uri.toString(), range: this.range(file, i) })));
    return spots.sort();
  }

  /** `main.flow:3:10-3:16 Notifier`: where a location is and what text it covers. */
  spot(location: Location): Spot {
    const file = location.uri.replace('file:///ws/', '');
    const { start, end } = location.range;
    const text = this.document(file).textDocument.getText(location.range);
    return `${file}:${start.line}:${start.character}-${end.line}:${end.character} ${text}`;
  }
}

function unmark(marked: string): { text: string; cursors: number[]; ranges: [number, number][] } {
  let text = '';
  const cursors: number[] = [];
  const ranges: [number, number][] = [];
  const open: number[] = [];
  for (let i = 0; i < marked.length; ) {
    if (marked.startsWith('<|>', i)) {
      cursors.push(text.length);
      i += 3;
    } else if (marked.startsWith('[|', i)) {
      open.push(text.length);
      i += 2;
    } else if (marked.startsWith('|]', i)) {
      const start = open.pop();
      assert.ok(start !== undefined, 'a |] without [|');
      ranges.push([start, text.length]);
      i += 2;
    } else {
      text += marked[i++];
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  return { text, cursors, ranges };
}
